using System.Text;
using NUnit.Framework;
using Spamp.Backends;
using Spamp.Backends.Cpu;
using Spamp.Backends.Cuda;
using Spamp.Backends.Kernels;
using Spamp.Memory;
using static Spamp.Tests.Backends.BackendTestSupport;

namespace Spamp.Tests.Backends;

/// <summary>
/// The native GPU kernels of layer norm (and RMS norm), the fused cross-entropy and fused attention
/// against the CPU backend on random shapes: odd sizes, sequences that are not a multiple of the
/// attention tile, head sizes from 1 past one output chunk (64), causal and masked scores, heads read
/// in place from strided views, ignored targets, label smoothing and class weights. Runs on OpenCL
/// (PoCL on CI); the CUDA dialect of the same sources is compiled with NVRTC where it is installed.
/// </summary>
/// <remarks>
/// Tolerances are relative to the largest magnitude of the reference output: float32 within 1e-5
/// (layer norm, cross-entropy) and 5e-5 (attention, whose gradients add up two recomputed
/// products per score; about 1e-6 is seen), float64 within 1e-12. The kernels and the CPU sum in
/// different orders, so they agree to rounding, not bits.
/// </remarks>
public sealed class GpuLayerKernelsTests
{
    private readonly System.Random _random = new(20260305);
    private readonly Backend _cpu = CpuBackend.Instance;
    private Backend _gpu = null!;

    [OneTimeSetUp]
    public void FindDevice()
    {
        if (!Device.IsAvailable(DeviceKind.OpenCl, out string reason))
        {
            Assert.Ignore($"no OpenCL device: {reason}");
        }

        _gpu = BackendRegistry.For(Device.OpenCl(0));
    }

    private static double Tolerance(DType dtype, double float32) => dtype == DType.Float32 ? float32 : 1e-12;

    // Element-wise closeness with the absolute part scaled to the reference's largest finite magnitude, or to
    // `floor` when that is larger (a result that cancels to near 0 is rounding noise of its terms' size).
    private static void AssertNear(double[] actual, double[] expected, double tolerance, string what, double floor = 0)
    {
        double scale = expected.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
        AssertClose(actual, expected, tolerance, tolerance * Math.Max(Math.Max(scale, floor), 1e-30), what);
    }

    // The same values in a storage on each backend.
    private (Storage Cpu, Storage Gpu) Both(StorageScope scope, DType dtype, double[] values) =>
        (scope.Add(Store(_cpu, dtype, values)), scope.Add(Store(_gpu, dtype, values)));

    private (Storage Cpu, Storage Gpu) Outputs(StorageScope scope, DType dtype, int count) =>
        (scope.Add(Output(_cpu, dtype, count)), scope.Add(Output(_gpu, dtype, count)));

    private void AssertSame((Storage Cpu, Storage Gpu) pair, Layout layout, double tolerance, string what, double floor = 0) =>
        AssertNear(Read(_gpu, pair.Gpu, layout), Read(_cpu, pair.Cpu, layout), tolerance, what, floor);

    private void AssertSame((Storage Cpu, Storage Gpu) pair, int count, double tolerance, string what, double floor = 0) =>
        AssertSame(pair, Layout.Contiguous(new Shape(count)), tolerance, what, floor);

    private double MaxAbs((Storage Cpu, Storage Gpu) pair, int count) => Read(_cpu, pair.Cpu, count).Select(Math.Abs).Max();

    // ---- layer norm --------------------------------------------------------------------------------

