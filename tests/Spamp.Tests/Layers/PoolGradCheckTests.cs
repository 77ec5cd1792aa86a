using Spamp.Layers;

namespace Spamp.Tests.Layers;

/// <summary>
/// The pooling functions against central finite differences in float64, and the pooling modules'
/// defaults. Max pooling inputs have no ties within a window (a permutation of spread-out values),
/// so the finite difference does not cross a kink.
/// </summary>
[TestFixture]
public sealed class PoolGradCheckTests
{
    private static Tensor Randn(ulong seed, params int[] shape) => Tensor.Randn(shape, DType.Float64, generator: new Generator(seed));

    /// <summary>Distinct values 0.1 apart in a random order.</summary>
    private static Tensor Distinct(int seed, params int[] shape)
    {
        int count = shape.Aggregate(1, (a, b) => a * b);
        var rng = new System.Random(seed);
        double[] values = Enumerable.Range(0, count).Select(i => (i * 0.1) - (count * 0.05)).OrderBy(_ => rng.Next()).ToArray();
        return Tensor.From(values, shape);
    }

    private static void AssertPasses(Func<Variable[], Variable> f, params Tensor[] inputs)
    {
        GradCheckResult result = GradCheck.Check(f, inputs);
        Assert.That(result.Passed, Is.True, result.Report);
    }

    [Test]
    public void MaxPoolPaddedStridedCeilDilated()
    {
        using var scope = TensorScope.Begin();
        AssertPasses(v => Functional.MaxPool2d(v[0], 3, 2, 1), Distinct(1, 1, 2, 5, 5));
        AssertPasses(v => Functional.MaxPool2d(v[0], 3, 2, 0, ceilMode: true), Distinct(2, 1, 2, 6, 6));
        AssertPasses(v => Functional.MaxPool2d(v[0], 2, 1, 1, dilation: 2), Distinct(3, 1, 1, 5, 6));
        AssertPasses(v => Functional.MaxPool2d(v[0], (2, 3), (1, 2)), Distinct(4, 2, 1, 4, 7));
    }

    [Test]
    public void AvgPoolVariants()
    {
        using var scope = TensorScope.Begin();
        AssertPasses(v => Functional.AvgPool2d(v[0], 3, 2, 1), Randn(5, 1, 2, 5, 5));
        AssertPasses(v => Functional.AvgPool2d(v[0], 3, 2, 1, countIncludePad: false, ceilMode: true), Randn(6, 1, 2, 6, 6));
        AssertPasses(v => Functional.AvgPool2d(v[0], (2, 3), 1, (1, 0), divisorOverride: 4), Randn(7, 1, 1, 4, 5));
    }

    [Test]
    public void AdaptiveAvgPool()
    {
        using var scope = TensorScope.Begin();
        AssertPasses(v => Functional.AdaptiveAvgPool2d(v[0], (3, 2)), Randn(8, 1, 2, 7, 5));
        AssertPasses(v => Functional.AdaptiveAvgPool2d(v[0], 1), Randn(9, 2, 2, 3, 3));
        AssertPasses(v => Functional.AdaptiveAvgPool2d(v[0], (4, 3)), Randn(10, 1, 1, 3, 2));
    }

    [Test]
    public void ModulesUsePyTorchDefaults()
    {
        using var scope = TensorScope.Begin();
        var max = new MaxPool2d(3);
        Assert.That(max.Stride, Is.EqualTo(new Size2(3, 3)));
        Assert.That(max.Padding, Is.EqualTo(new Size2(0, 0)));
        Assert.That(max.Dilation, Is.EqualTo(new Size2(1, 1)));
        var avg = new AvgPool2d((2, 3));
        Assert.That(avg.Stride, Is.EqualTo(new Size2(2, 3)));
        Assert.That(avg.CountIncludePad, Is.True);
        Assert.That(avg.DivisorOverride, Is.Null);

        var x = new Variable(Randn(11, 2, 3, 9, 9));
        Assert.That(max.Forward(x).Shape, Is.EqualTo(new Shape(2, 3, 3, 3)));
        Assert.That(new AdaptiveAvgPool2d(1).Forward(x).Shape, Is.EqualTo(new Shape(2, 3, 1, 1)));
        var (output, indices) = new MaxPool2d(2, ceilMode: true).ForwardWithIndices(x);
        Assert.That(output.Shape, Is.EqualTo(new Shape(2, 3, 5, 5)));
        Assert.That(indices.DType, Is.EqualTo(DType.Int64));
    }

    [Test]
    public void MaxPoolIndicesAreFlatPlanePositions()
    {
        using var scope = TensorScope.Begin();
        Tensor x = Tensor.From(new float[] { 1, 5, 2, 0, 3, 4, 9, 8, 7, 6, 2, 1, 0, 3, 5, 4 }, 1, 1, 4, 4);
        var (values, indices) = Tensor.MaxPool2dWithIndices(x, 2);
        Assert.That(values.ToArray<float>(), Is.EqualTo(new float[] { 5, 9, 7, 5 }));
        Assert.That(indices.ToArray<long>(), Is.EqualTo(new long[] { 1, 6, 8, 14 }));
    }

    [Test]
    public void MaxPoolPropagatesNaN()
    {
        using var scope = TensorScope.Begin();
        Tensor x = Tensor.From(new float[] { 1, float.NaN, 2, 3 }, 1, 1, 2, 2);
        Assert.That(float.IsNaN(Tensor.MaxPool2d(x, 2).ToArray<float>()[0]), Is.True);
    }
}
