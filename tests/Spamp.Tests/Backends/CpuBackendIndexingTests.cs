using NUnit.Framework;
using Spamp.Backends;
using Spamp.Memory;
using static Spamp.Tests.Backends.BackendTestSupport;

namespace Spamp.Tests.Backends;

/// <summary>Indexing, matrix products and random fills of a <see cref="Backend"/> against naive references.</summary>
[TestFixtureSource(typeof(BackendSource), nameof(BackendSource.Backends))]
public sealed class CpuBackendIndexingTests(Backend backend)
{
    private static readonly DType[] IndexTypes = [DType.Float32, DType.Float64, DType.Int32, DType.Int64, DType.Float16, DType.BFloat16, DType.Bool];

    private readonly System.Random _random = new(7);

    private static readonly (int[] Shape, int Axis)[] AxisCases = [([7], 0), ([33, 5], 0), ([33, 5], 1), ([4, 5, 6], 1), ([50, 1000], 0), ([3, 1], 0)];

    private Storage Indices(StorageScope scope, int count, int limit, out long[] values)
    {
        values = new long[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = _random.Next(limit);
        }

        var storage = Storage.Allocate(backend, DType.Int64, Math.Max(count, 1));
        backend.Upload<long>(values, storage, 0);
        return scope.Add(storage);
    }

    [Test]
    public void IndexSelectPicksSlices([ValueSource(nameof(IndexTypes))] DType dtype)
    {
        foreach (var (shape, axis) in AxisCases)
        {
            foreach (var view in SampledViews(shape))
            {
                double[] data = RandomValues(_random, dtype, view.StorageSize);
                using var scope = new StorageScope();
                Storage src = scope.Add(Store(backend, dtype, data));
                int count = shape[axis] + 3; // more indices than entries: repeats
                Storage index = Indices(scope, count, shape[axis], out long[] idx);
                int[] outShape = [.. shape];
                outShape[axis] = count;
                int n = new Shape(outShape).Numel;
                Storage dst = scope.Add(Output(backend, dtype, n));
                backend.IndexSelect(src, view.Layout, axis, index, count, dst);
                double[] logical = Logical(data, view.Layout);
                var expected = new double[n];
                for (int i = 0; i < n; i++)
                {
                    int[] at = Unravel(i, outShape);
                    at[axis] = (int)idx[at[axis]];
                    expected[i] = logical[Ravel(at, shape)];
                }

                AssertClose(Read(backend, dst, n), expected, 0, 0, $"{dtype} {view} axis {axis}");
            }
        }
    }

    [Test]
    public void IndexAddAccumulatesDuplicates([Values(DType.Float32, DType.Float64, DType.Int32, DType.Int64, DType.BFloat16)] DType dtype)
    {
        foreach (var (shape, axis) in AxisCases)
        {
            int count = (2 * shape[axis]) + 5; // many duplicates
            int[] srcShape = [.. shape];
            srcShape[axis] = count;
            foreach (var srcView in SampledViews(srcShape))
            {
                double[] target = [.. RandomValues(_random, dtype, new Shape(shape).Numel).Select(v => RoundTo(dtype, Math.Round(v * 4) / 4))];
                double[] data = [.. RandomValues(_random, dtype, srcView.StorageSize).Select(v => RoundTo(dtype, Math.Round(v * 4) / 4))];
                using var scope = new StorageScope();
                Storage dst = scope.Add(Store(backend, dtype, target));
                Storage src = scope.Add(Store(backend, dtype, data));
                Storage index = Indices(scope, count, shape[axis], out long[] idx);
                backend.IndexAdd(dst, Layout.Contiguous(new Shape(shape)), axis, index, count, src, srcView.Layout);
                double[] logical = Logical(data, srcView.Layout);
                double[] expected = [.. target];
                for (int i = 0; i < logical.Length; i++)
                {
                    int[] at = Unravel(i, srcShape);
                    at[axis] = (int)idx[at[axis]];
                    int t = Ravel(at, shape);
                    expected[t] = dtype == DType.BFloat16 ? RoundTo(dtype, expected[t] + logical[i]) : expected[t] + logical[i];
                }

                // bfloat16 rounds after every add, in an order the reference follows only per target.
                double tol = dtype == DType.BFloat16 ? 5e-2 : dtype == DType.Float32 ? 1e-6 : 0;
                AssertClose(Read(backend, dst, expected.Length), expected, tol, tol, $"{dtype} {srcView} axis {axis}");
            }
        }
    }