    [Test]
    public void LayerNormAndItsGradientsAgreeWithTheCpu([Values(DType.Float32, DType.Float64)] DType dtype, [Values(false, true)] bool rms)
    {
        (int Rows, int Cols)[] shapes = [(1, 1), (5, 3), (7, 17), (33, 64), (3, 300), (2, 1025), (70, 40)];
        double tol = Tolerance(dtype, 1e-5);
        for (int round = 0; round < shapes.Length; round++)
        {
            var (rows, cols) = shapes[round];
            bool hasWeight = round % 3 != 1, hasBias = !rms && round % 3 != 2;
            string what = $"{(rms ? "rms" : "layer")}_norm {dtype} [{rows}, {cols}] weight {hasWeight} bias {hasBias}";
            using var scope = new StorageScope();

            // An offset from zero (mean 3) so that the centring matters.
            var x = Both(scope, dtype, [.. RandomValues(_random, dtype, rows * cols).Select(v => RoundTo(dtype, v + 3))]);
            var weight = hasWeight ? Both(scope, dtype, RandomValues(_random, dtype, cols)) : default;
            var bias = hasBias ? Both(scope, dtype, RandomValues(_random, dtype, cols)) : default;
            var y = Outputs(scope, dtype, rows * cols);
            var mean = rms ? default : Outputs(scope, dtype, rows);
            var rstd = Outputs(scope, dtype, rows);
            _cpu.LayerNorm(x.Cpu, rows, cols, weight.Cpu, bias.Cpu, 1e-5, rms, y.Cpu, mean.Cpu, rstd.Cpu);
            _gpu.LayerNorm(x.Gpu, rows, cols, weight.Gpu, bias.Gpu, 1e-5, rms, y.Gpu, mean.Gpu, rstd.Gpu);
            AssertSame(y, rows * cols, tol, what + ": y");
            AssertSame(rstd, rows, tol, what + ": rstd");
            if (!rms)
            {
                AssertSame(mean, rows, tol, what + ": mean");
            }

            // Every subset of the gradients, one per round.
            bool wantInput = round % 4 != 3, wantWeight = round % 2 == 0 || round == 3, wantBias = round % 4 != 2;
            var dy = Both(scope, dtype, RandomValues(_random, dtype, rows * cols));
            var dx = wantInput ? Outputs(scope, dtype, rows * cols) : default;
            var dw = wantWeight ? Outputs(scope, dtype, cols) : default;
            var db = wantBias ? Outputs(scope, dtype, cols) : default;
            _cpu.LayerNormBackward(x.Cpu, dy.Cpu, mean.Cpu, rstd.Cpu, weight.Cpu, rows, cols, rms, dx.Cpu, dw.Cpu, db.Cpu);
            _gpu.LayerNormBackward(x.Gpu, dy.Gpu, mean.Gpu, rstd.Gpu, weight.Gpu, rows, cols, rms, dx.Gpu, dw.Gpu, db.Gpu);
            if (wantInput)
            {
                // dx = rstd (g - mean(g) - xhat mean(g xhat)) cancels to noise for very short rows (exactly 0 at cols = 1).
                double terms = MaxAbs(dy, rows * cols) * MaxAbs(rstd, rows) * (hasWeight ? MaxAbs(weight, cols) : 1);
                AssertSame(dx, rows * cols, tol, what + ": dx", terms);
            }

            if (wantWeight)
            {
                AssertSame(dw, cols, tol, what + ": dweight");
            }

            if (wantBias)
            {
                AssertSame(db, cols, tol, what + ": dbias");
            }
        }
    }

    // ---- cross-entropy -----------------------------------------------------------------------------

