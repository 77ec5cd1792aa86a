using NUnit.Framework;

namespace Spamp.Tests.Autograd;

/// <summary>
/// Every differentiable op of the Variable API against central finite differences in float64
/// (<see cref="GradCheck"/>, full Jacobian, tolerance 1e-6). Points are chosen away from kinks
/// (|x| &gt; 0.1 for relu/abs/sign/leaky_relu, away from clamp bounds, no ties for amax/max), and
/// inputs are tiny because the Jacobian is computed one element at a time.
/// </summary>
[TestFixture]
public sealed class GradCheckTests
{
    /// <summary>One op: a function of the inputs and how to make them (from a seeded generator).</summary>
    public sealed record GradCase(string Name, Func<Variable[], Variable> Function, Func<System.Random, Tensor>[] Inputs, double Eps = 1e-6, double Atol = 1e-6)
    {
        public override string ToString() => Name;
    }

    [TestCaseSource(nameof(Cases))]
    public void AnalyticGradientMatchesFiniteDifferences(GradCase c)
    {
        using var scope = TensorScope.Begin();
        var rng = new System.Random(StableHash(c.Name));
        Tensor[] inputs = c.Inputs.Select(make => make(rng)).ToArray();
        GradCheckResult result = GradCheck.Check(c.Function, inputs, eps: c.Eps, atol: c.Atol);
        Assert.That(result.Passed, Is.True, result.Report);
    }

    private static IEnumerable<TestCaseData> Cases() => AllCases().Select(c => new TestCaseData(c).SetName(c.Name));

