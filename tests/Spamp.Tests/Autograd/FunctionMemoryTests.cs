using Spamp.Backends.Cpu;

namespace Spamp.Tests.Autograd;

/// <summary>
/// Each function frees every temporary it makes, in forward and in backward, and its saved tensors
/// after backward: with no <see cref="TensorScope"/> to clean up, disposing the leaves, the output
/// and the upstream gradient returns the live-buffer count to where it started.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FunctionMemoryTests
{
    public sealed record OpCase(string Name, Func<Variable[], Tensor, Tensor, Variable> Function, int Inputs, int[]? SecondShape = null)
    {
        public override string ToString() => Name;
    }

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndBackward_LeaveNoLiveBuffers(OpCase c)
    {
        long before = CpuBackend.Instance.Allocator.Stats.LiveBuffers;
        var inputs = new Variable[c.Inputs];
        for (int i = 0; i < inputs.Length; i++)
        {
            int[] shape = i == 1 && c.SecondShape is { } second ? second : [2, 3];
            double[] values = Enumerable.Range(0, shape[0] * shape[1]).Select(k => ((k * 7 % 5) - 1.5 + i) / 2.0).ToArray();
            inputs[i] = new Variable(Tensor.From(values, shape), requiresGrad: true);
        }

        Tensor index2d = Tensor.From(new long[] { 0, 2, 2, 1 }, 2, 2);
        Tensor index1d = Tensor.From(new long[] { 2, 0, 2 }, 3);
        Variable y = c.Function(inputs, index2d, index1d);
        Tensor upstream = Tensor.OnesLike(y.Data);
        y.Backward(upstream);
        Assert.That(inputs.All(v => v.Grad is not null), Is.True, "every input received a gradient");

        upstream.Dispose();
        y.Dispose();
        index2d.Dispose();
        index1d.Dispose();
        foreach (Variable v in inputs)
        {
            v.Dispose();
        }

        Assert.That(CpuBackend.Instance.Allocator.Stats.LiveBuffers, Is.EqualTo(before));
    }

    private static IEnumerable<TestCaseData> Cases() => AllCases().Select(c => new TestCaseData(c).SetName(c.Name));

    private static IEnumerable<OpCase> AllCases()
    {
        yield return new("exp", (v, _, _) => v[0].Exp(), 1);
        yield return new("add", (v, _, _) => v[0] + v[1], 2);
        yield return new("sub", (v, _, _) => v[0] - v[1], 2);
        yield return new("mul", (v, _, _) => v[0] * v[1], 2);
        yield return new("div", (v, _, _) => v[0] / v[1], 2);
        yield return new("pow", (v, _, _) => Variable.Pow(v[0], v[1]), 2);
        yield return new("maximum", (v, _, _) => Variable.Maximum(v[0], v[1]), 2);
        yield return new("scalar_div", (v, _, _) => 2.0 / v[0], 1);
        yield return new("scalar_pow", (v, _, _) => Variable.Pow(2.0, v[0]), 1);
        yield return new("mul_scalar", (v, _, _) => v[0] * 3.0, 1);
        yield return new("where", (v, _, _) => WhereWithOwnMask(v[0], v[1]), 2);
        yield return new("sum", (v, _, _) => v[0].Sum(1), 1);
        yield return new("amax", (v, _, _) => v[0].Amax([1]), 1);
        yield return new("max_dim", (v, _, _) => MaxValues(v[0]), 1);
        yield return new("norm2", (v, _, _) => v[0].Norm(2, [1]), 1);
        yield return new("norm3", (v, _, _) => v[0].Norm(3, [1]), 1);
        yield return new("norm_inf", (v, _, _) => v[0].Norm(double.PositiveInfinity, [1]), 1);
        yield return new("logsumexp", (v, _, _) => v[0].LogSumExp(1), 1);
        yield return new("softmax", (v, _, _) => v[0].Softmax(1), 1);
        yield return new("matmul", (v, _, _) => v[0].MatMul(v[1]), 2, [3, 2]);
        yield return new("reshape", (v, _, _) => v[0].Reshape(3, 2), 1);
        yield return new("permute", (v, _, _) => v[0].Permute(1, 0), 1);
        yield return new("slice", (v, _, _) => v[0].Slice(1, 0, null, 2), 1);
        yield return new("expand", (v, _, _) => v[0].Expand(4, 2, 3), 1);
        yield return new("clone", (v, _, _) => v[0].Clone(), 1);
        yield return new("cast", (v, _, _) => v[0].To(DType.Float32), 1);
        yield return new("gather", (v, i2, _) => v[0].Gather(1, i2), 1);
        yield return new("index_select", (v, _, i1) => v[0].IndexSelect(1, i1), 1);
        yield return new("scatter_add", (v, i2, _) => v[0].ScatterAdd(1, i2, v[1]), 2);
        yield return new("cat", (v, _, _) => Variable.Cat([v[0], v[1]], 1), 2);
        yield return new("custom", (v, _, _) => Function.Custom("twice", xs => xs[0] * 2.0, (g, _) => [g * 2.0], v[0]), 1);
    }

    private static Variable WhereWithOwnMask(Variable a, Variable b)
    {
        using Tensor mask = a.Data.Gt(0);
        return Variable.Where(mask, a, b);
    }

    private static Variable MaxValues(Variable x)
    {
        var (values, indices) = x.Max(1);
        indices.Dispose(); // the node keeps its own reference
        return values;
    }
}
