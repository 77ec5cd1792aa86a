using NUnit.Framework;

namespace Spamp.Tests.Tensors;

/// <summary>Validation messages name the op, the arguments and their shapes; a failed in-place op changes nothing.</summary>
[TestFixture]
public sealed class ErrorMessageTests
{
    [Test]
    public void MatMul_InnerDimensionMismatch_HasTheExactMessage()
    {
        using var scope = TensorScope.Begin();
        Tensor a = Tensor.Zeros(new Shape(32, 64));
        Tensor b = Tensor.Zeros(new Shape(32, 10));
        var ex = Assert.Throws<ShapeMismatchException>(() => Tensor.MatMul(a, b));
        Assert.That(ex!.Message, Is.EqualTo("matmul: lhs [32,64] and rhs [32,10]: inner dimensions 64 and 32 differ"));
    }

    [Test]
    public void MatMul_OnVariables_HasTheSameMessage()
    {
        using var scope = TensorScope.Begin();
        using var a = new Variable(Tensor.Zeros(new Shape(32, 64)), requiresGrad: true);
        using var b = new Variable(Tensor.Zeros(new Shape(32, 10)), requiresGrad: true);
        var ex = Assert.Throws<ShapeMismatchException>(() => a.MatMul(b));
        Assert.That(ex!.Message, Is.EqualTo("matmul: lhs [32,64] and rhs [32,10]: inner dimensions 64 and 32 differ"));
    }

    [Test]
    public void Broadcasting_Failure_NamesBothShapes()
    {
        using var scope = TensorScope.Begin();
        Tensor a = Tensor.Zeros(new Shape(2, 3));
        Tensor b = Tensor.Zeros(new Shape(4, 3));
        var ex = Assert.Throws<ShapeMismatchException>(() => _ = a + b);
        Assert.That(ex!.Message, Does.StartWith("add:").And.Contain("[2,3]").And.Contain("[4,3]"));

        using var va = new Variable(Tensor.Zeros(new Shape(2, 3)), requiresGrad: true);
        using var vb = new Variable(Tensor.Zeros(new Shape(4, 3)));
        var vex = Assert.Throws<ShapeMismatchException>(() => _ = va * vb);
        Assert.That(vex!.Message, Does.StartWith("mul:").And.Contain("[2,3]").And.Contain("[4,3]"));
    }

    [Test]
    public void Reshape_ToAWrongSize_NamesTheShapes()
    {
        using var scope = TensorScope.Begin();
        Tensor a = Tensor.Zeros(new Shape(2, 3));
        var ex = Assert.Throws<ShapeMismatchException>(() => a.Reshape(4, 2));
        Assert.That(ex!.Message, Does.StartWith("reshape:").And.Contain("[4,2]").And.Contain("[2,3]"));

        using var v = new Variable(Tensor.Zeros(new Shape(2, 3)), requiresGrad: true);
        var vex = Assert.Throws<ShapeMismatchException>(() => v.View(5));
        Assert.That(vex!.Message, Does.StartWith("view:").And.Contain("[5]").And.Contain("[2,3]"));
    }

    [Test]
    public void AddInPlace_WithANonBroadcastableShape_LeavesTheTargetUnchanged()
    {
        using var scope = TensorScope.Begin();
        Tensor target = Tensor.From([1.0f, 2.0f, 3.0f, 4.0f], 2, 2);
        Tensor other = Tensor.Ones(new Shape(3, 2));
        var ex = Assert.Throws<ShapeMismatchException>(() => target.AddInPlace(other));
        Assert.That(ex!.Message, Does.Contain("[3,2]").And.Contain("[2,2]"));
        Assert.That(target.ToArray<float>(), Is.EqualTo(new[] { 1.0f, 2.0f, 3.0f, 4.0f }));
    }

    [Test]
    public void ScatterAddInPlace_WithAnOutOfRangeIndex_LeavesTheTargetUnchanged()
    {
        using var scope = TensorScope.Begin();
        Tensor target = Tensor.From([1.0f, 2.0f, 3.0f, 4.0f], 2, 2);
        Tensor index = Tensor.From([0L, 1L, 2L, 0L], 2, 2);
        Tensor source = Tensor.Ones(new Shape(2, 2));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => target.ScatterAddInPlace(0, index, source));
        Assert.That(ex!.Message, Does.Contain("scatter_add_"));
        Assert.That(target.ToArray<float>(), Is.EqualTo(new[] { 1.0f, 2.0f, 3.0f, 4.0f }));
    }

    [Test]
    public void Cat_WithMismatchedShapes_NamesThem()
    {
        using var scope = TensorScope.Begin();
        using var a = new Variable(Tensor.Zeros(new Shape(2, 3)), requiresGrad: true);
        using var b = new Variable(Tensor.Zeros(new Shape(2, 4)), requiresGrad: true);
        var ex = Assert.Throws<ShapeMismatchException>(() => Variable.Cat([a, b], 0));
        Assert.That(ex!.Message, Does.StartWith("cat:").And.Contain("[2,3]").And.Contain("[2,4]"));
    }
}
