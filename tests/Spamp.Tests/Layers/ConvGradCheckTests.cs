using Spamp.Layers;

namespace Spamp.Tests.Layers;

/// <summary>
/// conv2d and conv1d against central finite differences in float64 (<see cref="GradCheck"/>, the full
/// Jacobian with respect to input, weight and bias) over stride, padding, 'same' with an even kernel,
/// dilation, groups, depthwise and 1x1 kernels, and a non-contiguous input.
/// </summary>
[TestFixture]
public sealed class ConvGradCheckTests
{
    private static Tensor Randn(ulong seed, params int[] shape) => Tensor.Randn(shape, DType.Float64, generator: new Generator(seed));

    private static void AssertPasses(Func<Variable[], Variable> f, params Tensor[] inputs)
    {
        GradCheckResult result = GradCheck.Check(f, inputs);
        Assert.That(result.Passed, Is.True, result.Report);
    }

    [Test]
    public void StridedPaddedWithBias()
    {
        using var scope = TensorScope.Begin();
        AssertPasses(v => Functional.Conv2d(v[0], v[1], v[2], stride: 2, padding: 1), Randn(1, 2, 2, 5, 5), Randn(2, 3, 2, 3, 3), Randn(3, 3));
    }

    [Test]
    public void DilatedNonSquare()
    {
        using var scope = TensorScope.Begin();
        AssertPasses(v => Functional.Conv2d(v[0], v[1], null, stride: (1, 2), padding: (2, 1), dilation: (2, 1)), Randn(4, 1, 2, 5, 6), Randn(5, 2, 2, 2, 3));
    }

    [Test]
    public void GroupsWithBias()
    {
        using var scope = TensorScope.Begin();
        AssertPasses(v => Functional.Conv2d(v[0], v[1], v[2], padding: 1, groups: 2), Randn(6, 1, 4, 4, 4), Randn(7, 4, 2, 3, 3), Randn(8, 4));
    }

    [Test]
    public void DepthwiseStrided()
    {
        using var scope = TensorScope.Begin();
        AssertPasses(v => Functional.Conv2d(v[0], v[1], null, stride: 2, padding: 1, groups: 3), Randn(9, 2, 3, 5, 5), Randn(10, 3, 1, 3, 3));
    }

    [Test]
    public void SameWithEvenKernel()
    {
        using var scope = TensorScope.Begin();
        AssertPasses(v => Functional.Conv2d(v[0], v[1], v[2], padding: ConvPadding.Same), Randn(11, 1, 2, 4, 5), Randn(12, 2, 2, 2, 4), Randn(13, 2));
    }

    [Test]
    public void PointwiseAndPointwiseStrided()
    {
        using var scope = TensorScope.Begin();
        AssertPasses(v => Functional.Conv2d(v[0], v[1], v[2]), Randn(14, 2, 3, 3, 3), Randn(15, 2, 3, 1, 1), Randn(16, 2));
        AssertPasses(v => Functional.Conv2d(v[0], v[1], null, stride: 2), Randn(17, 2, 3, 5, 5), Randn(18, 2, 3, 1, 1));
    }

    [Test]
    public void NonContiguousInput()
    {
        using var scope = TensorScope.Begin();
        AssertPasses(v => Functional.Conv2d(v[0].Transpose(2, 3), v[1], null, padding: 1), Randn(19, 1, 2, 5, 4), Randn(20, 2, 2, 3, 3));
    }

    [Test]
    public void Conv1dStridedSameDilatedGroups()
    {
        using var scope = TensorScope.Begin();
        AssertPasses(v => Functional.Conv1d(v[0], v[1], v[2], stride: 2, padding: 1), Randn(21, 2, 3, 7), Randn(22, 2, 3, 3), Randn(23, 2));
        AssertPasses(v => Functional.Conv1d(v[0], v[1], null, padding: ConvPadding.Same, dilation: 2, groups: 2), Randn(24, 1, 4, 6), Randn(25, 2, 2, 3));
    }
}