    [Test]
    public void CrossEntropyAndItsGradientAgreeWithTheCpu([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        (int Outer, int Classes, int Inner)[] shapes = [(1, 1, 1), (9, 5, 1), (4, 3, 7), (6, 1000, 1), (3, 37, 5), (1, 300, 2), (64, 10, 1)];
        double tol = Tolerance(dtype, 1e-5);
        for (int round = 0; round < shapes.Length * 2; round++)
        {
            var (outer, classes, inner) = shapes[round % shapes.Length];
            bool hasWeight = round % 3 != 0;
            double smoothing = round % 2 == 0 ? 0 : 0.15;
            long ignoreIndex = round % 4 < 2 ? -100 : Math.Min(2, classes - 1);
            int samples = outer * inner;
            string what = $"cross_entropy {dtype} [{outer}, {classes}, {inner}] weight {hasWeight} smoothing {smoothing} ignore {ignoreIndex}";
            using var scope = new StorageScope();

            var logits = Both(scope, dtype, RandomValues(_random, dtype, outer * classes * inner, 4));
            double[] targets = [.. Enumerable.Range(0, samples).Select(_ => _random.Next(5) == 0 ? ignoreIndex : (double)_random.Next(classes))];
            var target = Both(scope, DType.Int64, targets);
            var weight = hasWeight ? Both(scope, dtype, [.. RandomValues(_random, dtype, classes).Select(v => RoundTo(dtype, Math.Abs(v) + 0.1))]) : default;
            var loss = Outputs(scope, dtype, samples);
            var lse = Outputs(scope, dtype, samples);
            var sampleWeight = Outputs(scope, dtype, samples);
            _cpu.CrossEntropy(logits.Cpu, outer, classes, inner, target.Cpu, weight.Cpu, ignoreIndex, smoothing, loss.Cpu, lse.Cpu, sampleWeight.Cpu);
            _gpu.CrossEntropy(logits.Gpu, outer, classes, inner, target.Gpu, weight.Gpu, ignoreIndex, smoothing, loss.Gpu, lse.Gpu, sampleWeight.Gpu);
            AssertSame(loss, samples, tol, what + ": loss");
            AssertSame(lse, samples, tol, what + ": logsumexp");
            AssertSame(sampleWeight, samples, tol, what + ": sample weight");

            var gradLoss = Both(scope, dtype, RandomValues(_random, dtype, samples));
            var gradLogits = Outputs(scope, dtype, outer * classes * inner);
            _cpu.CrossEntropyBackward(logits.Cpu, outer, classes, inner, target.Cpu, weight.Cpu, ignoreIndex, smoothing, lse.Cpu, gradLoss.Cpu, gradLogits.Cpu);
            _gpu.CrossEntropyBackward(logits.Gpu, outer, classes, inner, target.Gpu, weight.Gpu, ignoreIndex, smoothing, lse.Gpu, gradLoss.Gpu, gradLogits.Gpu);
            AssertSame(gradLogits, outer * classes * inner, tol, what + ": grad logits");
        }
    }

    // ---- attention ---------------------------------------------------------------------------------

    /// <summary>One attention problem: sizes, operand layouts, masks and dropout.</summary>
    private sealed record AttentionCase(int B, int H, int Tq, int Tk, int D, int Dv, bool Causal, string QueryKind, string KeyKind,
        string GradKind, string Mask, bool Padding, double Dropout)
    {
        public override string ToString() =>
            $"B{B} H{H} Tq{Tq} Tk{Tk} D{D} Dv{Dv} causal {Causal} q {QueryKind} kv {KeyKind} grads {GradKind} mask {Mask} padding {Padding} dropout {Dropout}";
    }

    /// <summary>
    /// A [B, H, T, W] layout of one kind: contiguous; heads of a [B, T, H, W] projection; rows padded
    /// apart with an offset; or (inputs only) one matrix shared by every head (head stride 0).
    /// </summary>
    private static Layout HeadLayout(string kind, int b, int h, int t, int w) => kind switch
    {
        "contiguous" => Layout.Contiguous(new Shape(b, h, t, w)),
        "heads" => new Layout(new Shape(b, h, t, w), [t * h * w, w, h * w, 1], 0),
        "padded" => new Layout(new Shape(b, h, t, w), [(h * ((t * (w + 3)) + 1)) + 2, (t * (w + 3)) + 1, w + 3, 1], 5),
        "shared" => new Layout(new Shape(b, h, t, w), [t * w, 0, w, 1], 2),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static readonly int[] HeadSizes = [1, 2, 5, 16, 17, 33, 64, 65, 80];

    private AttentionCase RandomCase(int round)
    {
        string[] inputs = ["contiguous", "heads", "padded", "shared"];
        string[] outputs = ["contiguous", "heads", "padded"];
        string[] masks = ["none", "bool-broadcast", "bool-full", "additive"];
        return new AttentionCase(
            B: _random.Next(1, 3), H: _random.Next(1, 4), Tq: _random.Next(1, 41), Tk: _random.Next(1, 41),
            D: HeadSizes[_random.Next(HeadSizes.Length)], Dv: HeadSizes[_random.Next(HeadSizes.Length)],
            Causal: round % 2 == 1, QueryKind: outputs[_random.Next(outputs.Length)], KeyKind: inputs[_random.Next(inputs.Length)],
            GradKind: outputs[_random.Next(outputs.Length)], Mask: masks[round % masks.Length], Padding: round % 3 == 2, Dropout: 0);
    }

    [Test]
    public void AttentionAndItsGradientsAgreeWithTheCpu([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        for (int round = 0; round < 12; round++)
        {
            RunAttention(dtype, RandomCase(round));
        }
    }

    [Test]
    public void AttentionEdgeCasesAgreeWithTheCpu([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        // A single query and key; a query tile wider than the keys under a causal mask; exactly one
        // tile; the GPT-sized head of the timing; a key padding mask that hides whole batches.
        AttentionCase[] cases =
        [
            new(1, 1, 1, 1, 1, 1, false, "contiguous", "contiguous", "contiguous", "none", false, 0),
            new(1, 2, 37, 5, 8, 3, true, "heads", "heads", "heads", "none", false, 0),
            new(2, 1, 16, 16, 16, 16, true, "contiguous", "shared", "padded", "additive", false, 0),
            new(2, 2, 64, 64, 16, 16, true, "heads", "heads", "heads", "none", false, 0),
            new(3, 2, 20, 18, 7, 9, false, "padded", "padded", "contiguous", "bool-full", true, 0),
        ];
        foreach (AttentionCase c in cases)
        {
            RunAttention(dtype, c);
        }
    }

    [Test]
    public void AttentionWithDropoutDrawsTheCpuMask([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        RunAttention(dtype, new AttentionCase(2, 2, 23, 29, 12, 10, false, "heads", "contiguous", "heads", "none", false, 0.3));
        RunAttention(dtype, new AttentionCase(1, 3, 40, 17, 33, 65, true, "contiguous", "padded", "padded", "additive", true, 0.5));
        RunAttention(dtype, new AttentionCase(1, 1, 9, 9, 4, 4, false, "contiguous", "contiguous", "contiguous", "none", false, 1.0));
    }

    private void RunAttention(DType dtype, AttentionCase c)
    {
        string what = $"attention {dtype} {c}";
        using var scope = new StorageScope();
        Layout ql = HeadLayout(c.QueryKind, c.B, c.H, c.Tq, c.D);
        Layout kl = HeadLayout(c.KeyKind, c.B, c.H, c.Tk, c.D);
        Layout vl = HeadLayout(c.KeyKind, c.B, c.H, c.Tk, c.Dv);
        Layout ol = HeadLayout(c.GradKind, c.B, c.H, c.Tq, c.Dv);
        var query = Both(scope, dtype, RandomValues(_random, dtype, ql.StorageExtent));
        var key = Both(scope, dtype, RandomValues(_random, dtype, kl.StorageExtent));
        var value = Both(scope, dtype, RandomValues(_random, dtype, vl.StorageExtent));
        var output = Outputs(scope, dtype, ol.StorageExtent);
        var lse = Outputs(scope, dtype, c.B * c.H * c.Tq);

        (Storage Cpu, Storage Gpu)? padding = null;
        Layout? paddingLayout = null;
        if (c.Padding)
        {
            // Batch 0 hides every key when there are several batches (its rows see nothing), the rest a few.
            double[] hide = [.. Enumerable.Range(0, c.B * c.Tk).Select(e => (c.B > 1 && e < c.Tk) || _random.Next(4) == 0 ? 1.0 : 0.0)];
            padding = Both(scope, DType.Bool, hide);
            paddingLayout = Layout.Contiguous(new Shape(c.B, c.Tk));
        }

        (Storage Cpu, Storage Gpu)? mask = null;
        Layout? maskLayout = null;
        var full = new Shape(c.B, c.H, c.Tq, c.Tk);
        switch (c.Mask)
        {
            case "bool-broadcast":
                // [Tq, Tk] shared by every batch and head, mostly visible.
                mask = Both(scope, DType.Bool, [.. Enumerable.Range(0, c.Tq * c.Tk).Select(_ => _random.Next(5) == 0 ? 0.0 : 1.0)]);
                maskLayout = new Layout(full, [0, 0, c.Tk, 1], 0);
                break;
            case "bool-full":
                mask = Both(scope, DType.Bool, [.. Enumerable.Range(0, full.Numel).Select(_ => _random.Next(3) == 0 ? 0.0 : 1.0)]);
                maskLayout = Layout.Contiguous(full);
                break;
            case "additive":
                // [B, 1, Tq, Tk] broadcast over heads, with some hidden (-infinity) entries.
                mask = Both(scope, dtype, [.. RandomValues(_random, dtype, c.B * c.Tq * c.Tk).Select(v => v > 1.6 ? double.NegativeInfinity : v)]);
                maskLayout = new Layout(full, [c.Tq * c.Tk, 0, c.Tk, 1], 0);
                break;
        }

        var args = new AttentionArgs(1 / Math.Sqrt(c.D) * 1.3, c.Causal, c.Dropout, 0x5eed, (ulong)_random.Next(1000));
        BufferView? Padding(bool gpu) => padding is { } p ? new BufferView(gpu ? p.Gpu : p.Cpu, paddingLayout!) : null;
        BufferView? Mask(bool gpu) => mask is { } m ? new BufferView(gpu ? m.Gpu : m.Cpu, maskLayout!) : null;
        foreach (bool gpu in new[] { false, true })
        {
            Backend backend = gpu ? _gpu : _cpu;
            Storage Pick((Storage Cpu, Storage Gpu) pair) => gpu ? pair.Gpu : pair.Cpu;
            backend.AttentionForward(args, new(Pick(query), ql), new(Pick(key), kl), new(Pick(value), vl), Padding(gpu), Mask(gpu),
                new(Pick(output), ol), Pick(lse));
        }

        double tol = Tolerance(dtype, 5e-5);
        AssertSame(output, ol, tol, what + ": output");
        AssertSame(lse, c.B * c.H * c.Tq, tol, what + ": logsumexp");

        Layout dql = HeadLayout(c.GradKind, c.B, c.H, c.Tq, c.D);
        Layout dkl = HeadLayout(c.GradKind, c.B, c.H, c.Tk, c.D);
        Layout dvl = HeadLayout(c.GradKind, c.B, c.H, c.Tk, c.Dv);
        var gradOutput = Both(scope, dtype, RandomValues(_random, dtype, ol.StorageExtent));
        var gradQuery = Outputs(scope, dtype, dql.StorageExtent);
        var gradKey = Outputs(scope, dtype, dkl.StorageExtent);
        var gradValue = Outputs(scope, dtype, dvl.StorageExtent);
        foreach (bool gpu in new[] { false, true })
        {
            Backend backend = gpu ? _gpu : _cpu;
            Storage Pick((Storage Cpu, Storage Gpu) pair) => gpu ? pair.Gpu : pair.Cpu;
            backend.AttentionBackward(args, new(Pick(query), ql), new(Pick(key), kl), new(Pick(value), vl), Padding(gpu), Mask(gpu),
                new(Pick(output), ol), new(Pick(gradOutput), ol), Pick(lse), new(Pick(gradQuery), dql), new(Pick(gradKey), dkl), new(Pick(gradValue), dvl));
        }

        AssertSame(gradQuery, dql, tol, what + ": grad query");
        AssertSame(gradKey, dkl, tol, what + ": grad key");
        AssertSame(gradValue, dvl, tol, what + ": grad value");
    }

    // ---- no waiting, and the CUDA dialect ----------------------------------------------------------

    [Test]
    public void TheLayerKernelsNeverWaitForTheDevice()
    {
        using var scope = new StorageScope();
        const int Rows = 24, Cols = 32, B = 2, H = 2, T = 20, D = 16;
        Storage Random(int count) => scope.Add(Store(_gpu, DType.Float32, RandomValues(_random, DType.Float32, count)));
        Storage Empty(int count) => scope.Add(Storage.Allocate(_gpu, DType.Float32, count));
        Storage x = Random(Rows * Cols), weight = Random(Cols), bias = Random(Cols), dy = Random(Rows * Cols);
        Storage y = Empty(Rows * Cols), mean = Empty(Rows), rstd = Empty(Rows), dx = Empty(Rows * Cols), dw = Empty(Cols), db = Empty(Cols);
        Storage target = scope.Add(Store(_gpu, DType.Int64, [.. Enumerable.Range(0, Rows).Select(i => (double)(i % Cols))]));
        Storage loss = Empty(Rows), lse = Empty(Rows), sampleWeight = Empty(Rows), gradLoss = Random(Rows), gradLogits = Empty(Rows * Cols);
        var layout = Layout.Contiguous(new Shape(B, H, T, D));
        Storage q = Random(layout.Numel), k = Random(layout.Numel), v = Random(layout.Numel), o = Empty(layout.Numel), attnLse = Empty(B * H * T);
        Storage dO = Random(layout.Numel), dq = Empty(layout.Numel), dk = Empty(layout.Numel), dv = Empty(layout.Numel);
        var args = new AttentionArgs(0.25, true, 0.1, 7, 0);

        long before = _gpu.Synchronizations;
        _gpu.LayerNorm(x, Rows, Cols, weight, bias, 1e-5, false, y, mean, rstd);
        _gpu.LayerNormBackward(x, dy, mean, rstd, weight, Rows, Cols, false, dx, dw, db);
        _gpu.CrossEntropy(y, Rows, Cols, 1, target, weight, -100, 0.1, loss, lse, sampleWeight);
        _gpu.CrossEntropyBackward(y, Rows, Cols, 1, target, weight, -100, 0.1, lse, gradLoss, gradLogits);
        _gpu.AttentionForward(args, new(q, layout), new(k, layout), new(v, layout), null, null, new(o, layout), attnLse);
        _gpu.AttentionBackward(args, new(q, layout), new(k, layout), new(v, layout), null, null, new(o, layout), new(dO, layout), attnLse,
            new(dq, layout), new(dk, layout), new(dv, layout));
        Assert.That(_gpu.Synchronizations, Is.EqualTo(before), "layer norm, cross-entropy and attention only queue work");

        double[] values = Read(_gpu, dq, layout.Numel);
        Assert.That(values.All(double.IsFinite), Is.True);
        Assert.That(_gpu.Synchronizations, Is.EqualTo(before + 1), "reading the result is the one synchronisation");
    }

    [Test]
    public void SharedHeadersAreInlinedIntoEachFamilyThatIncludesThem()
    {
        foreach (var dialect in new[] { KernelDialect.OpenCl, KernelDialect.Cuda })
        {
            foreach (string family in new[] { "random", "attention" })
            {
                string source = KernelSource.For(dialect, family);
                Assert.That(source, Does.Contain("DEVICE void philox("), family);
                Assert.That(source, Does.Not.Contain("#include"), family);
            }

            Assert.That(KernelSource.For(dialect, "layernorm"), Does.Contain("DEVICE T group_sum("));
            Assert.That(KernelSource.For(dialect, "softmax"), Does.Not.Contain("philox"), "a family gets only what it includes");
        }
    }

    [Test]
    public void TheLayerFamiliesCompileAsCudaC([Values("layernorm", "losses", "attention")] string family, [Values("float", "double")] string type)
    {
        if (!Nvrtc.TryLoad(out string detail))
        {
            Assert.Ignore($"NVRTC is not installed: {detail}");
        }

        // The definitions a device with fp64 compiles these families with (GpuBackend.Definitions), as #define lines:
        // NVRTC applies -D options to its built-in headers too, where a macro named T breaks their templates.
        string[] definitions = ["SPAMP_FP64", "SCALAR double", $"T {type}", "IS_FLOAT 1"];
        string source = string.Concat(definitions.Select(d => $"#define {d}\n")) + KernelSource.For(KernelDialect.Cuda, family);
        byte[] ptx = Nvrtc.CompileToPtx(source, family + ".cu", ["-fmad=false"]);
        Assert.That(Encoding.ASCII.GetString(ptx), Does.Contain(".entry"), $"{family}.cl as CUDA C with T={type}");
    }
}
