using NUnit.Framework;
using Spamp.Backends;
using Spamp.Memory;
using static Spamp.Tests.Backends.BackendTestSupport;

namespace Spamp.Tests.Backends;

/// <summary>Reductions, arg-reductions and softmax of a <see cref="Backend"/> against naive double loops.</summary>
[TestFixtureSource(typeof(BackendSource), nameof(BackendSource.Backends))]
public sealed class CpuBackendReductionTests(Backend backend)
{
    private readonly System.Random _random = new(99);

    private static IEnumerable<(int[] Shape, int[] Axes)> ReduceCases()
    {
        yield return ([], []);
        yield return ([7], [0]);
        yield return ([1], [0]);
        yield return ([33, 5], [0]);
        yield return ([33, 5], [1]);
        yield return ([33, 5], [0, 1]);
        yield return ([4, 5, 6], [0, 2]);
        yield return ([4, 5, 6], [1]);
        yield return ([3, 4, 5, 6], [0, 2, 3]);      // batch-norm statistics: reduce all but the channel
        yield return ([1000, 40], [0]);              // a bias gradient: column path over many rows
        yield return ([3, 70000], [1]);              // long contiguous rows
        yield return ([140000], [0]);                // one long row, split across cores
        yield return ([2, 0, 3], [1]);               // empty reduction
        yield return ([0, 3], [1]);                  // empty output
    }

    private static double Reference(ReduceOp op, List<double> values)
    {
        if (values.Count == 0)
        {
            return op switch { ReduceOp.Sum => 0, ReduceOp.Prod => 1, ReduceOp.Mean => double.NaN, _ => 0 };
        }

        return op switch
        {
            ReduceOp.Sum => CompensatedSum(values),
            ReduceOp.Mean => CompensatedSum(values) / values.Count,
            ReduceOp.Max => values.Any(double.IsNaN) ? double.NaN : values.Max(),
            ReduceOp.Min => values.Any(double.IsNaN) ? double.NaN : values.Min(),
            _ => values.Aggregate(1.0, (a, b) => a * b),
        };
    }

    /// <summary>Neumaier's compensated sum: a reference more accurate than the sums it checks.</summary>
    private static double CompensatedSum(List<double> values)
    {
        double sum = 0, compensation = 0;
        foreach (double v in values)
        {
            double t = sum + v;
            compensation += Math.Abs(sum) >= Math.Abs(v) ? (sum - t) + v : (v - t) + sum;
            sum = t;
        }

        return sum + compensation;
    }

    private static IEnumerable<TestCaseData> TypedOps()
    {
        foreach (ReduceOp op in Enum.GetValues<ReduceOp>())
        {
            yield return new TestCaseData(DType.Float32, op);
            yield return new TestCaseData(DType.Float64, op);
            if (op != ReduceOp.Mean)
            {
                yield return new TestCaseData(DType.Int32, op);
                yield return new TestCaseData(DType.Int64, op);
            }
        }
    }

