using NUnit.Framework;
using Spamp.Backends;
using Spamp.Backends.Cpu;
using Spamp.Memory;
using static Spamp.Tests.Backends.BackendTestSupport;

namespace Spamp.Tests.Backends;

/// <summary>
/// Data movement, casts and element-wise primitives of a <see cref="Backend"/> against naive
/// double-precision loops, over contiguous, sliced, permuted and broadcast layouts, odd sizes and
/// sizes above the parallel threshold.
/// </summary>
[TestFixtureSource(typeof(BackendSource), nameof(BackendSource.Backends))]
public sealed class CpuBackendElementwiseTests(Backend backend)
{
    private static readonly int[][] Shapes = [[], [0], [1], [7], [33, 5], [2, 3, 4], [300, 257]];

    private static readonly DType[] AllTypes = [DType.Float32, DType.Float64, DType.Float16, DType.BFloat16, DType.Int32, DType.Int64, DType.Bool];

    private readonly System.Random _random = new(1234);

    // ---- data movement -------------------------------------------------------------------------

    [Test]
    public void CopyBetweenStridedViewsMovesExactlyTheViewedElements([ValueSource(nameof(AllTypes))] DType dtype)
    {
        foreach (int[] shape in Shapes)
        {
            foreach (var srcView in Views(shape))
            {
                foreach (var dstView in Views(shape).Where(v => !v.Kind.StartsWith("broadcast", StringComparison.Ordinal)))
                {
                    double[] srcData = RandomValues(_random, dtype, srcView.StorageSize);
                    using var scope = new StorageScope();
                    Storage src = scope.Add(Store(backend, dtype, srcData));
                    Storage dst = scope.Add(Store(backend, dtype, new double[dstView.StorageSize]));
                    backend.Copy(src, srcView.Layout, dst, dstView.Layout);
                    AssertClose(Read(backend, dst, dstView.Layout), Logical(srcData, srcView.Layout), 0, 0, $"{dtype} {srcView} -> {dstView}");
                }
            }
        }
    }

    [Test]
    public void FillSetsOnlyTheView([ValueSource(nameof(AllTypes))] DType dtype)
    {
        foreach (var view in Views([33, 5]).Concat(Views([300, 257])).Concat(Views([])).Where(v => !v.Kind.StartsWith("broadcast", StringComparison.Ordinal)))
        {
            using var scope = new StorageScope();
            Storage dst = scope.Add(Store(backend, dtype, new double[view.StorageSize]));
            backend.Fill(dst, view.Layout, 1);
            double[] all = Read(backend, dst, view.StorageSize);
            double[] expected = new double[view.StorageSize];
            foreach (int _ in Enumerable.Range(0, 1))
            {
                var marks = Enumerable.Range(0, view.StorageSize).Select(i => (double)i).ToArray();
                foreach (double at in Logical(marks, view.Layout))
                {
                    expected[(int)at] = 1;
                }
            }

            AssertClose(all, expected, 0, 0, $"{dtype} {view}");
        }
    }

    [Test]
    public void ArangeCountsFromStartByStep()
    {
        using var scope = new StorageScope();
        Storage f = scope.Add(Output(backend, DType.Float32, 10));
        backend.Arange(f, 10, -1.5, 0.25);
        AssertClose(Read(backend, f, 10), [.. Enumerable.Range(0, 10).Select(i => -1.5 + (0.25 * i))], 0);
        Storage l = scope.Add(Output(backend, DType.Int64, 5));
        backend.Arange(l, 5, 3, 2);
        AssertClose(Read(backend, l, 5), [3, 5, 7, 9, 11], 0);
    }

    [Test]
    public void CastConvertsBetweenEveryPairOfTypes()
    {
        double[] values = [-2.7, -1, -0.5, 0, 0.5, 1, 2.7, 100.25, 3e4, -0.0];
        foreach (DType from in AllTypes)
        {
            foreach (DType to in AllTypes)
            {
                double[] source = [.. values.Select(v => RoundTo(from, from.IsInteger() ? Math.Truncate(v) : v))];
                using var scope = new StorageScope();
                Storage src = scope.Add(Store(backend, from, source));
                foreach (var view in Views([source.Length]))
                {
                    double[] storageData = new double[view.StorageSize];
                    for (int i = 0; i < storageData.Length; i++)
                    {
                        storageData[i] = source[i % source.Length];
                    }

                    Storage viewed = scope.Add(Store(backend, from, storageData));
                    Storage dst = scope.Add(Output(backend, to, source.Length));
                    backend.Cast(viewed, view.Layout, dst);
                    double[] expected = [.. Logical(storageData, view.Layout).Select(v => to.IsInteger() ? RoundTo(to, Math.Truncate(v)) : RoundTo(to, v))];
                    AssertClose(Read(backend, dst, source.Length), expected, 0, 0, $"{from} -> {to} ({view.Kind})");
                }
            }
        }
    }

