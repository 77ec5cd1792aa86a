using Spamp.Backends;
using Spamp.Functions;

namespace Spamp;

public partial class Variable
{
    // ---- element-wise, one input ---------------------------------------------------------------

    /// <summary>-x</summary>
    public Variable Neg() => UnaryFunction.Apply(this, UnaryOp.Neg);

    /// <summary>|x| (gradient 0 at 0)</summary>
    public Variable Abs() => UnaryFunction.Apply(this, UnaryOp.Abs);

    /// <summary>sign(x) (gradient 0)</summary>
    public Variable Sign() => UnaryFunction.Apply(this, UnaryOp.Sign);

    /// <summary>e^x</summary>
    public Variable Exp() => UnaryFunction.Apply(this, UnaryOp.Exp);

    /// <summary>ln x</summary>
    public Variable Log() => UnaryFunction.Apply(this, UnaryOp.Log);

    /// <summary>sqrt(x)</summary>
    public Variable Sqrt() => UnaryFunction.Apply(this, UnaryOp.Sqrt);

    /// <summary>1/sqrt(x)</summary>
    public Variable Rsqrt() => UnaryFunction.Apply(this, UnaryOp.Rsqrt);

    /// <summary>x^2</summary>
    public Variable Square() => UnaryFunction.Apply(this, UnaryOp.Square);

    /// <summary>1/x</summary>
    public Variable Reciprocal() => UnaryFunction.Apply(this, UnaryOp.Reciprocal);

    /// <summary>max(x, 0)</summary>
    public Variable Relu() => UnaryFunction.Apply(this, UnaryOp.Relu);

    /// <summary>GELU (exact by default, or the tanh approximation).</summary>
    public Variable Gelu(GeluApproximation approximate = GeluApproximation.None) =>
        UnaryFunction.Apply(this, approximate == GeluApproximation.Tanh ? UnaryOp.GeluTanh : UnaryOp.GeluErf);

    /// <summary>x*sigmoid(x)</summary>
    public Variable Silu() => UnaryFunction.Apply(this, UnaryOp.Silu);

    /// <summary>1/(1+e^-x)</summary>
    public Variable Sigmoid() => UnaryFunction.Apply(this, UnaryOp.Sigmoid);

    /// <summary>tanh(x)</summary>
    public Variable Tanh() => UnaryFunction.Apply(this, UnaryOp.Tanh);

    /// <summary>sin(x)</summary>
    public Variable Sin() => UnaryFunction.Apply(this, UnaryOp.Sin);

    /// <summary>cos(x)</summary>
    public Variable Cos() => UnaryFunction.Apply(this, UnaryOp.Cos);

    /// <summary>x^p for a scalar exponent.</summary>
    public Variable Pow(double exponent) => UnaryFunction.Apply(this, UnaryOp.PowScalar, new UnaryArgs(exponent));

    /// <summary>x &gt; 0 ? x : slope*x</summary>
    public Variable LeakyRelu(double negativeSlope = 0.01) => UnaryFunction.Apply(this, UnaryOp.LeakyRelu, new UnaryArgs(negativeSlope));

    /// <summary>Clamps into [min, max] (gradient passes where min &lt;= x &lt;= max).</summary>
    public Variable Clamp(double? min = null, double? max = null)
    {
        using Tensor check = Data.Clamp(min, max); // validates the bounds with the Tensor API's messages
        return UnaryFunction.Apply(this, UnaryOp.Clamp, new UnaryArgs(min ?? double.NaN, max ?? double.NaN));
    }

    // ---- element-wise, two inputs --------------------------------------------------------------

    /// <summary>a + b (broadcasting)</summary>
    public static Variable operator +(Variable a, Variable b) => AddFunction.Apply(a, b);

    /// <summary>a - b</summary>
    public static Variable operator -(Variable a, Variable b) => SubFunction.Apply(a, b);

    /// <summary>a * b</summary>
    public static Variable operator *(Variable a, Variable b) => MulFunction.Apply(a, b);

    /// <summary>a / b</summary>
    public static Variable operator /(Variable a, Variable b) => DivFunction.Apply(a, b);

    /// <summary>-a</summary>
    public static Variable operator -(Variable a) => a.Neg();

    /// <summary>a + s</summary>
    public static Variable operator +(Variable a, double s) => ScalarArithmeticFunction.Apply(a, BinaryOp.Add, s, scalarFirst: false);

    /// <summary>s + a</summary>
    public static Variable operator +(double s, Variable a) => ScalarArithmeticFunction.Apply(a, BinaryOp.Add, s, scalarFirst: true);