    [TestCaseSource(nameof(TypedOps))]
    public void ReduceMatchesReference(DType dtype, ReduceOp op)
    {
        foreach (var (shape, axes) in ReduceCases())
        {
            int[] kept = [.. shape];
            foreach (int a in axes)
            {
                kept[a] = 1;
            }

            int outputs = new Shape(kept).Numel;
            foreach (var view in SampledViews(shape))
            {
                // Products of many values overflow or vanish: keep them near 1 and the rows short.
                if (op == ReduceOp.Prod && new Shape(shape).Numel / Math.Max(outputs, 1) > 100)
                {
                    continue;
                }

                double[] data = op == ReduceOp.Prod
                    ? [.. RandomValues(_random, dtype, view.StorageSize).Select(v => RoundTo(dtype, dtype.IsInteger() ? Math.Sign(v) : 1 + (v / 8)))]
                    : RandomValues(_random, dtype, view.StorageSize);
                if (dtype.IsFloatingPoint() && op is ReduceOp.Max or ReduceOp.Min && data.Length > 40)
                {
                    data[17] = double.NaN;
                }

                using var scope = new StorageScope();
                Storage src = scope.Add(Store(backend, dtype, data));
                Storage dst = scope.Add(Output(backend, dtype, outputs));
                backend.Reduce(op, src, view.Layout, axes, dst);

                double[] logical = Logical(data, view.Layout);
                var groups = new List<double>[outputs];
                for (int o = 0; o < outputs; o++)
                {
                    groups[o] = [];
                }

                for (int i = 0; i < logical.Length; i++)
                {
                    int[] index = Unravel(i, shape);
                    foreach (int a in axes)
                    {
                        index[a] = 0;
                    }

                    groups[Ravel(index, kept)].Add(logical[i]);
                }

                double[] expected = [.. groups.Select(g => RoundTo(dtype, Reference(op, g)))];
                double rel = dtype == DType.Float32 ? 1e-5 : 1e-12;
                AssertClose(Read(backend, dst, outputs), expected, rel, rel * 10, $"{op} {dtype} {view} axes [{string.Join(',', axes)}]");
            }
        }
    }

    [Test]
    public void Float32SumOfAMillionValuesIsAccurate([Values(0, 1)] int axis)
    {
        // Both the row path (axis 1) and the column path (axis 0) over a million values per output.
        int[] shape = axis == 1 ? [2, 1 << 20] : [1 << 20, 2];
        int n = 2 << 20;
        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = (float)(1 + (_random.NextDouble() * 1e-3));
        }

        using var scope = new StorageScope();
        Storage src = scope.Add(Store(backend, DType.Float32, values));
        Storage dst = scope.Add(Output(backend, DType.Float32, 2));
        backend.Reduce(ReduceOp.Sum, src, Layout.Contiguous(new Shape(shape)), [axis], dst);
        double[] expected = new double[2];
        for (int i = 0; i < n; i++)
        {
            expected[axis == 1 ? i >> 20 : i & 1] += values[i];
        }

