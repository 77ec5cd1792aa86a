using Spamp.Layers;

namespace Spamp.Tests.Layers;

/// <summary>Bad convolution and pooling arguments raise typed exceptions whose messages name the argument and the shapes.</summary>
[TestFixture]
public sealed class ConvErrorTests
{
    [Test]
    public void ChannelMismatchNamesBothShapes()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.Zeros([2, 4, 8, 8]);
        var w = Tensor.Zeros([6, 3, 3, 3]);
        var e = Assert.Throws<ShapeMismatchException>(() => Tensor.Conv2d(x, w))!;
        Assert.That(e.Message, Does.Contain("[2,4,8,8]").And.Contain("[6,3,3,3]").And.Contain("3 channels"));
    }

    [Test]
    public void KernelLargerThanPaddedInput()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.Zeros([1, 3, 4, 4]);
        var w = Tensor.Zeros([2, 3, 7, 7]);
        var e = Assert.Throws<ShapeMismatchException>(() => Tensor.Conv2d(x, w, padding: 1))!;
        Assert.That(e.Message, Does.Contain("(6 x 6)").And.Contain("(7 x 7)").And.Contain("[1,3,4,4]"));
    }

    [Test]
    public void GroupsNotDividingChannels()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.Zeros([1, 5, 4, 4]);
        var w = Tensor.Zeros([4, 2, 3, 3]);
        var e = Assert.Throws<ShapeMismatchException>(() => Tensor.Conv2d(x, w, groups: 2))!;
        Assert.That(e.Message, Does.Contain("groups=2").And.Contain("5 input channels").And.Contain("[1,5,4,4]"));
        Assert.Throws<ArgumentException>(() => _ = new Conv2d(6, 4, 3, groups: 4));
    }

    [Test]
    public void BiasOfTheWrongLength()
    {
        using var scope = TensorScope.Begin();
        var e = Assert.Throws<ShapeMismatchException>(() => Tensor.Conv2d(Tensor.Zeros([1, 3, 4, 4]), Tensor.Zeros([2, 3, 3, 3]), Tensor.Zeros([3])))!;
        Assert.That(e.Message, Does.Contain("bias").And.Contain("[3]").And.Contain("[2]"));
    }

    [Test]
    public void WrongRanksAndDTypes()
    {
        using var scope = TensorScope.Begin();
        Assert.Throws<ShapeMismatchException>(() => Tensor.Conv2d(Tensor.Zeros([3, 4]), Tensor.Zeros([2, 3, 3, 3])));
        Assert.Throws<ShapeMismatchException>(() => Tensor.Conv2d(Tensor.Zeros([1, 3, 4, 4]), Tensor.Zeros([2, 3, 3])));
        Assert.Throws<DTypeMismatchException>(() => Tensor.Conv2d(Tensor.Zeros([1, 3, 4, 4]), Tensor.Zeros([2, 3, 3, 3], DType.Float64)));
        Assert.Throws<DTypeMismatchException>(() => Tensor.Conv2d(Tensor.Zeros([1, 3, 4, 4], DType.Int32), Tensor.Zeros([2, 3, 3, 3], DType.Int32)));
    }

    [Test]
    public void InvalidSizesAreOutOfRange()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.Zeros([1, 2, 5, 5]);
        var w = Tensor.Zeros([2, 2, 3, 3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Conv2d(x, w, stride: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Conv2d(x, w, dilation: (1, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Conv2d(x, w, padding: -1));
        Assert.Throws<ArgumentException>(() => Tensor.Conv2d(x, w, stride: 2, padding: ConvPadding.Same));
    }

    [Test]
    public void PoolingArguments()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.Zeros([1, 2, 5, 5]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.MaxPool2d(x, 3, padding: 2))!;
        Assert.That(e.Message, Does.Contain("half of the kernel"));
        var small = Assert.Throws<ShapeMismatchException>(() => Tensor.AvgPool2d(Tensor.Zeros([1, 2, 2, 2]), 3))!;
        Assert.That(small.Message, Does.Contain("[1,2,2,2]"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.AvgPool2d(x, 2, divisorOverride: 0));
        Assert.Throws<ShapeMismatchException>(() => Tensor.AdaptiveAvgPool2d(Tensor.Zeros([5, 5]), 2));
    }
}