    [Test]
    public void GatherAndScatterAddFollowTorch([ValueSource(nameof(IndexTypes))] DType dtype)
    {
        foreach (var (shape, axis) in AxisCases)
        {
            int[] indexShape = [.. shape];
            indexShape[axis] += 2;
            if (indexShape.Length > 1)
            {
                // torch.gather allows the index to be smaller than the source in the other dimensions.
                int other = axis == 0 ? indexShape.Length - 1 : 0;
                indexShape[other] = Math.Max(1, indexShape[other] - 1);
            }

            int n = new Shape(indexShape).Numel;
            foreach (var view in SampledViews(shape))
            {
                double[] data = [.. RandomValues(_random, dtype, view.StorageSize).Select(v => RoundTo(dtype, Math.Round(v * 4) / 4))];
                using var scope = new StorageScope();
                Storage src = scope.Add(Store(backend, dtype, data));
                Storage index = Indices(scope, n, shape[axis], out long[] idx);
                var indexLayout = Layout.Contiguous(new Shape(indexShape));
                Storage dst = scope.Add(Output(backend, dtype, n));
                backend.Gather(src, view.Layout, axis, index, indexLayout, dst);

                var expected = new double[n];
                for (int i = 0; i < n; i++)
                {
                    int[] at = Unravel(i, indexShape);
                    at[axis] = (int)idx[i];
                    expected[i] = data[view.Layout.IndexOf(at)];
                }

                AssertClose(Read(backend, dst, n), expected, 0, 0, $"gather {dtype} {view} axis {axis}");

                // scatter_add_ of the gathered values back into a zeroed target: duplicates accumulate.
                if (dtype is DType.Float16 or DType.BFloat16)
                {
                    continue;
                }

                int total = new Shape(shape).Numel;
                Storage target = scope.Add(Store(backend, dtype, new double[total]));
                backend.ScatterAdd(target, Layout.Contiguous(new Shape(shape)), axis, index, indexLayout, dst, Layout.Contiguous(new Shape(indexShape)));
                var scattered = new double[total];
                for (int i = 0; i < n; i++)
                {
                    int[] at = Unravel(i, indexShape);
                    at[axis] = (int)idx[i];
                    int t = Ravel(at, shape);
                    scattered[t] = dtype == DType.Bool ? Math.Max(scattered[t], expected[i]) : scattered[t] + expected[i];
                }

                AssertClose(Read(backend, target, total), scattered, 1e-6, 1e-6, $"scatter_add {dtype} {view} axis {axis}");
            }
        }
    }

    // ---- matmul --------------------------------------------------------------------------------

    private static IEnumerable<TestCaseData> MatMulCases()
    {
        foreach (DType dtype in new[] { DType.Float32, DType.Float64 })
        {
            foreach (var (batch, m, k, n) in new[] { (1, 1, 1, 1), (1, 7, 5, 3), (3, 33, 17, 65), (2, 100, 1, 100), (2, 64, 70, 1), (1, 3, 0, 4) })
            {
                foreach (string kind in new[] { "contiguous", "transposed", "sliced", "broadcast-batch", "strided" })
                {
                    yield return new TestCaseData(dtype, batch, m, k, n, kind);
                }
            }
        }
    }