    /// <summary>a - s</summary>
    public static Variable operator -(Variable a, double s) => ScalarArithmeticFunction.Apply(a, BinaryOp.Sub, s, scalarFirst: false);

    /// <summary>s - a</summary>
    public static Variable operator -(double s, Variable a) => ScalarArithmeticFunction.Apply(a, BinaryOp.Sub, s, scalarFirst: true);

    /// <summary>a * s</summary>
    public static Variable operator *(Variable a, double s) => ScalarArithmeticFunction.Apply(a, BinaryOp.Mul, s, scalarFirst: false);

    /// <summary>s * a</summary>
    public static Variable operator *(double s, Variable a) => ScalarArithmeticFunction.Apply(a, BinaryOp.Mul, s, scalarFirst: true);

    /// <summary>a / s</summary>
    public static Variable operator /(Variable a, double s) => ScalarArithmeticFunction.Apply(a, BinaryOp.Div, s, scalarFirst: false);

    /// <summary>s / a</summary>
    public static Variable operator /(double s, Variable a) => ScalarArithmeticFunction.Apply(a, BinaryOp.Div, s, scalarFirst: true);

    /// <summary>a ^ b element-wise.</summary>
    public static Variable Pow(Variable a, Variable b) => PowFunction.Apply(a, b);

    /// <summary>s ^ x element-wise.</summary>
    public static Variable Pow(double s, Variable x) => ScalarArithmeticFunction.Apply(x, BinaryOp.Pow, s, scalarFirst: true);

    /// <summary>Element-wise maximum (the gradient goes to the larger input; ties split it evenly, as PyTorch).</summary>
    public static Variable Maximum(Variable a, Variable b) => MaximumFunction.Apply(a, b, max: true);

    /// <summary>Element-wise minimum.</summary>
    public static Variable Minimum(Variable a, Variable b) => MaximumFunction.Apply(a, b, max: false);

    /// <summary>condition ? a : b (condition is a Bool tensor, not differentiated).</summary>
    public static Variable Where(Tensor condition, Variable a, Variable b) => WhereFunction.Apply(condition, a, b);

    /// <summary>Replaces elements where <paramref name="mask"/> is true by <paramref name="value"/>.</summary>
    public Variable MaskedFill(Tensor mask, double value)
    {
        using Tensor filler = Tensor.Full(Shape.Scalar, value, DType, Device);
        return Where(mask, new Variable(filler.Alias()), this);
    }

    // ---- reductions ----------------------------------------------------------------------------

    /// <summary>Sum over <paramref name="dims"/> (all when null).</summary>
    public Variable Sum(int[]? dims = null, bool keepDim = false) => SumFunction.Apply(this, dims, keepDim, mean: false);

    /// <summary>Sum over one dimension.</summary>
    public Variable Sum(int dim, bool keepDim = false) => Sum([dim], keepDim);

    /// <summary>Mean over <paramref name="dims"/> (all when null).</summary>
    public Variable Mean(int[]? dims = null, bool keepDim = false) => SumFunction.Apply(this, dims, keepDim, mean: true);