    [Test]
    public void CastOfNaNToBoolIsTrue([Values(DType.Float32, DType.Float64, DType.Float16, DType.BFloat16)] DType from)
    {
        using var scope = new StorageScope();
        Storage src = scope.Add(Store(backend, from, [double.NaN, 0, -0.0]));
        Storage dst = scope.Add(Output(backend, DType.Bool, 3));
        backend.Cast(src, Layout.Contiguous(new Shape(3)), dst);
        AssertClose(Read(backend, dst, 3), [1, 0, 0], 0);
    }

    // ---- unary ---------------------------------------------------------------------------------

    private static readonly UnaryOp[] FloatUnaryOps = Enum.GetValues<UnaryOp>();

    private static readonly UnaryOp[] IntegerUnaryOps = [UnaryOp.Neg, UnaryOp.Abs, UnaryOp.Sign, UnaryOp.Square, UnaryOp.Relu, UnaryOp.Clamp];

    private static UnaryArgs ArgsFor(UnaryOp op) => op switch
    {
        UnaryOp.PowScalar => new UnaryArgs(3),
        UnaryOp.Clamp => new UnaryArgs(-0.5, 0.7),
        UnaryOp.LeakyRelu => new UnaryArgs(0.1),
        _ => default,
    };

    /// <summary>Inputs inside each function's domain.</summary>
    private static double Domain(UnaryOp op, double x) => op is UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Rsqrt or UnaryOp.Reciprocal ? Math.Abs(x) + 0.1 : x;