        AssertClose(Read(backend, dst, 2), expected, 2e-7);
    }

    [Test]
    public void ArgReduceFindsTheFirstExtremeAndNaNWins([Values(DType.Float32, DType.Float64, DType.Int32, DType.Int64)] DType dtype, [Values] bool max)
    {
        foreach (var (shape, axis) in new (int[], int)[] { ([1], 0), ([7], 0), ([33, 5], 0), ([33, 5], 1), ([4, 5, 6], 1), ([300, 257], 1), ([300, 257], 0) })
        {
            foreach (var view in SampledViews(shape))
            {
                // Rounded values make ties common; floats get a NaN in some rows.
                double[] data = [.. RandomValues(_random, dtype, view.StorageSize).Select(v => RoundTo(dtype, Math.Round(v * 2)))];
                if (dtype.IsFloatingPoint())
                {
                    for (int i = 5; i < data.Length; i += 97)
                    {
                        data[i] = double.NaN;
                    }
                }

                int[] kept = [.. shape];
                kept[axis] = 1;
                int outputs = new Shape(kept).Numel;
                using var scope = new StorageScope();
                Storage src = scope.Add(Store(backend, dtype, data));
                Storage values = scope.Add(Output(backend, dtype, outputs));
                Storage indices = scope.Add(Output(backend, DType.Int64, outputs));
                backend.ArgReduce(max, src, view.Layout, axis, values, indices);

                double[] logical = Logical(data, view.Layout);
                var bestValue = new double[outputs];
                var bestIndex = new double[outputs];
                var seen = new bool[outputs];
                for (int i = 0; i < logical.Length; i++)
                {
                    int[] index = Unravel(i, shape);
                    int position = index[axis];
                    index[axis] = 0;
                    int o = Ravel(index, kept);
                    double v = logical[i];
                    bool better = !seen[o] || (!double.IsNaN(bestValue[o]) && (double.IsNaN(v) || (max ? v > bestValue[o] : v < bestValue[o])));
                    if (better)
                    {
                        (bestValue[o], bestIndex[o], seen[o]) = (v, position, true);
                    }
                }

                AssertClose(Read(backend, indices, outputs), bestIndex, 0, 0, $"indices {dtype} {view} axis {axis}");
                AssertClose(Read(backend, values, outputs), bestValue, 0, 0, $"values {dtype} {view} axis {axis}");
            }
        }
    }

    private static IEnumerable<TestCaseData> SoftmaxCases()
    {
        foreach (DType dtype in new[] { DType.Float32, DType.Float64 })
        {
            foreach (bool log in new[] { false, true })
            {
                foreach (var (outer, size, inner) in new[] { (1, 1, 1), (3, 7, 1), (64, 1000, 1), (2, 5, 3), (3, 33, 1100), (0, 4, 1) })
                {
                    yield return new TestCaseData(dtype, log, outer, size, inner);
                }
            }
        }
    }

    [TestCaseSource(nameof(SoftmaxCases))]
    public void SoftmaxAndBackwardMatchReference(DType dtype, bool log, int outer, int size, int inner)
    {
        int n = outer * size * inner;
        double[] x = RandomValues(_random, dtype, n, 8);
        double[] dy = RandomValues(_random, dtype, n);
        using var scope = new StorageScope();
        Storage src = scope.Add(Store(backend, dtype, n == 0 ? [0] : x));
        Storage y = scope.Add(Output(backend, dtype, n));
        Storage gy = scope.Add(Store(backend, dtype, n == 0 ? [0] : dy));
        Storage gx = scope.Add(Output(backend, dtype, n));
        backend.Softmax(src, outer, size, inner, log, y);
        backend.SoftmaxBackward(y, gy, outer, size, inner, log, gx);

        var expectedY = new double[n];
        var expectedGx = new double[n];
        for (int o = 0; o < outer; o++)
        {
            for (int c = 0; c < inner; c++)
            {
                int At(int j) => (((o * size) + j) * inner) + c;
                double max = Enumerable.Range(0, size).Max(j => x[At(j)]);
                double sum = Enumerable.Range(0, size).Sum(j => Math.Exp(x[At(j)] - max));
                double dot = 0, gsum = 0;
                for (int j = 0; j < size; j++)
                {
                    double p = Math.Exp(x[At(j)] - max) / sum;
                    expectedY[At(j)] = log ? x[At(j)] - max - Math.Log(sum) : p;
                    dot += dy[At(j)] * p;
                    gsum += dy[At(j)];
                }

                for (int j = 0; j < size; j++)
                {
                    double p = Math.Exp(x[At(j)] - max) / sum;
                    expectedGx[At(j)] = log ? dy[At(j)] - (p * gsum) : p * (dy[At(j)] - dot);
                }
            }
        }

        double tol = dtype == DType.Float32 ? 2e-5 : 1e-12;
        AssertClose(Read(backend, y, n), expectedY, tol, tol, "forward");
        AssertClose(Read(backend, gx, n), expectedGx, tol * 10, tol * 10, "backward");
    }

    [Test]
    public void SoftmaxOfARowWithNaNIsNaN()
    {
        using var scope = new StorageScope();
        Storage src = scope.Add(Store(backend, DType.Float32, [1, double.NaN, 2, 0, 1, 2]));
        Storage dst = scope.Add(Output(backend, DType.Float32, 6));
        backend.Softmax(src, 2, 3, 1, false, dst);
        double[] y = Read(backend, dst, 6);
        Assert.That(y.Take(3).All(double.IsNaN), Is.True);
        Assert.That(y.Skip(3).Sum(), Is.EqualTo(1).Within(1e-6));
    }
}
