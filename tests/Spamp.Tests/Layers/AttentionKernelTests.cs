using System.Text.Json;
using Spamp.Backends.Cpu;

namespace Spamp.Tests.Layers;

/// <summary>The fused scaled-dot-product attention kernel: PyTorch parity, gradient checks, dropout, memory.</summary>
[TestFixture]
public class AttentionKernelTests
{
    private static readonly string[] SdpaCases = ["causal", "key_padding", "causal_and_padding", "cross_tq3_tk7_attn_mask", "fully_masked_row"];

    private static Variable Run(JsonElement c, Variable q, Variable k, Variable v)
    {
        using Tensor? padding = AttentionReference.LoadMask(c.GetProperty("key_padding_mask"));
        using Tensor? allowed = AttentionReference.LoadMask(c.GetProperty("attn_mask"));
        return Variable.ScaledDotProductAttention(q, k, v, attnMask: allowed, isCausal: c.GetProperty("causal").GetBoolean(), keyPaddingMask: padding);
    }

    [TestCaseSource(nameof(SdpaCases))]
    public void MatchesPyTorchInFloat32(string name) => CheckCase(name, DType.Float32, "", 1e-5);

    [TestCaseSource(nameof(SdpaCases))]
    public void MatchesPyTorchInFloat64(string name) => CheckCase(name, DType.Float64, "64", 1e-12);

    private static void CheckCase(string name, DType dtype, string suffix, double rtol)
    {
        using var scope = TensorScope.Begin();
        JsonElement c = AttentionReference.Case("sdpa", name);
        JsonElement[] inputs = [.. c.GetProperty("inputs").EnumerateArray()];
        Variable[] x = [.. inputs.Select(i => new Variable(AttentionReference.Load(i, dtype), requiresGrad: true))];
        Variable y = Run(c, x[0], x[1], x[2]);
        AttentionReference.AssertClose(y.Data, c.GetProperty("output" + suffix), rtol, $"{name} output");
        y.Backward(AttentionReference.Load(c.GetProperty("upstream"), dtype));
        JsonElement[] grads = [.. c.GetProperty("grads" + suffix).EnumerateArray()];
        string[] names = ["dQ", "dK", "dV"];
        for (int i = 0; i < 3; i++)
        {
            AttentionReference.AssertClose(x[i].Grad!, grads[i], rtol, $"{name} {names[i]}");
        }
    }

    [Test]
    public void FullyMaskedRowsGiveZeroOutputAndZeroGradient()
    {
        using var scope = TensorScope.Begin();
        var q = new Variable(Tensor.Randn([1, 1, 3, 4], generator: new Generator(1)), requiresGrad: true);
        var k = new Variable(Tensor.Randn([1, 1, 3, 4], generator: new Generator(2)), requiresGrad: true);
        var v = new Variable(Tensor.Randn([1, 1, 3, 4], generator: new Generator(3)), requiresGrad: true);
        using Tensor none = Tensor.From<bool>([true, true, true], [1, 3]);
        Variable y = Variable.ScaledDotProductAttention(q, k, v, keyPaddingMask: none);
        Assert.That(y.Data.ToArray<float>(), Is.All.EqualTo(0f));
        y.Backward(Tensor.Ones([1, 1, 3, 4]));
        Assert.That(q.Grad!.ToArray<float>(), Is.All.EqualTo(0f));
        Assert.That(k.Grad!.ToArray<float>(), Is.All.EqualTo(0f));
        Assert.That(v.Grad!.ToArray<float>(), Is.All.EqualTo(0f));
    }

    private static Tensor[] Inputs(int b, int h, int tq, int tk, int d, int dv, ulong seed) =>
    [
        Tensor.Randn([b, h, tq, d], DType.Float64, generator: new Generator(seed)),
        Tensor.Randn([b, h, tk, d], DType.Float64, generator: new Generator(seed + 1)),
        Tensor.Randn([b, h, tk, dv], DType.Float64, generator: new Generator(seed + 2)),
    ];

    [Test]
    public void GradCheckCausal()
    {
        using var scope = TensorScope.Begin();
        var result = GradCheck.Check(x => Variable.ScaledDotProductAttention(x[0], x[1], x[2], isCausal: true), Inputs(2, 2, 4, 4, 3, 2, 10));
        Assert.That(result.Passed, result.Report);
    }

    [Test]
    public void GradCheckKeyPaddingCrossAttention()
    {
        using var scope = TensorScope.Begin();
        using Tensor padding = Tensor.From<bool>([false, false, true, false, false, false, true, true, false, true], [2, 5]);
        var result = GradCheck.Check(x => Variable.ScaledDotProductAttention(x[0], x[1], x[2], keyPaddingMask: padding), Inputs(2, 2, 3, 5, 3, 4, 20));
        Assert.That(result.Passed, result.Report);
    }

