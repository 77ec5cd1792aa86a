using NUnit.Framework;
using Spamp.Backends;
using Spamp.Backends.Cpu;
using Spamp.Memory;
using static Spamp.Tests.Backends.BackendTestSupport;

namespace Spamp.Tests.Backends;

/// <summary>
/// The GPU kernels against the CPU backend (the reference oracle) on random shapes: odd sizes,
/// ranks 1 to 4, contiguous, sliced, permuted and broadcast views. One fixture per GPU device
/// (<see cref="BackendSource.GpuDevices"/>): OpenCL on every machine with a driver (PoCL on CI),
/// CUDA where the NVIDIA driver and NVRTC are installed; an absent device's fixture is ignored
/// with the reason.
/// </summary>
[TestFixtureSource(typeof(BackendSource), nameof(BackendSource.GpuDevices))]
public sealed class GpuVsCpuTests(Device device)
{
    private const int Rounds = 12;
    private readonly System.Random _random = new(20261122);
    private Backend _gpu = null!;
    private readonly Backend _cpu = CpuBackend.Instance;

    [OneTimeSetUp]
    public void FindDevice()
    {
        _gpu = BackendSource.TryBackend(device, out string reason)!;
        if (_gpu is null)
        {
            Assert.Ignore(reason);
        }
    }

    private int[] RandomShape(int maxRank = 4)
    {
        int rank = _random.Next(1, maxRank + 1);
        return [.. Enumerable.Range(0, rank).Select(_ => _random.Next(1, 4) == 1 ? 1 : _random.Next(2, 24))];
    }

    private TestView RandomView(int[] shape)
    {
        var views = Views(shape).ToList();
        return views[_random.Next(views.Count)];
    }

    // The same values in a storage on each backend.
    private (Storage Cpu, Storage Gpu) Both(StorageScope scope, DType dtype, double[] values) =>
        (scope.Add(Store(_cpu, dtype, values)), scope.Add(Store(_gpu, dtype, values)));

    private (Storage Cpu, Storage Gpu) Outputs(StorageScope scope, DType dtype, int count) =>
        (scope.Add(Output(_cpu, dtype, count)), scope.Add(Output(_gpu, dtype, count)));

