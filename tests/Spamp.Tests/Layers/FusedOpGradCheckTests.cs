using Spamp.Layers;

namespace Spamp.Tests.Layers;

/// <summary>
/// Every fused layer op (its own forward and backward kernels or node) against central finite
/// differences in float64 (<see cref="GradCheck"/>, the full Jacobian): layer norm, RMS norm, group
/// norm, cross-entropy with label smoothing, weights and ignore_index, embedding with a padding row,
/// and BCE with logits with pos_weight. Inputs are small because the Jacobian is built element by element.
/// </summary>
[TestFixture]
public sealed class FusedOpGradCheckTests
{
    private static Tensor Randn(ulong seed, params int[] shape) => Tensor.Randn(shape, DType.Float64, generator: new Generator(seed));

    private static void AssertPasses(Func<Variable[], Variable> f, params Tensor[] inputs)
    {
        GradCheckResult result = GradCheck.Check(f, inputs);
        Assert.That(result.Passed, Is.True, result.Report);
    }

    [Test]
    public void LayerNormWithAffine()
    {
        using var scope = TensorScope.Begin();
        AssertPasses(v => Functional.LayerNorm(v[0], [5], v[1], v[2]), Randn(1, 3, 5), Randn(2, 5), Randn(3, 5));
    }

    [Test]
    public void LayerNormOverTwoTrailingDimensionsWithoutAffine()
    {
        using var scope = TensorScope.Begin();
        AssertPasses(v => Functional.LayerNorm(v[0], [2, 3], eps: 1e-3), Randn(4, 2, 2, 3));
    }

    [Test]
    public void LayerNormOfNonContiguousInput()
    {
        using var scope = TensorScope.Begin();
        AssertPasses(v => Functional.LayerNorm(v[0].Transpose(0, 1), [3], v[1], v[2]), Randn(5, 3, 4), Randn(6, 3), Randn(7, 3));
    }

    [Test]
    public void RmsNormWithWeight()
    {
        using var scope = TensorScope.Begin();
        AssertPasses(v => Functional.RmsNorm(v[0], [4], v[1], eps: 1e-6), Randn(8, 3, 4), Randn(9, 4));
    }

    [Test]
    public void RmsNormDefaultEpsWithoutWeight()
    {
        using var scope = TensorScope.Begin();
        AssertPasses(v => Functional.RmsNorm(v[0], [6]), Randn(10, 2, 6));
    }

    [Test]
    public void GroupNormWithAffine()
    {
        using var scope = TensorScope.Begin();
        AssertPasses(v => Functional.GroupNorm(v[0], 2, v[1], v[2]), Randn(11, 2, 4, 3), Randn(12, 4), Randn(13, 4));
    }

    [Test]
    public void GroupNormSpatialWithoutAffine()
    {
        using var scope = TensorScope.Begin();
        AssertPasses(v => Functional.GroupNorm(v[0], 3), Randn(14, 2, 6, 2, 2));
    }

    [Test]
    public void CrossEntropyWithSmoothingAndIgnoreIndex([Values] Reduction reduction)
    {
        using var scope = TensorScope.Begin();
        using Tensor target = Tensor.From(new long[] { 2, -100, 0, 4 }, 4);
        AssertPasses(v => Functional.CrossEntropy(v[0], target, ignoreIndex: -100, reduction: reduction, labelSmoothing: 0.2), Randn(15, 4, 5));
    }

    [Test]
    public void CrossEntropyWithClassWeightsSmoothingAndSpatialDimensions()
    {
        using var scope = TensorScope.Begin();
        using Tensor target = Tensor.From(new long[] { 0, 2, 1, 1, 2, 7 }, 2, 3);
        using Tensor weight = Tensor.From(new double[] { 0.5, 2.0, 1.5 }, 3);
        AssertPasses(v => Functional.CrossEntropy(v[0], target, weight, ignoreIndex: 7, labelSmoothing: 0.1), Randn(16, 2, 3, 3));
    }

    [Test]
    public void EmbeddingWithPaddingRow()
    {
        using var scope = TensorScope.Begin();
        using Tensor indices = Tensor.From(new long[] { 1, 3, 1, 0, 2, 3 }, 2, 3);
        // The padding row's gradient is zero by definition (PyTorch excludes it), so it is checked
        // separately; here the function multiplies by a mask so finite differences agree.
        AssertPasses(v => Functional.Embedding(indices, v[0]) * v[1], Randn(17, 4, 2), Randn(18, 2, 3, 2));
    }

    [Test]
    public void BinaryCrossEntropyWithLogitsAndPosWeight()
    {
        using var scope = TensorScope.Begin();
        using Tensor posWeight = Tensor.From(new double[] { 0.5, 2.0, 3.0 }, 3);
        AssertPasses(v => Functional.BinaryCrossEntropyWithLogits(v[0], v[1].Sigmoid(), posWeight: posWeight, reduction: Reduction.None),
            Randn(19, 2, 3), Randn(20, 2, 3));
    }

    [Test]
    public void BinaryCrossEntropyWithLogitsMean()
    {
        using var scope = TensorScope.Begin();
        using Tensor weight = Tensor.From(new double[] { 1.0, 0.25, 2.0 }, 3);
        AssertPasses(v => Functional.BinaryCrossEntropyWithLogits(v[0], v[1].Sigmoid(), weight: weight), Randn(21, 2, 3), Randn(22, 2, 3));
    }

    [Test]
    public void EmbeddingPaddingRowGetsNoGradient()
    {
        using var scope = TensorScope.Begin();
        using var embedding = new Embedding(5, 3, paddingIdx: 1, dtype: DType.Float64, generator: new Generator(3));
        Assert.That(embedding.Weight.Data.Select(0, 1).ToArray<double>(), Is.All.EqualTo(0.0));
        using Tensor indices = Tensor.From(new long[] { 1, 2, 1, 4 }, 4);
        Variable y = embedding.Forward(indices);
        y.Sum().Backward();
        double[] grad = embedding.Weight.Grad!.ToArray<double>();
        Assert.That(grad, Is.EqualTo(new double[] { 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1 }));
    }

    [Test]
    public void EmbeddingOutOfRangeIndexNamesTheRange()
    {
        using var scope = TensorScope.Begin();
        using var embedding = new Embedding(10, 2);
        using Tensor indices = Tensor.From(new long[] { 3, 12 }, 2);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => embedding.Forward(indices));
        Assert.That(error!.Message, Does.Contain("index 12").And.Contain("[0, 10)"));
    }
}