    /// <summary>A [batch, rows, cols] view of the given kind over fresh random storage.</summary>
    private (Layout Layout, double[] Data) MatrixView(DType dtype, int batch, int rows, int cols, string kind)
    {
        var shape = new Shape(batch, rows, cols);
        (Layout layout, int size) = kind switch
        {
            "transposed" => (new Layout(shape, [rows * cols, 1, rows], 0), batch * rows * cols),
            "sliced" => (new Layout(shape, [rows * (cols + 3), cols + 3, 1], 2), (batch * rows * (cols + 3)) + 2),
            "broadcast-batch" => (new Layout(shape, [0, cols, 1], 0), rows * cols),
            "strided" => (new Layout(shape, [rows * cols * 2, cols * 2, 2], 1), (batch * rows * cols * 2) + 1),
            _ => (Layout.Contiguous(shape), batch * rows * cols),
        };
        return (layout, RandomValues(_random, dtype, Math.Max(size, 1)));
    }

    [TestCaseSource(nameof(MatMulCases))]
    public void MatMulMatchesReference(DType dtype, int batch, int m, int k, int n, string kind)
    {
        var (aLayout, a) = MatrixView(dtype, batch, m, k, kind);
        var (bLayout, b) = MatrixView(dtype, batch, k, n, kind == "broadcast-batch" ? "contiguous" : kind);
        using var scope = new StorageScope();
        Storage sa = scope.Add(Store(backend, dtype, a));
        Storage sb = scope.Add(Store(backend, dtype, b));
        Storage dst = scope.Add(Output(backend, dtype, batch * m * n));
        backend.MatMul(sa, aLayout, sb, bLayout, dst);
        double[] la = Logical(a, aLayout), lb = Logical(b, bLayout);
        var expected = new double[batch * m * n];
        for (int p = 0; p < batch; p++)
        {
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (int q = 0; q < k; q++)
                    {
                        sum += la[(((p * m) + i) * k) + q] * lb[(((p * k) + q) * n) + j];
                    }

                    expected[(((p * m) + i) * n) + j] = sum;
                }
            }
        }

        double tol = dtype == DType.Float32 ? 1e-5 : 1e-12;
        AssertClose(Read(backend, dst, expected.Length), expected, tol, tol * Math.Max(k, 1), $"{kind}");
    }

    // ---- random --------------------------------------------------------------------------------

    [Test]
    public void FillRandomReproducesThePhiloxStream([Values] RandomKind kind)
    {
        const int Count = 1001;
        const ulong Seed = 42, Offset = 5;
        using var scope = new StorageScope();
        Storage f = scope.Add(Output(backend, DType.Float32, Count));
        Storage d = scope.Add(Output(backend, DType.Float64, Count));
        (double a, double b) = kind switch { RandomKind.Uniform => (-1.0, 3.0), RandomKind.Normal => (0.5, 2.0), _ => (0.3, 0.0) };
        backend.FillRandom(kind, f, Count, Seed, Offset, a, b);
        backend.FillRandom(kind, d, Count, Seed, Offset, a, b);
        double[] ef = new double[Count], ed = new double[Count];
        for (int i = 0; i < Count; i++)
        {
            (ef[i], ed[i]) = kind switch
            {
                RandomKind.Uniform => (PhiloxStream.UniformFloat(Seed, Offset, i, (float)a, (float)b), PhiloxStream.UniformDouble(Seed, Offset, i, a, b)),
                RandomKind.Normal => (PhiloxStream.NormalFloat(Seed, Offset, i, (float)a, (float)b), PhiloxStream.NormalDouble(Seed, Offset, i, a, b)),
                _ => (PhiloxStream.Bernoulli(Seed, Offset, i, a) ? 1 : 0, PhiloxStream.Bernoulli(Seed, Offset, i, a) ? 1 : 0),
            };
        }

        if (kind == RandomKind.Normal)
        {
            // The PhiloxStream contract: normal draws go through log/sqrt/sin/cos, whose last bit differs
            // between math libraries, so a device matches to 4 ulp or 2^-20 (2^-48) * std absolute.
            AssertClose(Read(backend, f, Count), ef, 4 * Math.Pow(2, -23), Math.Pow(2, -20) * b);
            AssertClose(Read(backend, d, Count), ed, 4 * Math.Pow(2, -52), Math.Pow(2, -48) * b);
            return;
        }

        AssertClose(Read(backend, f, Count), ef, 0);
        AssertClose(Read(backend, d, Count), ed, 0);
    }
}