    private static IEnumerable<GradCase> AllCases()
    {
        // ---- element-wise, one input ----
        yield return Case("neg", v => v[0].Neg(), N(2, 3));
        yield return Case("abs", v => v[0].Abs(), Away(2, 3));
        yield return Case("sign", v => v[0].Sign(), Away(2, 3));
        yield return Case("exp", v => v[0].Exp(), N(2, 3));
        yield return Case("log", v => v[0].Log(), Pos(2, 3));
        yield return Case("sqrt", v => v[0].Sqrt(), Pos(2, 3));
        yield return Case("rsqrt", v => v[0].Rsqrt(), Pos(2, 3));
        yield return Case("square", v => v[0].Square(), N(2, 3));
        yield return Case("reciprocal", v => v[0].Reciprocal(), Away(2, 3, 0.5));
        yield return Case("relu", v => v[0].Relu(), Away(2, 3));
        yield return Case("gelu_erf", v => v[0].Gelu(), N(2, 3, 2));
        yield return Case("gelu_tanh", v => v[0].Gelu(GeluApproximation.Tanh), N(2, 3, 2));
        yield return Case("silu", v => v[0].Silu(), N(2, 3, 2));
        yield return Case("sigmoid", v => v[0].Sigmoid(), N(2, 3, 2));
        yield return Case("tanh", v => v[0].Tanh(), N(2, 3));
        yield return Case("sin", v => v[0].Sin(), N(2, 3));
        yield return Case("cos", v => v[0].Cos(), N(2, 3));
        yield return Case("pow_scalar_2.5", v => v[0].Pow(2.5), Pos(2, 3));
        yield return Case("pow_scalar_3", v => v[0].Pow(3), N(2, 3));
        yield return Case("leaky_relu", v => v[0].LeakyRelu(0.2), Away(2, 3));
        yield return Case("clamp", v => v[0].Clamp(-0.5, 1.0), Data([-2.0, -0.8, -0.3, 0.2, 0.4, 0.7, 1.3, 2.5], 2, 4));
        yield return Case("clamp_min_only", v => v[0].Clamp(min: 0.0), Away(2, 3));
        yield return Case("tanh_of_transpose", v => v[0].Transpose(0, 1).Tanh(), N(3, 2));

        // ---- element-wise, two inputs: broadcasting and non-contiguous operands ----
        yield return Case("add_broadcast", v => v[0] + v[1], N(3, 1, 4), N(2, 1));
        yield return Case("sub_broadcast", v => v[0] - v[1], N(3, 1, 4), N(2, 1));
        yield return Case("mul_broadcast", v => v[0] * v[1], N(3, 1, 4), N(2, 1));
        yield return Case("div_broadcast", v => v[0] / v[1], N(3, 1, 4), Away(2, 1, 0.5));
        yield return Case("pow_broadcast", v => Variable.Pow(v[0], v[1]), Pos(3, 1, 4), N(2, 1));
        yield return Case("add_transposed", v => v[0].Transpose(0, 1) + v[1], N(4, 3), N(3, 4));
        yield return Case("mul_permuted", v => v[0].Permute(2, 0, 1) * v[1], N(3, 4, 2), N(2, 3, 4));
        yield return Case("div_sliced_step2", v => v[0].Slice(0, 0, null, 2) / v[1], N(5, 3), Away(3, 3, 0.5));
        yield return Case("sub_sliced_step2_transposed", v => v[0].Slice(1, 1, null, 2).Transpose(0, 1) - v[1], N(2, 5), N(2, 2));
        yield return Case("pow_transposed", v => Variable.Pow(v[0].Transpose(0, 1), v[1]), Pos(3, 2), N(2, 3));
        yield return Case("mul_permuted_inputs", v => v[0] * v[1], Permuted(N(4, 3), 1, 0), Permuted(N(4, 3, 1), 2, 1, 0));
        yield return Case("maximum", v => Variable.Maximum(v[0], v[1]), N(2, 3), N(2, 3));
        yield return Case("maximum_broadcast", v => Variable.Maximum(v[0], v[1]), N(2, 3), N(3));
        // At a tie the central difference of max(a, b) is 1/2 for each side: the split PyTorch uses.
        yield return Case("maximum_ties", v => Variable.Maximum(v[0], v[1]), Data([1.0, 2.0, -1.0], 3), Data([1.0, 0.5, -1.0], 3));
        yield return Case("minimum", v => Variable.Minimum(v[0], v[1]), N(2, 3), N(2, 3));
        yield return Case("minimum_ties", v => Variable.Minimum(v[0], v[1]), Data([1.0, 2.0, -1.0], 3), Data([1.0, 0.5, -1.0], 3));

        // ---- scalar on either side ----
        yield return Case("add_scalar", v => v[0] + 1.5, N(2, 3));
        yield return Case("scalar_add", v => 1.5 + v[0], N(2, 3));
        yield return Case("sub_scalar", v => v[0] - 1.5, N(2, 3));
        yield return Case("scalar_sub", v => 1.5 - v[0], N(2, 3));
        yield return Case("mul_scalar", v => v[0] * -2.5, N(2, 3));
        yield return Case("scalar_mul", v => -2.5 * v[0], N(2, 3));
        yield return Case("div_scalar", v => v[0] / 4.0, N(2, 3));
        yield return Case("scalar_div", v => 3.0 / v[0], Away(2, 3, 0.5));
        yield return Case("scalar_pow", v => Variable.Pow(1.7, v[0]), N(2, 3));
        yield return Case("scalar_ops_transposed", v => 2.0 / (v[0].Transpose(0, 1) + 3.0), Pos(3, 2));

        // ---- selection ----
        yield return Case("where", v => Variable.Where(Mask([true, false, true, false, false, true], 2, 3), v[0], v[1]), N(2, 3), N(2, 3));
        yield return Case("where_broadcast", v => Variable.Where(Mask([true, false, true], 3), v[0], v[1]), N(2, 1), N(3));
        yield return Case("masked_fill", v => v[0].MaskedFill(Mask([true, false, false, true], 2, 2), -1.0), N(2, 2));

        // ---- reductions ----
        yield return Case("sum_all", v => v[0].Sum(), N(2, 3, 2));
        yield return Case("sum_dims_0_2", v => v[0].Sum([0, 2]), N(2, 3, 2));
        yield return Case("sum_dim_1_keepdim", v => v[0].Sum(1, keepDim: true), N(2, 3, 2));
        yield return Case("sum_dim_neg1", v => v[0].Sum(-1), N(2, 3, 2));
        yield return Case("mean_all", v => v[0].Mean(), N(2, 3, 2));
        yield return Case("mean_dims_0_1_keepdim", v => v[0].Mean([0, 1], keepDim: true), N(2, 3, 2));
        yield return Case("mean_dim_2", v => v[0].Mean(2), N(2, 3, 2));
        yield return Case("amax_dim1", v => v[0].Amax([1]), N(3, 4));
        yield return Case("amax_all_keepdim", v => v[0].Amax(keepDim: true), N(3, 4));
        yield return Case("amin_dim0", v => v[0].Amin([0]), N(3, 4));
        yield return Case("max_dim1", v => v[0].Max(1).Values, N(3, 4));
        yield return Case("max_dim0_keepdim", v => v[0].Max(0, keepDim: true).Values, N(3, 4));
        yield return Case("min_dim_neg1", v => v[0].Min(-1).Values, N(3, 4));
        yield return Case("var_dim1", v => v[0].Var([1]), N(3, 4));
        yield return Case("var_all_biased", v => v[0].Var(correction: 0), N(3, 4));
        yield return Case("std_dim0_keepdim", v => v[0].Std([0], keepDim: true), N(4, 3));
        yield return Case("norm_p1", v => v[0].Norm(1, [1]), Away(3, 4));
        yield return Case("norm_p2_all", v => v[0].Norm(), N(3, 4));
        yield return Case("norm_p2_dim1_keepdim", v => v[0].Norm(2, [1], keepDim: true), N(3, 4));
        yield return Case("norm_p3", v => v[0].Norm(3, [0]), N(3, 4));
        yield return Case("norm_inf", v => v[0].Norm(double.PositiveInfinity, [1]), N(3, 4));
        yield return Case("logsumexp_dim1", v => v[0].LogSumExp(1), N(3, 4, 3));
        yield return Case("logsumexp_dims_0_2_keepdim", v => v[0].LogSumExp([0, 2], keepDim: true), N(2, 3, 2));

        // ---- matmul ----
        yield return Case("matmul_1d_1d", v => v[0].MatMul(v[1]), N(3), N(3));
        yield return Case("matmul_1d_2d", v => v[0].MatMul(v[1]), N(3), N(3, 2));
        yield return Case("matmul_2d_1d", v => v[0].MatMul(v[1]), N(2, 3), N(3));
        yield return Case("matmul_2d_2d", v => v[0].MatMul(v[1]), N(2, 3), N(3, 4));
        yield return Case("matmul_batched_broadcast", v => v[0].MatMul(v[1]), N(2, 1, 3, 4), N(5, 4, 2));
        yield return Case("matmul_batched_1d_rhs", v => v[0].MatMul(v[1]), N(2, 3, 4), N(4));
        yield return Case("matmul_transposed_operands", v => v[0].T.MatMul(v[1].T), N(4, 3), N(2, 4));
        yield return Case("matmul_permuted_batch", v => v[0].Permute(1, 0, 2).MatMul(v[1]), N(3, 2, 4), N(4, 2));

        // ---- softmax ----
        yield return Case("softmax_dim0", v => v[0].Softmax(0), N(3, 4, 2));
        yield return Case("softmax_dim_neg1", v => v[0].Softmax(-1), N(3, 4, 2));
        yield return Case("log_softmax_dim0", v => v[0].LogSoftmax(0), N(3, 4, 2));
        yield return Case("log_softmax_dim_neg1", v => v[0].LogSoftmax(-1), N(3, 4, 2));
        yield return Case("softmax_of_transpose", v => v[0].Transpose(0, 1).Softmax(-1), N(4, 3));

        // ---- views and shape ops ----
        yield return Case("reshape", v => v[0].Reshape(4, -1), N(2, 3, 2));
        yield return Case("reshape_of_transpose", v => v[0].Transpose(0, 1).Reshape(-1), N(2, 3));
        yield return Case("view", v => v[0].View(3, 4), N(2, 6));
        yield return Case("flatten", v => v[0].Flatten(1), N(2, 3, 2));
        yield return Case("squeeze_dim", v => v[0].Squeeze(1), N(3, 1, 2));
        yield return Case("squeeze_all", v => v[0].Squeeze(), N(1, 3, 1));
        yield return Case("unsqueeze", v => v[0].Unsqueeze(1) * v[1], N(3, 2), N(3, 4, 2));
        yield return Case("permute", v => v[0].Permute(2, 0, 1), N(2, 3, 2));
        yield return Case("transpose", v => v[0].Transpose(0, 2), N(2, 3, 2));
        yield return Case("slice_step2", v => v[0].Slice(0, 1, 5, 2), N(5, 3));
        yield return Case("slice_negative_start", v => v[0].Slice(1, -4, null, 3), N(2, 6));
        yield return Case("narrow", v => v[0].Narrow(1, 1, 3), N(3, 5));
        yield return Case("select", v => v[0].Select(1, -1), N(3, 4));
        yield return Case("expand", v => v[0].Expand(2, 3, 4), N(3, 1));
        yield return Case("contiguous_of_transpose", v => v[0].Transpose(0, 1).Contiguous(), N(3, 2));
        yield return Case("clone", v => v[0].Clone() * v[0], N(2, 3));
        yield return Case("split", v => WeightedCat(v[0].Split(2, 0), 0), N(5, 2));
        yield return Case("chunk", v => WeightedCat(v[0].Chunk(3, 1), 1), N(2, 7));

        // ---- indexing and joining ----
        yield return Case("gather_dim1", v => v[0].Gather(1, Index([0, 3, 3, 1, 2, 2], 3, 2)), N(3, 4));
        yield return Case("gather_dim0", v => v[0].Gather(0, Index([2, 0, 1, 1, 0, 0, 2, 2], 2, 4)), N(3, 4));
        yield return Case("index_select_repeated", v => v[0].IndexSelect(0, Index([3, 0, 3], 3)), N(4, 3));
        yield return Case("index_select_dim1", v => v[0].IndexSelect(1, Index([4, 1], 2)), N(2, 5));
        yield return Case("scatter_add_duplicates", v => v[0].ScatterAdd(0, Index([0, 1, 2, 0, 0, 1, 2, 0], 2, 4), v[1]), N(3, 4), N(2, 4));
        yield return Case("scatter_add_source_larger", v => v[0].ScatterAdd(1, Index([4, 4, 0, 1], 2, 2), v[1]), N(2, 5), N(2, 3));
        yield return Case("cat_dim0", v => Variable.Cat([v[0], v[1], v[2]]), N(2, 3), N(1, 3), N(3, 3));
        yield return Case("cat_dim_neg1", v => Variable.Cat([v[0], v[1]], -1), N(2, 1), N(2, 3));
        yield return Case("cat_same_input_twice", v => Variable.Cat([v[0], v[0].Exp()], 1), N(2, 2));
        yield return Case("stack_dim0", v => Variable.Stack([v[0], v[1]]), N(2, 3), N(2, 3));
        yield return Case("stack_dim_neg1", v => Variable.Stack([v[0], v[1], v[2]], -1), N(2, 3), N(2, 3), N(2, 3));

        // float64 -> float32 -> float64: the float32 rounding (about 6e-8 relative) is amplified by
        // 1/(2 eps) in the finite difference, so this case uses eps = 1e-3 and a tolerance of 1e-3.
        yield return Case("cast_float32_roundtrip", v => v[0].To(DType.Float32).Square().To(DType.Float64), N(2, 3)) with { Eps = 1e-3, Atol = 1e-3 };
    }