    internal static double Reference(UnaryOp op, double x, UnaryArgs args) => op switch
    {
        UnaryOp.Neg => -x,
        UnaryOp.Abs => Math.Abs(x),
        UnaryOp.Sign => double.IsNaN(x) ? x : Math.Sign(x),
        UnaryOp.Exp => Math.Exp(x),
        UnaryOp.Log => Math.Log(x),
        UnaryOp.Sqrt => Math.Sqrt(x),
        UnaryOp.Rsqrt => 1 / Math.Sqrt(x),
        UnaryOp.Square => x * x,
        UnaryOp.Reciprocal => 1 / x,
        UnaryOp.Relu => double.IsNaN(x) ? x : Math.Max(x, 0),
        UnaryOp.GeluTanh => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + (0.044715 * x * x * x)))),
        UnaryOp.GeluErf => 0.5 * x * (1 + SpecialFunctions.Erf(x / Math.Sqrt(2))),
        UnaryOp.Silu => x / (1 + Math.Exp(-x)),
        UnaryOp.Sigmoid => 1 / (1 + Math.Exp(-x)),
        UnaryOp.Tanh => Math.Tanh(x),
        UnaryOp.Sin => Math.Sin(x),
        UnaryOp.Cos => Math.Cos(x),
        UnaryOp.PowScalar => Math.Pow(x, args.A),
        UnaryOp.Clamp => double.IsNaN(x) ? x : Math.Min(Math.Max(x, args.A), args.B),
        UnaryOp.LeakyRelu => x > 0 ? x : args.A * x,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    [Test]
    public void UnaryMatchesReference([Values(DType.Float32, DType.Float64)] DType dtype, [ValueSource(nameof(FloatUnaryOps))] UnaryOp op)
    {
        UnaryArgs args = ArgsFor(op);
        foreach (int[] shape in Shapes)
        {
            foreach (var view in SampledViews(shape))
            {
                double[] data = [.. RandomValues(_random, dtype, view.StorageSize, 3).Select(x => RoundTo(dtype, Domain(op, x)))];
                using var scope = new StorageScope();
                Storage src = scope.Add(Store(backend, dtype, data));
                Storage dst = scope.Add(Output(backend, dtype, view.Layout.Numel));
                backend.Unary(op, src, view.Layout, dst, args);
                double[] expected = [.. Logical(data, view.Layout).Select(x => Reference(op, x, args))];
                double rel = dtype == DType.Float32 ? 2e-6 : 1e-13;
                AssertClose(Read(backend, dst, view.Layout.Numel), expected, rel, rel, $"{op} {dtype} {view}");
            }
        }
    }

    [Test]
    public void UnaryOnIntegers([Values(DType.Int32, DType.Int64)] DType dtype, [ValueSource(nameof(IntegerUnaryOps))] UnaryOp op)
    {
        UnaryArgs args = op == UnaryOp.Clamp ? new UnaryArgs(-3, 4) : default;
        foreach (var view in Views([33, 5]).Concat(SampledViews([300, 257])))
        {
            double[] data = RandomValues(_random, dtype, view.StorageSize);
            using var scope = new StorageScope();
            Storage src = scope.Add(Store(backend, dtype, data));
            Storage dst = scope.Add(Output(backend, dtype, view.Layout.Numel));
            backend.Unary(op, src, view.Layout, dst, args);
            AssertClose(Read(backend, dst, view.Layout.Numel), [.. Logical(data, view.Layout).Select(x => Reference(op, x, args))], 0, 0, $"{op} {dtype} {view}");
        }
    }

    [Test]
    public void UnaryNaNFollowsPyTorch([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        using var scope = new StorageScope();
        Storage src = scope.Add(Store(backend, dtype, [double.NaN, 0, -1]));
        Storage dst = scope.Add(Output(backend, dtype, 3));
        var layout = Layout.Contiguous(new Shape(3));
        backend.Unary(UnaryOp.Relu, src, layout, dst);
        AssertClose(Read(backend, dst, 3), [double.NaN, 0, 0], 0);
        backend.Unary(UnaryOp.Sign, src, layout, dst);
        AssertClose(Read(backend, dst, 3), [double.NaN, 0, -1], 0);
        backend.Unary(UnaryOp.Clamp, src, layout, dst, new UnaryArgs(double.NaN, -0.5));
        AssertClose(Read(backend, dst, 3), [double.NaN, -0.5, -1], 0);
    }

    [Test]
    public void ErfMatchesKnownValues()
    {
        // Values from high-precision tables.
        Assert.That(SpecialFunctions.Erf(0.5), Is.EqualTo(0.5204998778130465).Within(2e-16));
        Assert.That(SpecialFunctions.Erf(1), Is.EqualTo(0.8427007929497149).Within(2e-16));
        Assert.That(SpecialFunctions.Erf(-2), Is.EqualTo(-0.9953222650189527).Within(4e-16));
        Assert.That(SpecialFunctions.Erfc(3) / 2.209049699858544e-05, Is.EqualTo(1).Within(4e-15));
        Assert.That(SpecialFunctions.Erfc(5) / 1.5374597944280349e-12, Is.EqualTo(1).Within(4e-15));
        Assert.That(SpecialFunctions.Erfc(10) / 2.088487583762545e-45, Is.EqualTo(1).Within(4e-15));
        Assert.That(SpecialFunctions.Erfc(-1), Is.EqualTo(1.8427007929497148).Within(4e-16));
        Assert.That(SpecialFunctions.Erf(1e-10), Is.EqualTo(1.1283791670955126e-10).Within(1e-25));
    }

    [Test]
    public void GeluErfFloatKeepsRelativeAccuracyInTheTail()
    {
        double[] xs = [-12, -9, -6, -4, -3, -1, -0.1, 0, 0.1, 1, 3, 6];
        using var scope = new StorageScope();
        Storage src = scope.Add(Store(backend, DType.Float32, xs));
        Storage dst = scope.Add(Output(backend, DType.Float32, xs.Length));
        backend.Unary(UnaryOp.GeluErf, src, Layout.Contiguous(new Shape(xs.Length)), dst);
        double[] expected = [.. xs.Select(x => (double)(float)SpecialFunctions.GeluErf((float)x))];
        AssertClose(Read(backend, dst, xs.Length), expected, 1e-6, 1e-44);
    }

    // ---- unary backward ------------------------------------------------------------------------

    /// <summary>Inputs away from each function's kinks, where a central difference is a fair reference.</summary>
    private static double BackwardDomain(UnaryOp op, double x)
    {
        x = Domain(op, x);
        if (op is UnaryOp.Relu or UnaryOp.Abs or UnaryOp.LeakyRelu or UnaryOp.Sign)
        {
            x = Math.Abs(x) < 0.05 ? 0.3 : x;
        }

        if (op == UnaryOp.Clamp && (Math.Abs(x + 0.5) < 0.05 || Math.Abs(x - 0.7) < 0.05))
        {
            x = 0.1;
        }

        return x;
    }

    [Test]
    public void UnaryBackwardMatchesCentralDifferences([Values(DType.Float32, DType.Float64)] DType dtype, [ValueSource(nameof(FloatUnaryOps))] UnaryOp op)
    {
        UnaryArgs args = op == UnaryOp.PowScalar ? new UnaryArgs(2.5) : ArgsFor(op);
        foreach (int count in new[] { 0, 1, 7, 1000, 70000 })
        {
            double[] x = [.. RandomValues(_random, dtype, count, 3).Select(v => RoundTo(dtype, BackwardDomain(op, op == UnaryOp.PowScalar ? Math.Abs(v) + 0.1 : v)))];
            double[] go = RandomValues(_random, dtype, count);
            using var scope = new StorageScope();
            Storage input = scope.Add(Store(backend, dtype, x.Length == 0 ? [0] : x));
            Storage output = scope.Add(Output(backend, dtype, count));
            Storage gradOutput = scope.Add(Store(backend, dtype, go.Length == 0 ? [0] : go));
            Storage gradInput = scope.Add(Output(backend, dtype, count));
            backend.Unary(op, input, Layout.Contiguous(new Shape(count)), output, args);
            backend.UnaryBackward(op, input, output, gradOutput, gradInput, count, args);
            const double H = 1e-5;
            double[] expected = new double[count];
            for (int i = 0; i < count; i++)
            {
                expected[i] = go[i] * (Reference(op, x[i] + H, args) - Reference(op, x[i] - H, args)) / (2 * H);
            }

            double tol = dtype == DType.Float32 ? 1e-4 : 1e-7;
            AssertClose(Read(backend, gradInput, count), expected, tol, tol, $"{op} {dtype} n={count}");
        }
    }

    [Test]
    public void UnaryBackwardConventionsAtKinks()
    {
        using var scope = new StorageScope();
        double[] x = [0, -0.5, 0.7, 2];
        Storage input = scope.Add(Store(backend, DType.Float64, x));
        Storage output = scope.Add(Output(backend, DType.Float64, 4));
        Storage go = scope.Add(Store(backend, DType.Float64, [1, 1, 1, 1]));
        Storage gi = scope.Add(Output(backend, DType.Float64, 4));
        var layout = Layout.Contiguous(new Shape(4));

        double[] Grad(UnaryOp op, UnaryArgs args = default)
        {
            backend.Unary(op, input, layout, output, args);
            backend.UnaryBackward(op, input, output, go, gi, 4, args);
            return Read(backend, gi, 4);
        }

        Assert.That(Grad(UnaryOp.Relu), Is.EqualTo(new double[] { 0, 0, 1, 1 }));
        Assert.That(Grad(UnaryOp.Abs), Is.EqualTo(new double[] { 0, -1, 1, 1 }));
        Assert.That(Grad(UnaryOp.Sign), Is.EqualTo(new double[] { 0, 0, 0, 0 }));
        Assert.That(Grad(UnaryOp.Clamp, new UnaryArgs(-0.5, 0.7)), Is.EqualTo(new double[] { 1, 1, 1, 0 }));
        Assert.That(Grad(UnaryOp.PowScalar, new UnaryArgs(0)), Is.EqualTo(new double[] { 0, 0, 0, 0 }));
        Assert.That(Grad(UnaryOp.LeakyRelu, new UnaryArgs(0.1)), Is.EqualTo(new double[] { 0.1, 0.1, 1, 1 }));
    }

    // ---- binary --------------------------------------------------------------------------------

    private static readonly (int[] A, int[] B)[] BroadcastCases =
    [
        ([], []), ([0, 3], [3]), ([7], [1]), ([33, 5], [33, 5]), ([2, 3, 4], [3, 1]), ([300, 257], [257]), ([300, 257], [300, 1]), ([1, 257], [300, 1]),
    ];

    private static double Reference(BinaryOp op, double a, double b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        BinaryOp.Div => a / b,
        BinaryOp.Pow => Math.Pow(a, b),
        BinaryOp.Maximum => Math.Max(a, b),
        BinaryOp.Minimum => Math.Min(a, b),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    private static IEnumerable<TestCaseData> BinaryCases()
    {
        foreach (BinaryOp op in Enum.GetValues<BinaryOp>())
        {
            yield return new TestCaseData(DType.Float32, op);
            yield return new TestCaseData(DType.Float64, op);
            if (op is not (BinaryOp.Div or BinaryOp.Pow))
            {
                yield return new TestCaseData(DType.Int32, op);
                yield return new TestCaseData(DType.Int64, op);
            }
        }
    }

    [TestCaseSource(nameof(BinaryCases))]
    public void BinaryWithBroadcastingMatchesReference(DType dtype, BinaryOp op)
    {
        foreach (var (aShape, bShape) in BroadcastCases)
        {
            Shape outShape = Shape.TryBroadcast(aShape, bShape)!;
            foreach (var aView in SampledViews(aShape))
            {
                foreach (var bView in SampledViews(bShape).Take(outShape.Numel > 10_000 ? 1 : 2))
                {
                    double[] a = RandomValues(_random, dtype, aView.StorageSize);
                    double[] b = RandomValues(_random, dtype, bView.StorageSize);
                    if (dtype.IsFloatingPoint() && a.Length > 3)
                    {
                        a[1] = double.NaN;
                    }

                    using var scope = new StorageScope();
                    Storage sa = scope.Add(Store(backend, dtype, a));
                    Storage sb = scope.Add(Store(backend, dtype, b));
                    Storage dst = scope.Add(Output(backend, dtype, outShape.Numel));
                    Layout aLayout = aView.Layout.Expand(outShape), bLayout = bView.Layout.Expand(outShape);
                    backend.Binary(op, sa, aLayout, sb, bLayout, dst);
                    double[] la = Logical(a, aLayout), lb = Logical(b, bLayout);
                    double[] expected = [.. la.Select((x, i) => RoundTo(dtype, Reference(op, x, lb[i])))];
                    double rel = dtype == DType.Float32 ? 2e-6 : 1e-14;
                    AssertClose(Read(backend, dst, outShape.Numel), expected, rel, rel, $"{op} {dtype} {aView} {bView}");
                }
            }
        }
    }

    [TestCaseSource(nameof(BinaryCases))]
    public void BinaryScalarMatchesReference(DType dtype, BinaryOp op)
    {
        foreach (bool scalarFirst in new[] { false, true })
        {
            foreach (var view in SampledViews([300, 257]).Concat(Views([7])).Concat(Views([])))
            {
                double[] data = RandomValues(_random, dtype, view.StorageSize);
                double scalar = dtype.IsInteger() ? 3 : 1.25;
                using var scope = new StorageScope();
                Storage src = scope.Add(Store(backend, dtype, data));
                Storage dst = scope.Add(Output(backend, dtype, view.Layout.Numel));
                backend.BinaryScalar(op, src, view.Layout, scalar, scalarFirst, dst);
                double[] expected = [.. Logical(data, view.Layout).Select(x => RoundTo(dtype, scalarFirst ? Reference(op, scalar, x) : Reference(op, x, scalar)))];
                double rel = dtype == DType.Float32 ? 2e-6 : 1e-14;
                AssertClose(Read(backend, dst, view.Layout.Numel), expected, rel, rel, $"{op} {dtype} first={scalarFirst} {view}");
            }
        }
    }

    [Test]
    public void MaximumAndMinimumPropagateNaN([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        using var scope = new StorageScope();
        Storage a = scope.Add(Store(backend, dtype, [double.NaN, 1, 2, double.NaN]));
        Storage b = scope.Add(Store(backend, dtype, [1, double.NaN, 3, double.NaN]));
        Storage dst = scope.Add(Output(backend, dtype, 4));
        var layout = Layout.Contiguous(new Shape(4));
        backend.Binary(BinaryOp.Maximum, a, layout, b, layout, dst);
        AssertClose(Read(backend, dst, 4), [double.NaN, double.NaN, 3, double.NaN], 0);
        backend.Binary(BinaryOp.Minimum, a, layout, b, layout, dst);
        AssertClose(Read(backend, dst, 4), [double.NaN, double.NaN, 2, double.NaN], 0);
    }

    // ---- compare and where ---------------------------------------------------------------------

    [Test]
    public void CompareMatchesReference([Values(DType.Float32, DType.Float64, DType.Int32, DType.Int64, DType.Bool)] DType dtype, [Values] CompareOp op)
    {
        if (dtype == DType.Bool && op is not (CompareOp.Eq or CompareOp.Ne))
        {
            Assert.Pass("bool tensors compare only for equality");
        }

        foreach (var (aShape, bShape) in BroadcastCases)
        {
            Shape outShape = Shape.TryBroadcast(aShape, bShape)!;
            foreach (var aView in SampledViews(aShape))
            {
                // Few distinct values so equality is common; a NaN in float inputs.
                double[] a = [.. RandomValues(_random, dtype, aView.StorageSize).Select(v => RoundTo(dtype, Math.Round(v)))];
                double[] b = [.. RandomValues(_random, dtype, Views(bShape).First().StorageSize).Select(v => RoundTo(dtype, Math.Round(v)))];
                if (dtype.IsFloatingPoint() && a.Length > 2)
                {
                    a[0] = double.NaN;
                }

                using var scope = new StorageScope();
                Storage sa = scope.Add(Store(backend, dtype, a));
                Storage sb = scope.Add(Store(backend, dtype, b));
                Storage dst = scope.Add(Output(backend, DType.Bool, outShape.Numel));
                Layout aLayout = aView.Layout.Expand(outShape), bLayout = Layout.Contiguous(new Shape(bShape)).Expand(outShape);
                backend.Compare(op, sa, aLayout, sb, bLayout, dst);
                double[] la = Logical(a, aLayout), lb = Logical(b, bLayout);
                double[] expected = [.. la.Select((x, i) => Compare(op, x, lb[i]) ? 1.0 : 0.0)];
                AssertClose(Read(backend, dst, outShape.Numel), expected, 0, 0, $"{op} {dtype} {aView}");
            }
        }
    }

    private static bool Compare(CompareOp op, double a, double b) => op switch
    {
        CompareOp.Eq => a == b,
        CompareOp.Ne => a != b,
        CompareOp.Lt => a < b,
        CompareOp.Le => a <= b,
        CompareOp.Gt => a > b,
        _ => a >= b,
    };

    [Test]
    public void WhereSelectsWithBroadcastCondition([Values(DType.Float32, DType.Float64, DType.Int64, DType.Bool, DType.Float16)] DType dtype)
    {
        int[] shape = [300, 257];
        var outShape = new Shape(shape);
        double[] cond = RandomValues(_random, DType.Bool, 300);
        double[] a = RandomValues(_random, dtype, 257);
        foreach (var bView in Views(shape))
        {
            double[] b = RandomValues(_random, dtype, bView.StorageSize);
            using var scope = new StorageScope();
            Storage sc = scope.Add(Store(backend, DType.Bool, cond));
            Storage sa = scope.Add(Store(backend, dtype, a));
            Storage sb = scope.Add(Store(backend, dtype, b));
            Storage dst = scope.Add(Output(backend, dtype, outShape.Numel));
            Layout cl = Layout.Contiguous(new Shape(300, 1)).Expand(outShape), al = Layout.Contiguous(new Shape(257)).Expand(outShape), bl = bView.Layout.Expand(outShape);
            backend.Where(sc, cl, sa, al, sb, bl, dst);
            double[] lc = Logical(cond, cl), la = Logical(a, al), lb = Logical(b, bl);
            AssertClose(Read(backend, dst, outShape.Numel), [.. lc.Select((c, i) => c != 0 ? la[i] : lb[i])], 0, 0, $"{dtype} {bView}");
        }
    }
}

/// <summary>Releases the storages a test allocates.</summary>
internal sealed class StorageScope : IDisposable
{
    private readonly List<Storage> _storages = [];

    public Storage Add(Storage storage)
    {
        _storages.Add(storage);
        return storage;
    }

    public void Dispose()
    {
        foreach (var s in _storages)
        {
            s.Release();
        }
    }
}