    /// <summary>Mean over one dimension.</summary>
    public Variable Mean(int dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>Maximum over <paramref name="dims"/> (the gradient is shared evenly among tied maxima, as torch.amax).</summary>
    public Variable Amax(int[]? dims = null, bool keepDim = false) => AmaxFunction.Apply(this, dims, keepDim, max: true);

    /// <summary>Minimum over <paramref name="dims"/>.</summary>
    public Variable Amin(int[]? dims = null, bool keepDim = false) => AmaxFunction.Apply(this, dims, keepDim, max: false);

    /// <summary>Maximum over one dimension with its indices; the gradient goes to the returned index.</summary>
    public (Variable Values, Tensor Indices) Max(int dim, bool keepDim = false) => MaxDimFunction.Apply(this, dim, keepDim, max: true);

    /// <summary>Minimum over one dimension with its indices.</summary>
    public (Variable Values, Tensor Indices) Min(int dim, bool keepDim = false) => MaxDimFunction.Apply(this, dim, keepDim, max: false);

    /// <summary>Index of the maximum (not differentiable: returns a tensor).</summary>
    public Tensor ArgMax(int? dim = null, bool keepDim = false) => Data.ArgMax(dim, keepDim);

    /// <summary>Index of the minimum (not differentiable).</summary>
    public Tensor ArgMin(int? dim = null, bool keepDim = false) => Data.ArgMin(dim, keepDim);

    /// <summary>Variance with <paramref name="correction"/> (1 = unbiased), as a composition of mean, subtraction and sum.</summary>
    public Variable Var(int[]? dims = null, int correction = 1, bool keepDim = false)
    {
        Variable mean = Mean(dims, keepDim: true);
        Variable centered = this - mean;
        Variable squares = centered.Square();
        Variable total = squares.Sum(dims, keepDim);
        int count = Numel / Math.Max(mean.Numel, 1);
        return total / Math.Max(count - correction, 0);
    }

    /// <summary>Standard deviation.</summary>
    public Variable Std(int[]? dims = null, int correction = 1, bool keepDim = false) => Var(dims, correction, keepDim).Sqrt();

    /// <summary>The p-norm over <paramref name="dims"/> (all when null); the 2-norm's gradient at 0 is 0, as in PyTorch.</summary>
    public Variable Norm(double p = 2, int[]? dims = null, bool keepDim = false) => NormFunction.Apply(this, p, dims, keepDim);

    /// <summary>log(sum(exp(x))) over <paramref name="dims"/>, stably.</summary>
    public Variable LogSumExp(int[] dims, bool keepDim = false) => LogSumExpFunction.Apply(this, dims, keepDim);

    /// <summary>log(sum(exp(x))) over one dimension.</summary>
    public Variable LogSumExp(int dim, bool keepDim = false) => LogSumExp([dim], keepDim);

    // ---- linear algebra and fused ops ----------------------------------------------------------

    /// <summary>Matrix product with torch.matmul's rules.</summary>
    public static Variable MatMul(Variable a, Variable b) => MatMulFunction.Apply(a, b);

    /// <summary>this @ other</summary>
    public Variable MatMul(Variable other) => MatMulFunction.Apply(this, other);

    /// <summary>Softmax along <paramref name="dim"/>.</summary>
    public Variable Softmax(int dim) => SoftmaxFunction.Apply(this, dim, log: false);

    /// <summary>Log-softmax along <paramref name="dim"/>.</summary>
    public Variable LogSoftmax(int dim) => SoftmaxFunction.Apply(this, dim, log: true);

    // ---- views ---------------------------------------------------------------------------------

    /// <summary>Same elements, new shape (a view when possible); one size may be -1.</summary>
    public Variable Reshape(params int[] shape) => ReshapeFunction.Apply(this, shape);

    /// <summary>Same elements, new shape, as a view (throws when a copy would be needed).</summary>
    public Variable View(params int[] shape) => ReshapeFunction.Apply(this, shape, viewOnly: true);

    /// <summary>Flattens dimensions startDim..endDim into one.</summary>
    public Variable Flatten(int startDim = 0, int endDim = -1)
    {
        using Tensor probe = Data.Flatten(startDim, endDim);
        return Reshape(probe.Shape.ToArray());
    }

    /// <summary>Inserts a size-1 dimension.</summary>
    public Variable Unsqueeze(int dim)
    {
        using Tensor probe = Data.Unsqueeze(dim);
        return Reshape(probe.Shape.ToArray());
    }

    /// <summary>Removes a size-1 dimension.</summary>
    public Variable Squeeze(int dim)
    {
        using Tensor probe = Data.Squeeze(dim);
        return Reshape(probe.Shape.ToArray());
    }

    /// <summary>Removes every size-1 dimension.</summary>
    public Variable Squeeze()
    {
        using Tensor probe = Data.Squeeze();
        return Reshape(probe.Shape.ToArray());
    }

    /// <summary>Reorders dimensions.</summary>
    public Variable Permute(params int[] dims) => PermuteFunction.Apply(this, dims);

    /// <summary>Swaps two dimensions.</summary>
    public Variable Transpose(int dim0, int dim1)
    {
        int rank = Math.Max(Rank, 1);
        int a = Shape.NormalizeDim(dim0, "transpose", nameof(dim0)), b = Shape.NormalizeDim(dim1, "transpose", nameof(dim1));
        var order = new int[Rank];
        for (int i = 0; i < Rank; i++)
        {
            order[i] = i == a ? b : i == b ? a : i;
        }

        return rank < 2 ? Reshape(Shape.ToArray()) : Permute(order);
    }

    /// <summary>Matrix transpose of a rank-2 variable.</summary>
    public Variable T => Rank == 2 ? Transpose(0, 1) : Rank < 2 ? Reshape(Shape.ToArray())
        : throw new ShapeMismatchException($"T: variable of shape {Shape} has rank {Rank}; use Transpose or Permute");

    /// <summary>Python-style slice [start:end:step] of one dimension.</summary>
    public Variable Slice(int dim, int? start = null, int? end = null, int step = 1) => SliceFunction.Apply(this, dim, start, end, step);

    /// <summary>Elements [start, start+length) of a dimension.</summary>
    public Variable Narrow(int dim, int start, int length)
    {
        using Tensor probe = Data.Narrow(dim, start, length); // validates with the Tensor API's message
        int d = Shape.NormalizeDim(dim, "narrow");
        int s = start < 0 ? start + Shape[d] : start;
        return SliceFunction.Apply(this, d, s, s + length, 1);
    }

    /// <summary>Index <paramref name="index"/> of a dimension, removing the dimension.</summary>
    public Variable Select(int dim, int index)
    {
        using Tensor probe = Data.Select(dim, index);
        int d = Shape.NormalizeDim(dim, "select");
        int i = index < 0 ? index + Shape[d] : index;
        return SliceFunction.Apply(this, d, i, i + 1, 1).Reshape(probe.Shape.ToArray());
    }

    /// <summary>Broadcasts to <paramref name="shape"/> (-1 keeps a size).</summary>
    public Variable Expand(params int[] shape) => ExpandFunction.Apply(this, shape);

    /// <summary>A contiguous version (the identity for the gradient).</summary>
    public Variable Contiguous() => CloneFunction.Apply(this, onlyIfNeeded: true);

    /// <summary>A copy with its own storage (the identity for the gradient).</summary>
    public Variable Clone() => CloneFunction.Apply(this, onlyIfNeeded: false);

    /// <summary>Converts the dtype; the gradient converts back. Non-floating targets cut the graph (they cannot carry gradients).</summary>
    public Variable To(DType dtype) => CastFunction.Apply(this, dtype);

    /// <summary>Splits into pieces of <paramref name="splitSize"/> along <paramref name="dim"/>.</summary>
    public Variable[] Split(int splitSize, int dim = 0)
    {
        Tensor[] probes = Data.Split(splitSize, dim);
        int d = Shape.NormalizeDim(dim, "split");
        var parts = new Variable[probes.Length];
        int start = 0;
        for (int i = 0; i < probes.Length; i++)
        {
            int size = probes[i].Shape[d];
            probes[i].Dispose();
            parts[i] = SliceFunction.Apply(this, d, start, start + size, 1);
            start += size;
        }

        return parts;
    }

    /// <summary>Splits into <paramref name="chunks"/> nearly equal pieces.</summary>
    public Variable[] Chunk(int chunks, int dim = 0)
    {
        if (chunks <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(chunks), chunks, "chunk: the number of chunks must be positive");
        }

        int d = Shape.NormalizeDim(dim, "chunk");
        return Split(Math.Max(1, (Shape[d] + chunks - 1) / chunks), d);
    }