    /// <summary>Joins the pieces again, piece i scaled by i+1, so a gradient routed to the wrong piece shows.</summary>
    private static Variable WeightedCat(Variable[] parts, int dim) => Variable.Cat(parts.Select((p, i) => p * (i + 1.0)).ToArray(), dim);

    private static GradCase Case(string name, Func<Variable[], Variable> f, params Func<System.Random, Tensor>[] inputs) => new(name, f, inputs);

    /// <summary>Standard normal values (scaled).</summary>
    private static Func<System.Random, Tensor> N(params int[] shape) => rng => Make(rng, shape, Normal);

    private static Func<System.Random, Tensor> N(int rows, int cols, double scale) => rng => Make(rng, [rows, cols], r => scale * Normal(r));

    /// <summary>Normal values at least <paramref name="margin"/> away from 0.</summary>
    private static Func<System.Random, Tensor> Away(int rows, int cols, double margin = 0.1) => rng => Make(rng, [rows, cols], r =>
    {
        double x = Normal(r);
        return x >= 0 ? x + margin : x - margin;
    });

    /// <summary>Uniform values in [0.5, 2).</summary>
    private static Func<System.Random, Tensor> Pos(params int[] shape) => rng => Make(rng, shape, r => 0.5 + (1.5 * r.NextDouble()));

    private static Func<System.Random, Tensor> Data(double[] values, params int[] shape) => _ => Tensor.From(values, shape);

    /// <summary>A permuted (non-contiguous) view of the input.</summary>
    private static Func<System.Random, Tensor> Permuted(Func<System.Random, Tensor> make, params int[] dims) => rng =>
    {
        using Tensor t = make(rng);
        return t.Permute(dims);
    };

    private static Tensor Make(System.Random rng, int[] shape, Func<System.Random, double> draw)
    {
        var values = new double[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = draw(rng);
        }

        return Tensor.From(values, shape);
    }

    private static double Normal(System.Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static Tensor Mask(bool[] values, params int[] shape) => Tensor.From(values, shape);

    private static Tensor Index(long[] values, params int[] shape) => Tensor.From(values, shape);

    private static int StableHash(string s)
    {
        int h = 17;
        foreach (char ch in s)
        {
            h = unchecked((h * 31) + ch);
        }

        return h;
    }
}