    [Test]
    public void UnaryAgreesOnRandomViews([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        foreach (UnaryOp op in Enum.GetValues<UnaryOp>())
        {
            var args = op switch { UnaryOp.PowScalar => new UnaryArgs(2.5), UnaryOp.Clamp => new UnaryArgs(-0.3, 0.9), UnaryOp.LeakyRelu => new UnaryArgs(0.2), _ => default };
            for (int round = 0; round < 3; round++)
            {
                int[] shape = RandomShape();
                var view = RandomView(shape);
                bool positive = op is UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Rsqrt or UnaryOp.Reciprocal or UnaryOp.PowScalar;
                double[] data = [.. RandomValues(_random, dtype, view.StorageSize, 4).Select(x => RoundTo(dtype, positive ? Math.Abs(x) + 0.05 : x))];
                using var scope = new StorageScope();
                var (c, g) = Both(scope, dtype, data);
                var (dc, dg) = Outputs(scope, dtype, view.Layout.Numel);
                _cpu.Unary(op, c, view.Layout, dc, args);
                _gpu.Unary(op, g, view.Layout, dg, args);
                double tol = dtype == DType.Float32 ? 4e-6 : 1e-13;
                AssertClose(Read(_gpu, dg, view.Layout.Numel), Read(_cpu, dc, view.Layout.Numel), tol, tol, $"{op} {dtype} {view}");
            }
        }
    }

    [Test]
    public void BinaryAndCompareAgreeWithBroadcasting([Values(DType.Float32, DType.Float64, DType.Int32, DType.Int64)] DType dtype)
    {
        for (int round = 0; round < Rounds; round++)
        {
            int[] shape = RandomShape();
            // b broadcasts: a random subset of a's dimensions set to 1, then expanded.
            int[] bShape = [.. shape.Select(n => _random.Next(3) == 0 ? 1 : n)];
            var aView = RandomView(shape);
            var bBase = RandomView(bShape);
            var bLayout = bBase.Layout.Expand(new Shape(shape));
            double[] a = RandomValues(_random, dtype, aView.StorageSize), b = RandomValues(_random, dtype, bBase.StorageSize);
            int n = aView.Layout.Numel;
            using var scope = new StorageScope();
            var (ac, ag) = Both(scope, dtype, a);
            var (bc, bg) = Both(scope, dtype, b);
            foreach (BinaryOp op in Enum.GetValues<BinaryOp>().Where(o => dtype.IsFloatingPoint() || o is not (BinaryOp.Div or BinaryOp.Pow)))
            {
                var (dc, dg) = Outputs(scope, dtype, n);
                _cpu.Binary(op, ac, aView.Layout, bc, bLayout, dc);
                _gpu.Binary(op, ag, aView.Layout, bg, bLayout, dg);
                double tol = dtype == DType.Float32 ? 1e-6 : dtype == DType.Float64 ? 1e-14 : 0;
                AssertClose(Read(_gpu, dg, n), Read(_cpu, dc, n), tol, tol, $"{op} {dtype} {aView} with {bBase}");

                _cpu.BinaryScalar(op, ac, aView.Layout, 1.5, scalarFirst: op == BinaryOp.Sub, dc);
                _gpu.BinaryScalar(op, ag, aView.Layout, 1.5, scalarFirst: op == BinaryOp.Sub, dg);
                AssertClose(Read(_gpu, dg, n), Read(_cpu, dc, n), tol, tol, $"{op} scalar {dtype} {aView}");
            }

            foreach (CompareOp op in Enum.GetValues<CompareOp>())
            {
                var (dc, dg) = Outputs(scope, DType.Bool, n);
                _cpu.Compare(op, ac, aView.Layout, bc, bLayout, dc);
                _gpu.Compare(op, ag, aView.Layout, bg, bLayout, dg);
                AssertClose(Read(_gpu, dg, n), Read(_cpu, dc, n), 0, 0, $"{op} {dtype}");
            }
        }
    }

    [Test]
    public void ReductionsAgreeOverRandomAxes([Values(DType.Float32, DType.Float64, DType.Int32, DType.Int64)] DType dtype)
    {
        for (int round = 0; round < Rounds; round++)
        {
            int[] shape = RandomShape();
            var view = RandomView(shape);
            int[] axes = [.. Enumerable.Range(0, shape.Length).Where(_ => _random.Next(2) == 0)];
            if (axes.Length == 0)
            {
                axes = [_random.Next(shape.Length)];
            }

            int[] keptShape = [.. shape.Select((n, d) => axes.Contains(d) ? 1 : n)];
            int outputs = new Shape(keptShape).Numel;
            double[] data = RandomValues(_random, dtype, view.StorageSize, dtype.IsInteger() ? 0.4 : 2);
            using var scope = new StorageScope();
            var (c, g) = Both(scope, dtype, data);
            foreach (ReduceOp op in Enum.GetValues<ReduceOp>().Where(o => dtype.IsFloatingPoint() || o != ReduceOp.Mean))
            {
                var (dc, dg) = Outputs(scope, dtype, outputs);
                _cpu.Reduce(op, c, view.Layout, axes, dc);
                _gpu.Reduce(op, g, view.Layout, axes, dg);
                double tol = dtype == DType.Float32 ? 1e-5 : dtype == DType.Float64 ? 1e-12 : 0;
                AssertClose(Read(_gpu, dg, outputs), Read(_cpu, dc, outputs), tol, tol, $"{op} {dtype} {view} axes [{string.Join(',', axes)}]");
            }

            int axis = _random.Next(shape.Length);
            int[] argShape = [.. shape.Select((n, d) => d == axis ? 1 : n)];
            int argOutputs = new Shape(argShape).Numel;
            foreach (bool max in new[] { true, false })
            {
                var (vc, vg) = Outputs(scope, dtype, argOutputs);
                var (ic, ig) = Outputs(scope, DType.Int64, argOutputs);
                _cpu.ArgReduce(max, c, view.Layout, axis, vc, ic);
                _gpu.ArgReduce(max, g, view.Layout, axis, vg, ig);
                AssertClose(Read(_gpu, vg, argOutputs), Read(_cpu, vc, argOutputs), 0, 0, $"arg{(max ? "max" : "min")} values {dtype} {view} axis {axis}");
                AssertClose(Read(_gpu, ig, argOutputs), Read(_cpu, ic, argOutputs), 0, 0, $"arg{(max ? "max" : "min")} indices {dtype} {view} axis {axis}");
            }
        }
    }

    [Test]
    public void CastAgreesBetweenEveryPairOfTypesOnRandomViews()
    {
        DType[] all = [DType.Float32, DType.Float64, DType.Float16, DType.BFloat16, DType.Int32, DType.Int64, DType.Bool];
        foreach (DType from in all)
        {
            foreach (DType to in all)
            {
                int[] shape = RandomShape(3);
                var view = RandomView(shape);
                // Values with fractions, halves, large magnitudes (saturation and half overflow), NaN and infinities.
                double[] specials = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e10, -1e10, 70000, 2.5, -2.5, -0.0];
                double[] data = [.. RandomValues(_random, from, view.StorageSize, 300)
                    .Select((v, j) => RoundTo(from, from.IsFloatingPoint() && j % 5 == 0 ? specials[j / 5 % specials.Length] : v))];
                using var scope = new StorageScope();
                var (c, g) = Both(scope, from, data);
                var (dc, dg) = Outputs(scope, to, view.Layout.Numel);
                _cpu.Cast(c, view.Layout, dc);
                _gpu.Cast(g, view.Layout, dg);
                AssertClose(Read(_gpu, dg, view.Layout.Numel), Read(_cpu, dc, view.Layout.Numel), 0, 0, $"{from} -> {to} {view}");
            }
        }
    }