    // ---- indexing ------------------------------------------------------------------------------

    /// <summary>torch.gather along <paramref name="dim"/>.</summary>
    public Variable Gather(int dim, Tensor index) => GatherFunction.Apply(this, dim, index);

    /// <summary>Entries <paramref name="index"/> of dimension <paramref name="dim"/>.</summary>
    public Variable IndexSelect(int dim, Tensor index) => IndexSelectFunction.Apply(this, dim, index);

    /// <summary>Out of place scatter_add: a copy of this with <paramref name="source"/> added at <paramref name="index"/> along <paramref name="dim"/>.</summary>
    public Variable ScatterAdd(int dim, Tensor index, Variable source) => ScatterAddFunction.Apply(this, dim, index, source);

    /// <summary>Concatenates along <paramref name="dim"/>.</summary>
    public static Variable Cat(IReadOnlyList<Variable> variables, int dim = 0) => CatFunction.Apply(variables, dim);

    /// <summary>Stacks along a new dimension.</summary>
    public static Variable Stack(IReadOnlyList<Variable> variables, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var expanded = new Variable[variables.Count];
        for (int i = 0; i < variables.Count; i++)
        {
            if (variables[i].Shape != variables[0].Shape)
            {
                throw new ShapeMismatchException($"stack: all variables must have one shape; 0 has {variables[0].Shape}, {i} has {variables[i].Shape}", nameof(variables));
            }

            expanded[i] = variables[i].Unsqueeze(dim);
        }

        return Cat(expanded, dim < 0 ? dim : dim);
    }
}