    [Test]
    public void GradCheckBoolAndAdditiveMasksWithScale()
    {
        using var scope = TensorScope.Begin();
        using Tensor allowed = Tensor.From<bool>([true, false, true, true, true, false, false, true, true, false, false, false], [3, 4]);
        using Tensor bias = Tensor.Randn([1, 2, 3, 4], DType.Float64, generator: new Generator(5));
        var boolResult = GradCheck.Check(x => Variable.ScaledDotProductAttention(x[0], x[1], x[2], attnMask: allowed, scale: 0.7), Inputs(1, 2, 3, 4, 2, 3, 30));
        Assert.That(boolResult.Passed, boolResult.Report);
        var addResult = GradCheck.Check(x => Variable.ScaledDotProductAttention(x[0], x[1], x[2], attnMask: bias, isCausal: true), Inputs(1, 2, 3, 4, 2, 3, 40));
        Assert.That(addResult.Passed, addResult.Report);
    }

    [Test]
    public void GradCheckNonContiguousHeadViews()
    {
        // Heads sliced out of a [B, T, 3*H*D] projection, as MultiheadAttention does: no copies on the way in.
        using var scope = TensorScope.Begin();
        using Tensor packed = Tensor.Randn([2, 4, 3 * 2 * 3], DType.Float64, generator: new Generator(50));
        var result = GradCheck.Check(x =>
        {
            Variable split(int part) => x[0].Slice(-1, part * 6, (part * 6) + 6).Reshape(2, 4, 2, 3).Permute(0, 2, 1, 3);
            return Variable.ScaledDotProductAttention(split(0), split(1), split(2), isCausal: true).Permute(0, 2, 1, 3).Reshape(2, 4, 6);
        }, [packed]);
        Assert.That(result.Passed, result.Report);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void ManyRowBlocksMatchTheComposedOps(bool causal)
    {
        // 150 queries span three row blocks of the kernel (the causal ones see growing key ranges);
        // the reference is the same computation in plain differentiable ops, in float64.
        using var scope = TensorScope.Begin();
        Tensor[] x = Inputs(2, 3, 150, 150, 16, 8, 80);
        bool[] pad = new bool[2 * 150];
        pad[149] = pad[150 + 3] = pad[150 + 100] = true;
        using Tensor padding = Tensor.From<bool>(pad, [2, 150]);
        var bias = new double[2 * 1 * 150 * 150];
        for (int b = 0; b < 2; b++)
        {
            for (int i = 0; i < 150; i++)
            {
                for (int j = 0; j < 150; j++)
                {
                    bool hidden = pad[(b * 150) + j] || (causal && j > i);
                    bias[(((b * 150) + i) * 150) + j] = hidden ? double.NegativeInfinity : 0;
                }
            }
        }

        using Tensor additive = Tensor.From<double>(bias, [2, 1, 150, 150]);
        using Tensor upstream = Tensor.Randn([2, 3, 150, 8], DType.Float64, generator: new Generator(81));
        Variable[] fused = [.. x.Select(t => new Variable(t.Clone(), requiresGrad: true))];
        Variable[] plain = [.. x.Select(t => new Variable(t.Clone(), requiresGrad: true))];
        Variable y = Variable.ScaledDotProductAttention(fused[0], fused[1], fused[2], isCausal: causal, keyPaddingMask: padding);
        Variable scores = (Variable.MatMul(plain[0], plain[1].Transpose(-1, -2)) * 0.25) + new Variable(additive.Alias());
        Variable reference = Variable.MatMul(scores.Softmax(-1), plain[2]);
        Assert.That(y.Data.ToArray<double>(), Is.EqualTo(reference.Data.ToArray<double>()).Within(1e-12));
        y.Backward(upstream);
        reference.Backward(upstream);
        for (int i = 0; i < 3; i++)
        {
            Assert.That(fused[i].Grad!.ToArray<double>(), Is.EqualTo(plain[i].Grad!.ToArray<double>()).Within(1e-11), $"input {i}");
        }
    }

    [Test]
    public void DropoutRegeneratesTheSameMaskInBackward()
    {
        // A fresh generator per evaluation fixes (seed, offset): gradcheck passes only if backward
        // rebuilds exactly the forward's mask.
        using var scope = TensorScope.Begin();
        var result = GradCheck.Check(
            x => Variable.ScaledDotProductAttention(x[0], x[1], x[2], dropoutP: 0.3, isCausal: true, generator: new Generator(1234)),
            Inputs(2, 2, 4, 5, 3, 3, 60));
        Assert.That(result.Passed, result.Report);
    }

    [Test]
    public void DropoutMaskIsTheDocumentedPhiloxDraw()
    {
        using var scope = TensorScope.Begin();
        const int B = 2, H = 2, T = 5, D = 3;
        const double P = 0.25;
        Tensor[] x = Inputs(B, H, T, T, D, D, 70);
        var generator = new Generator(99);
        ulong offset = generator.Offset;
        using Tensor fused = Tensor.ScaledDotProductAttention(x[0], x[1], x[2], dropoutP: P, generator: generator);
        Assert.That(generator.Offset, Is.EqualTo(offset + PhiloxStream.BlocksFor32(B * H * T * T)), "one counter range reserved");

        var keep = new double[B * H * T * T];
        for (int i = 0; i < keep.Length; i++)
        {
            keep[i] = PhiloxStream.Bernoulli(99, offset, i, 1 - P) ? 1 / (1 - P) : 0;
        }

        using Tensor kt = x[1].Transpose(-1, -2);
        using Tensor scores = Tensor.MatMul(x[0], kt) * (1 / Math.Sqrt(D));
        using Tensor weights = scores.Softmax(-1);
        using Tensor z = Tensor.From<double>(keep, [B, H, T, T]);
        using Tensor dropped = weights * z;
        using Tensor expected = Tensor.MatMul(dropped, x[2]);
        double[] a = fused.ToArray<double>(), e = expected.ToArray<double>();
        Assert.That(a, Is.EqualTo(e).Within(1e-12));
    }

    [Test]
    public void ValidationNamesTheArgument()
    {
        using var scope = TensorScope.Begin();
        Tensor q = Tensor.Zeros([1, 2, 3, 4]), k = Tensor.Zeros([1, 2, 5, 4]), v = Tensor.Zeros([1, 2, 5, 6]);
        Assert.That(() => Tensor.ScaledDotProductAttention(q, Tensor.Zeros([1, 2, 5, 3]), v),
            Throws.TypeOf<ShapeMismatchException>().With.Message.Contains("key"));
        Assert.That(() => Tensor.ScaledDotProductAttention(q, k, Tensor.Zeros([1, 2, 4, 6])),
            Throws.TypeOf<ShapeMismatchException>().With.Message.Contains("value"));
        Assert.That(() => Tensor.ScaledDotProductAttention(q, k, v, keyPaddingMask: Tensor.Zeros([1, 5])),
            Throws.TypeOf<ShapeMismatchException>().With.Message.Contains("key_padding_mask"));
        Assert.That(() => Tensor.ScaledDotProductAttention(q, k, v, attnMask: Tensor.Zeros([4, 5])),
            Throws.TypeOf<ShapeMismatchException>().With.Message.Contains("attn_mask"));
        Assert.That(() => Tensor.ScaledDotProductAttention(Tensor.Zeros([2, 3, 4]), k, v),
            Throws.TypeOf<ShapeMismatchException>().With.Message.Contains("query"));
    }

    [Test]
    [NonParallelizable]
    public void LongSequencesDoNotAllocateTheScoreMatrix()
    {
        const int B = 1, H = 4, T = 1024, D = 32;
        long scoreBytes = (long)B * H * T * T * sizeof(float);
        using var scope = TensorScope.Begin();
        var q = new Variable(Tensor.Randn([B, H, T, D], generator: new Generator(1)), requiresGrad: true);
        var k = new Variable(Tensor.Randn([B, H, T, D], generator: new Generator(2)), requiresGrad: true);
        var v = new Variable(Tensor.Randn([B, H, T, D], generator: new Generator(3)), requiresGrad: true);
        using Tensor upstream = Tensor.Randn([B, H, T, D], generator: new Generator(4));

        // Every buffer the pool hands out during the call is live or cached afterwards, so the growth
        // of (live + cached) after emptying the cache bounds the peak live memory of the call.
        var allocator = CpuBackend.Instance.Allocator;
        allocator.EmptyCache();
        var before = allocator.Stats;
        Variable y = Variable.ScaledDotProductAttention(q, k, v, isCausal: true);
        var afterForward = allocator.Stats;
        y.Backward(upstream);
        var afterBackward = allocator.Stats;
        long forward = afterForward.LiveBytes + afterForward.CachedBytes - before.LiveBytes - before.CachedBytes;
        long total = afterBackward.LiveBytes + afterBackward.CachedBytes - before.LiveBytes - before.CachedBytes;
        TestContext.Out.WriteLine($"forward {forward} bytes, forward+backward {total} bytes, one score matrix per batch {scoreBytes} bytes");
        Assert.That(forward, Is.LessThan(scoreBytes / 4), "forward");
        Assert.That(total, Is.LessThan(scoreBytes / 2), "forward + backward");
    }
}