    [Test]
    public void UnaryBackwardAgrees([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        foreach (UnaryOp op in Enum.GetValues<UnaryOp>())
        {
            var args = op switch { UnaryOp.PowScalar => new UnaryArgs(2.5), UnaryOp.Clamp => new UnaryArgs(-0.3, 0.9), UnaryOp.LeakyRelu => new UnaryArgs(0.2), _ => default };
            int count = _random.Next(1, 3000);
            bool positive = op is UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Rsqrt or UnaryOp.Reciprocal or UnaryOp.PowScalar;
            double[] x = [.. RandomValues(_random, dtype, count, 3).Select(v => RoundTo(dtype, positive ? Math.Abs(v) + 0.1 : v))];
            using var scope = new StorageScope();
            var (xc, xg) = Both(scope, dtype, x);
            var (gc, gg) = Both(scope, dtype, RandomValues(_random, dtype, count));
            var (yc, yg) = Outputs(scope, dtype, count);
            var (ic, ig) = Outputs(scope, dtype, count);
            var layout = Layout.Contiguous(new Shape(count));
            _cpu.Unary(op, xc, layout, yc, args);
            _gpu.Unary(op, xg, layout, yg, args);
            _cpu.UnaryBackward(op, xc, yc, gc, ic, count, args);
            _gpu.UnaryBackward(op, xg, yg, gg, ig, count, args);
            double tol = dtype == DType.Float32 ? 1e-5 : 1e-12;
            AssertClose(Read(_gpu, ig, count), Read(_cpu, ic, count), tol, tol, $"{op} {dtype}");
        }
    }

    [Test]
    public void MatMulAgreesOnRandomShapesAndStrides([Values(DType.Float32, DType.Float64)] DType dtype)
    {
        for (int round = 0; round < Rounds; round++)
        {
            int batch = _random.Next(1, 4), m = _random.Next(1, 70), k = _random.Next(0, 70), n = _random.Next(1, 70);
            bool transposeA = _random.Next(2) == 0, broadcastB = _random.Next(3) == 0;
            var aLayout = transposeA
                ? new Layout(new Shape(batch, m, k), [m * k, 1, m], 0)
                : Layout.Contiguous(new Shape(batch, m, k));
            var bLayout = broadcastB
                ? new Layout(new Shape(batch, k, n), [0, n + 1, 1], 1)
                : new Layout(new Shape(batch, k, n), [k * n, n, 1], 0);
            double[] a = RandomValues(_random, dtype, Math.Max(batch * m * k, 1));
            double[] b = RandomValues(_random, dtype, Math.Max((broadcastB ? k * (n + 1) : batch * k * n) + 1, 1));
            using var scope = new StorageScope();
            var (ac, ag) = Both(scope, dtype, a);
            var (bc, bg) = Both(scope, dtype, b);
            var (dc, dg) = Outputs(scope, dtype, batch * m * n);
            _cpu.MatMul(ac, aLayout, bc, bLayout, dc);
            _gpu.MatMul(ag, aLayout, bg, bLayout, dg);
            double tol = dtype == DType.Float32 ? 1e-5 : 1e-12;
            AssertClose(Read(_gpu, dg, batch * m * n), Read(_cpu, dc, batch * m * n), tol, tol * Math.Max(k, 1), $"[{batch},{m},{k}]x[{k},{n}] transA {transposeA} broadcastB {broadcastB}");
        }
    }

    [Test]
    public void SoftmaxAndItsGradientAgree([Values(DType.Float32, DType.Float64)] DType dtype, [Values] bool log)
    {
        for (int round = 0; round < Rounds / 2; round++)
        {
            int outer = _random.Next(1, 9), size = _random.Next(1, 40), inner = _random.Next(1, 6);
            int count = outer * size * inner;
            using var scope = new StorageScope();
            var (xc, xg) = Both(scope, dtype, RandomValues(_random, dtype, count, 5));
            var (dyc, dyg) = Both(scope, dtype, RandomValues(_random, dtype, count));
            var (yc, yg) = Outputs(scope, dtype, count);
            var (gc, gg) = Outputs(scope, dtype, count);
            _cpu.Softmax(xc, outer, size, inner, log, yc);
            _gpu.Softmax(xg, outer, size, inner, log, yg);
            double tol = dtype == DType.Float32 ? 2e-6 : 1e-13;
            AssertClose(Read(_gpu, yg, count), Read(_cpu, yc, count), tol, tol, $"softmax log={log} [{outer},{size},{inner}]");
            _cpu.SoftmaxBackward(yc, dyc, outer, size, inner, log, gc);
            _gpu.SoftmaxBackward(yg, dyg, outer, size, inner, log, gg);
            AssertClose(Read(_gpu, gg, count), Read(_cpu, gc, count), tol * 10, tol * 10, $"softmax backward log={log} [{outer},{size},{inner}]");
        }
    }

    [Test]
    public void RandomFillsReproduceTheCpuStream([Values] RandomKind kind, [Values(DType.Float32, DType.Float64)] DType dtype)
    {
        foreach (int count in new[] { 1, 3, 4, 5, 1001, 65537 })
        {
            ulong seed = (ulong)_random.NextInt64(), offset = ulong.MaxValue - 3; // the counter wraps inside the draw
            (double a, double b) = kind switch { RandomKind.Uniform => (-2.0, 3.0), RandomKind.Normal => (0.5, 2.0), _ => (0.37, 0.0) };
            using var scope = new StorageScope();
            var (c, g) = Outputs(scope, dtype, count);
            _cpu.FillRandom(kind, c, count, seed, offset, a, b);
            _gpu.FillRandom(kind, g, count, seed, offset, a, b);
            double[] expected = Read(_cpu, c, count), actual = Read(_gpu, g, count);
            if (kind == RandomKind.Normal)
            {
                // The PhiloxStream contract: 4 ulp of the reference, or 2^-20 (2^-48) * std absolute.
                double ulp = dtype == DType.Float32 ? Math.Pow(2, -23) : Math.Pow(2, -52);
                double abs = (dtype == DType.Float32 ? Math.Pow(2, -20) : Math.Pow(2, -48)) * b;
                AssertClose(actual, expected, 4 * ulp, abs, $"{kind} {dtype} n={count}");
            }
            else
            {
                Assert.That(actual, Is.EqualTo(expected), $"{kind} {dtype} n={count}: bit-exact");
            }
        }
    }

    [Test]
    public void ComputingOnTheDeviceNeverWaitsUntilValuesAreRead()
    {
        using var scope = new StorageScope();
        var shape = new Shape(64, 48);
        var layout = Layout.Contiguous(shape);
        Storage x = scope.Add(Storage.Allocate(_gpu, DType.Float32, shape.Numel));
        Storage w = scope.Add(Storage.Allocate(_gpu, DType.Float32, 48 * 32));
        Storage h = scope.Add(Storage.Allocate(_gpu, DType.Float32, 64 * 32));
        Storage loss = scope.Add(Storage.Allocate(_gpu, DType.Float32, 1));
        long before = _gpu.Synchronizations;
        for (int step = 0; step < 5; step++)
        {
            // A forward pass's worth of primitives: random init, matmul, activation, reduction.
            _gpu.FillRandom(RandomKind.Normal, x, shape.Numel, 7, (ulong)step * 1000, 0, 1);
            _gpu.FillRandom(RandomKind.Uniform, w, 48 * 32, 8, (ulong)step * 1000, -0.1, 0.1);
            _gpu.MatMul(x, new Layout(new Shape(1, 64, 48), [0, 48, 1], 0), w, new Layout(new Shape(1, 48, 32), [0, 32, 1], 0), h);
            _gpu.Unary(UnaryOp.Relu, h, Layout.Contiguous(new Shape(64, 32)), h);
            _gpu.Reduce(ReduceOp.Mean, h, Layout.Contiguous(new Shape(64, 32)), [0, 1], loss);
        }

        Assert.That(_gpu.Synchronizations, Is.EqualTo(before), "no primitive waited for the device");
        var value = new float[1];
        _gpu.Download<float>(loss, Layout.Contiguous(new Shape(1)), value);
        Assert.That(_gpu.Synchronizations, Is.EqualTo(before + 1), "reading a value is one synchronisation");
        Assert.That(value[0], Is.GreaterThan(0));
        _ = layout;
    }

    [Test]
    public void IndexingAgreesOnRandomViews([Values(DType.Float32, DType.Float64, DType.Int32, DType.Int64, DType.BFloat16, DType.Bool)] DType dtype)
    {
        for (int round = 0; round < Rounds; round++)
        {
            int[] shape = RandomShape();
            int axis = _random.Next(shape.Length);
            var view = RandomView(shape);
            double[] data = [.. RandomValues(_random, dtype, view.StorageSize).Select(v => RoundTo(dtype, Math.Round(v * 4) / 4))];
            int count = _random.Next(1, 2 * shape[axis] + 3);
            long[] picks = [.. Enumerable.Range(0, count).Select(_ => (long)_random.Next(shape[axis]))];
            using var scope = new StorageScope();
            var (c, g) = Both(scope, dtype, data);
            var (ic, ig) = Both(scope, DType.Int64, [.. picks.Select(p => (double)p)]);

            int[] selectedShape = [.. shape];
            selectedShape[axis] = count;
            int selected = new Shape(selectedShape).Numel;
            var (sc, sg) = Outputs(scope, dtype, selected);
            _cpu.IndexSelect(c, view.Layout, axis, ic, count, sc);
            _gpu.IndexSelect(g, view.Layout, axis, ig, count, sg);
            AssertClose(Read(_gpu, sg, selected), Read(_cpu, sc, selected), 0, 0, $"index_select {dtype} {view} axis {axis}");

            // index_add_ of the selected slices back into a copy of the source (duplicates accumulate).
            var dstLayout = Layout.Contiguous(new Shape(shape));
            double[] target = Logical(data, view.Layout);
            var (tc, tg) = Both(scope, dtype, target);
            var selectedLayout = Layout.Contiguous(new Shape(selectedShape));
            _cpu.IndexAdd(tc, dstLayout, axis, ic, count, sc, selectedLayout);
            _gpu.IndexAdd(tg, dstLayout, axis, ig, count, sg, selectedLayout);
            double tol = dtype == DType.BFloat16 ? 5e-2 : dtype == DType.Float32 ? 1e-6 : 0;
            AssertClose(Read(_gpu, tg, target.Length), Read(_cpu, tc, target.Length), tol, tol, $"index_add {dtype} axis {axis}");

            // gather with a random index of the same rank, then scatter_add_ it back.
            int[] indexShape = [.. shape.Select((n, d) => d == axis ? _random.Next(1, n + 3) : _random.Next(1, n + 1))];
            int gathered = new Shape(indexShape).Numel;
            double[] gatherIndex = [.. Enumerable.Range(0, gathered).Select(_ => (double)_random.Next(shape[axis]))];
            var (gic, gig) = Both(scope, DType.Int64, gatherIndex);
            var indexLayout = Layout.Contiguous(new Shape(indexShape));
            var (gc, gg) = Outputs(scope, dtype, gathered);
            _cpu.Gather(c, view.Layout, axis, gic, indexLayout, gc);
            _gpu.Gather(g, view.Layout, axis, gig, indexLayout, gg);
            AssertClose(Read(_gpu, gg, gathered), Read(_cpu, gc, gathered), 0, 0, $"gather {dtype} {view} axis {axis}");
            if (dtype != DType.BFloat16)
            {
                var (zc, zg) = Both(scope, dtype, new double[target.Length]);
                _cpu.ScatterAdd(zc, dstLayout, axis, gic, indexLayout, gc, indexLayout);
                _gpu.ScatterAdd(zg, dstLayout, axis, gig, indexLayout, gg, indexLayout);
                AssertClose(Read(_gpu, zg, target.Length), Read(_cpu, zc, target.Length), tol, tol, $"scatter_add {dtype} axis {axis}");
            }
        }
    }

    [Test]
    public void TheAllocatorRecyclesBuffersAndCountsLiveOnes()
    {
        var before = _gpu.Allocator.Stats;
        for (int i = 0; i < 10; i++)
        {
            Storage s = Storage.Allocate(_gpu, DType.Float32, 1000);
            s.Release();
        }

        var after = _gpu.Allocator.Stats;
        Assert.That(after.LiveBuffers, Is.EqualTo(before.LiveBuffers));
        Assert.That(after.FreshAllocations - before.FreshAllocations, Is.LessThanOrEqualTo(1), "after the first, every request is a cache hit");
    }
}
