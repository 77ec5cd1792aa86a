using Spamp.Backends;

namespace Spamp;

/// <summary>How GELU is computed.</summary>
public enum GeluApproximation
{
    /// <summary>x*Phi(x) with the exact normal CDF (PyTorch's default, approximate='none').</summary>
    None,
    /// <summary>The tanh approximation (approximate='tanh', GPT-2's form).</summary>
    Tanh,
}

public sealed partial class Tensor
{
    // ---- unary ---------------------------------------------------------------------------------

    /// <summary>-x</summary>
    public Tensor Neg() => RunUnary(UnaryOp.Neg, this, default, floatOnly: false, "neg");

    /// <summary>|x|</summary>
    public Tensor Abs() => RunUnary(UnaryOp.Abs, this, default, floatOnly: false, "abs");

    /// <summary>sign(x): -1, 0 or 1.</summary>
    public Tensor Sign() => RunUnary(UnaryOp.Sign, this, default, floatOnly: false, "sign");

    /// <summary>e^x</summary>
    public Tensor Exp() => RunUnary(UnaryOp.Exp, this, default, floatOnly: true, "exp");

    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => RunUnary(UnaryOp.Log, this, default, floatOnly: true, "log");

    /// <summary>Square root.</summary>
    public Tensor Sqrt() => RunUnary(UnaryOp.Sqrt, this, default, floatOnly: true, "sqrt");

    /// <summary>1/sqrt(x)</summary>
    public Tensor Rsqrt() => RunUnary(UnaryOp.Rsqrt, this, default, floatOnly: true, "rsqrt");

    /// <summary>x^2</summary>
    public Tensor Square() => RunUnary(UnaryOp.Square, this, default, floatOnly: false, "square");

    /// <summary>1/x</summary>
    public Tensor Reciprocal() => RunUnary(UnaryOp.Reciprocal, this, default, floatOnly: true, "reciprocal");

    /// <summary>max(x, 0)</summary>
    public Tensor Relu() => RunUnary(UnaryOp.Relu, this, default, floatOnly: false, "relu");

    /// <summary>GELU, exact by default or with the tanh approximation.</summary>
    public Tensor Gelu(GeluApproximation approximate = GeluApproximation.None) =>
        RunUnary(approximate == GeluApproximation.Tanh ? UnaryOp.GeluTanh : UnaryOp.GeluErf, this, default, floatOnly: true, "gelu");

    /// <summary>x*sigmoid(x) (also called swish).</summary>
    public Tensor Silu() => RunUnary(UnaryOp.Silu, this, default, floatOnly: true, "silu");

    /// <summary>1/(1+e^-x)</summary>
    public Tensor Sigmoid() => RunUnary(UnaryOp.Sigmoid, this, default, floatOnly: true, "sigmoid");

    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh() => RunUnary(UnaryOp.Tanh, this, default, floatOnly: true, "tanh");

    /// <summary>Sine.</summary>
    public Tensor Sin() => RunUnary(UnaryOp.Sin, this, default, floatOnly: true, "sin");

    /// <summary>Cosine.</summary>
    public Tensor Cos() => RunUnary(UnaryOp.Cos, this, default, floatOnly: true, "cos");

    /// <summary>x^<paramref name="exponent"/> for a scalar exponent.</summary>
    public Tensor Pow(double exponent) => RunUnary(UnaryOp.PowScalar, this, new UnaryArgs(exponent), floatOnly: true, "pow");

    /// <summary>x &gt; 0 ? x : slope*x</summary>
    public Tensor LeakyRelu(double negativeSlope = 0.01) => RunUnary(UnaryOp.LeakyRelu, this, new UnaryArgs(negativeSlope), floatOnly: true, "leaky_relu");

    /// <summary>Clamps into [min, max]; a null bound is absent. At least one bound is required, as in PyTorch.</summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        if (min is null && max is null)
        {
            throw new ArgumentException("clamp: at least one of min and max must be given", nameof(min));
        }

        if (min is { } lo && max is { } hi && lo > hi)
        {
            throw new ArgumentException($"clamp: min {lo} is greater than max {hi}", nameof(min));
        }

        return RunUnary(UnaryOp.Clamp, this, new UnaryArgs(min ?? double.NaN, max ?? double.NaN), floatOnly: false, "clamp");
    }

    /// <summary>
    /// The derivative side of a unary op, for autograd: gradOutput * op'(input), using output =
    /// op(input) where that is cheaper. All three tensors share a shape.
    /// </summary>
    public static Tensor UnaryBackward(UnaryOp op, Tensor input, Tensor output, Tensor gradOutput, UnaryArgs args = default)
    {
        CheckSameDevice("unary_backward", input, gradOutput);
        DType compute = ComputeType(gradOutput.DType);
        using Tensor x = input.ContiguousAs(compute);
        using Tensor y = output.ContiguousAs(compute);
        using Tensor dy = gradOutput.ContiguousAs(compute);
        Tensor dx = Empty(input.Shape, compute, input.Device);
        input.Backend.UnaryBackward(op, x.Storage, y.Storage, dy.Storage, dx.Storage, dx.Numel, args);
        return dx.CastAndDispose(gradOutput.DType);
    }

    private static Tensor RunUnary(UnaryOp op, Tensor x, UnaryArgs args, bool floatOnly, string name)
    {
        DType compute = x.DType;
        if (compute == DType.Bool || (floatOnly && !compute.IsFloatingPoint()))
        {
            if (!floatOnly)
            {
                throw new DTypeMismatchException($"{name}: not defined for a bool tensor of shape {x.Shape}; convert it with To() first");
            }

            compute = DType.Float32;
        }

        compute = ComputeType(compute);
        using Tensor input = x.DType == compute ? x.Alias() : x.To(compute);
        Tensor result = Empty(x.Shape, compute, x.Device);
        x.Backend.Unary(op, input.Storage, input.Layout, result.Storage, args);
        return x.DType.IsHalfPrecision() ? result.CastAndDispose(x.DType) : result;
    }

    // ---- binary --------------------------------------------------------------------------------

    /// <summary>a + b with NumPy broadcasting and PyTorch type promotion.</summary>
    public static Tensor Add(Tensor a, Tensor b) => RunBinary(BinaryOp.Add, a, b, "add");

    /// <summary>a - b</summary>
    public static Tensor Sub(Tensor a, Tensor b) => RunBinary(BinaryOp.Sub, a, b, "sub");

    /// <summary>a * b</summary>
    public static Tensor Mul(Tensor a, Tensor b) => RunBinary(BinaryOp.Mul, a, b, "mul");

    /// <summary>a / b (true division: integers divide as float32, as in PyTorch).</summary>
    public static Tensor Div(Tensor a, Tensor b) => RunBinary(BinaryOp.Div, a, b, "div");

    /// <summary>a ^ b element-wise.</summary>
    public static Tensor Pow(Tensor a, Tensor b) => RunBinary(BinaryOp.Pow, a, b, "pow");

    /// <summary>Element-wise maximum (NaN wins).</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => RunBinary(BinaryOp.Maximum, a, b, "maximum");

    /// <summary>Element-wise minimum (NaN wins).</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => RunBinary(BinaryOp.Minimum, a, b, "minimum");

    /// <summary>a + b</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Add(a, b);

    /// <summary>a - b</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Sub(a, b);

    /// <summary>a * b</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Mul(a, b);

    /// <summary>a / b</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Div(a, b);

    /// <summary>-a</summary>
    public static Tensor operator -(Tensor a) => a.Neg();

    /// <summary>a + s</summary>
    public static Tensor operator +(Tensor a, double s) => RunScalar(BinaryOp.Add, a, s, false, "add");

    /// <summary>s + a</summary>
    public static Tensor operator +(double s, Tensor a) => RunScalar(BinaryOp.Add, a, s, true, "add");

    /// <summary>a - s</summary>
    public static Tensor operator -(Tensor a, double s) => RunScalar(BinaryOp.Sub, a, s, false, "sub");

    /// <summary>s - a</summary>
    public static Tensor operator -(double s, Tensor a) => RunScalar(BinaryOp.Sub, a, s, true, "sub");

    /// <summary>a * s</summary>
    public static Tensor operator *(Tensor a, double s) => RunScalar(BinaryOp.Mul, a, s, false, "mul");

    /// <summary>s * a</summary>
    public static Tensor operator *(double s, Tensor a) => RunScalar(BinaryOp.Mul, a, s, true, "mul");

    /// <summary>a / s</summary>
    public static Tensor operator /(Tensor a, double s) => RunScalar(BinaryOp.Div, a, s, false, "div");

    /// <summary>s / a</summary>
    public static Tensor operator /(double s, Tensor a) => RunScalar(BinaryOp.Div, a, s, true, "div");

    /// <summary>Element-wise maximum with a scalar.</summary>
    public Tensor Maximum(double s) => RunScalar(BinaryOp.Maximum, this, s, false, "maximum");

    /// <summary>Element-wise minimum with a scalar.</summary>
    public Tensor Minimum(double s) => RunScalar(BinaryOp.Minimum, this, s, false, "minimum");

    /// <summary>s ^ x element-wise (scalar base).</summary>
    public static Tensor Pow(double s, Tensor x) => RunScalar(BinaryOp.Pow, x, s, true, "pow");

    private static Tensor RunBinary(BinaryOp op, Tensor a, Tensor b, string name)
    {
        CheckSameDevice(name, a, b);
        Shape shape = BroadcastShapes(name, a, b);
        DType resultType = DTypeInfo.Promote(a.DType, b.DType);
        if (resultType == DType.Bool)
        {
            throw new DTypeMismatchException($"{name}: arithmetic on two bool tensors ({a.Shape} and {b.Shape}) is not defined; convert them with To() first");
        }

        if (op is BinaryOp.Div or BinaryOp.Pow && !resultType.IsFloatingPoint())
        {
            resultType = DType.Float32;
        }

        DType compute = ComputeType(resultType);
        using Tensor ca = a.To(compute);
        using Tensor cb = b.To(compute);
        Tensor result = Empty(shape, compute, a.Device);
        a.Backend.Binary(op, ca.Storage, ca.Layout.Expand(shape), cb.Storage, cb.Layout.Expand(shape), result.Storage);
        return result.CastAndDispose(resultType);
    }

    private static Tensor RunScalar(BinaryOp op, Tensor x, double s, bool scalarFirst, string name)
    {
        DType resultType = x.DType;
        bool integral = s == Math.Floor(s) && !double.IsInfinity(s);
        if (!resultType.IsFloatingPoint() && (!integral || op is BinaryOp.Div || (op is BinaryOp.Pow && (scalarFirst || s < 0))))
        {
            resultType = DType.Float32;
        }
        else if (resultType == DType.Bool)
        {
            resultType = DType.Int64;
        }

        DType compute = ComputeType(resultType);
        using Tensor input = x.To(compute);
        Tensor result = Empty(x.Shape, compute, x.Device);
        x.Backend.BinaryScalar(op, input.Storage, input.Layout, s, scalarFirst, result.Storage);
        return result.CastAndDispose(resultType);
    }

    // ---- comparisons and selection -------------------------------------------------------------

    /// <summary>a == b (Bool result).</summary>
    public static Tensor Eq(Tensor a, Tensor b) => RunCompare(CompareOp.Eq, a, b, "eq");

    /// <summary>a != b</summary>
    public static Tensor Ne(Tensor a, Tensor b) => RunCompare(CompareOp.Ne, a, b, "ne");

    /// <summary>a &lt; b</summary>
    public static Tensor Lt(Tensor a, Tensor b) => RunCompare(CompareOp.Lt, a, b, "lt");

    /// <summary>a &lt;= b</summary>
    public static Tensor Le(Tensor a, Tensor b) => RunCompare(CompareOp.Le, a, b, "le");

    /// <summary>a &gt; b</summary>
    public static Tensor Gt(Tensor a, Tensor b) => RunCompare(CompareOp.Gt, a, b, "gt");

    /// <summary>a &gt;= b</summary>
    public static Tensor Ge(Tensor a, Tensor b) => RunCompare(CompareOp.Ge, a, b, "ge");

    /// <summary>x == s</summary>
    public Tensor Eq(double s) => CompareScalar(CompareOp.Eq, s, "eq");

    /// <summary>x != s</summary>
    public Tensor Ne(double s) => CompareScalar(CompareOp.Ne, s, "ne");

    /// <summary>x &lt; s</summary>
    public Tensor Lt(double s) => CompareScalar(CompareOp.Lt, s, "lt");

    /// <summary>x &lt;= s</summary>
    public Tensor Le(double s) => CompareScalar(CompareOp.Le, s, "le");

    /// <summary>x &gt; s</summary>
    public Tensor Gt(double s) => CompareScalar(CompareOp.Gt, s, "gt");

    /// <summary>x &gt;= s</summary>
    public Tensor Ge(double s) => CompareScalar(CompareOp.Ge, s, "ge");

    private Tensor CompareScalar(CompareOp op, double s, string name)
    {
        DType type = DType == DType.Bool || (!DType.IsFloatingPoint() && s != Math.Floor(s)) ? DType.Float64 : DType;
        using Tensor scalar = Scalar(s, type, Device);
        return RunCompare(op, this, scalar, name);
    }

    private static Tensor RunCompare(CompareOp op, Tensor a, Tensor b, string name)
    {
        CheckSameDevice(name, a, b);
        Shape shape = BroadcastShapes(name, a, b);
        DType compute = DTypeInfo.Promote(a.DType, b.DType);
        if (compute == DType.Bool && op is not (CompareOp.Eq or CompareOp.Ne))
        {
            compute = DType.Int32;
        }

        compute = ComputeType(compute);
        using Tensor ca = a.To(compute);
        using Tensor cb = b.To(compute);
        Tensor result = Empty(shape, DType.Bool, a.Device);
        a.Backend.Compare(op, ca.Storage, ca.Layout.Expand(shape), cb.Storage, cb.Layout.Expand(shape), result.Storage);
        return result;
    }

    /// <summary>Element-wise <c>condition ? a : b</c> with broadcasting over all three; condition must be Bool.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        CheckSameDevice("where", condition, a);
        CheckSameDevice("where", a, b);
        if (condition.DType != DType.Bool)
        {
            throw new DTypeMismatchException($"where: condition must be bool, got {condition.DType.Name()} of shape {condition.Shape}", nameof(condition));
        }

        Shape shape = Shape.TryBroadcast(condition.Shape, Shape.TryBroadcast(a.Shape, b.Shape) ?? BroadcastShapes("where", a, b))
            ?? throw new ShapeMismatchException($"where: condition {condition.Shape} does not broadcast with a {a.Shape} and b {b.Shape}", nameof(condition));
        DType resultType = DTypeInfo.Promote(a.DType, b.DType);
        using Tensor ca = a.To(resultType);
        using Tensor cb = b.To(resultType);
        Tensor result = Empty(shape, resultType, a.Device);
        a.Backend.Where(condition.Storage, condition.Layout.Expand(shape), ca.Storage, ca.Layout.Expand(shape), cb.Storage, cb.Layout.Expand(shape), result.Storage);
        return result;
    }

    /// <summary>Element-wise <c>condition ? a : s</c>.</summary>
    public static Tensor Where(Tensor condition, Tensor a, double s)
    {
        using Tensor scalar = Scalar(s, a.DType, a.Device);
        return Where(condition, a, scalar);
    }

    /// <summary>Copies this tensor, replacing elements where <paramref name="mask"/> is true by <paramref name="value"/> (PyTorch's masked_fill).</summary>
    public Tensor MaskedFill(Tensor mask, double value)
    {
        using Tensor scalar = Scalar(value, DType, Device);
        return Where(mask, scalar, this);
    }

    // ---- in place ------------------------------------------------------------------------------

    /// <summary>
    /// this += alpha * other, in place (other broadcasts to this tensor's shape). Used for gradient
    /// accumulation and optimizer updates; the dtype of this tensor is kept.
    /// </summary>
    public void AddInPlace(Tensor other, double alpha = 1)
    {
        CheckSameDevice("add_", this, other);
        if (Shape.TryBroadcast(Shape, other.Shape) != Shape)
        {
            throw new ShapeMismatchException($"add_: other {other.Shape} does not broadcast to the in-place target {Shape}", nameof(other));
        }

        using Tensor scaled = alpha == 1 ? other.Alias() : other * alpha;
        using Tensor cast = scaled.To(DType);
        if (IsDenseFromStart && !DType.IsHalfPrecision() && !ReferenceEquals(cast.Storage, Storage))
        {
            Backend.Binary(BinaryOp.Add, Storage, Layout, cast.Storage, cast.Layout.Expand(Shape), Storage);
            return;
        }

        using Tensor sum = this + cast;
        CopyFrom(sum);
    }

    /// <summary>this *= s, in place.</summary>
    public void MulInPlace(double s)
    {
        if (IsDenseFromStart && !DType.IsHalfPrecision() && DType != DType.Bool)
        {
            Backend.BinaryScalar(BinaryOp.Mul, Storage, Layout, s, false, Storage);
            return;
        }

        using Tensor product = this * s;
        CopyFrom(product);
    }

    /// <summary>Sets every element to <paramref name="value"/>, in place.</summary>
    public void FillInPlace(double value) => Backend.Fill(Storage, Layout, value);

    /// <summary>Copies <paramref name="source"/> into this tensor (broadcasting and converting the dtype), in place.</summary>
    public void CopyFrom(Tensor source)
    {
        CheckSameDevice("copy_", this, source);
        if (Shape.TryBroadcast(Shape, source.Shape) != Shape)
        {
            throw new ShapeMismatchException($"copy_: source {source.Shape} does not broadcast to the target {Shape}", nameof(source));
        }

        using Tensor cast = source.To(DType);
        if (ReferenceEquals(cast.Storage, Storage))
        {
            // Overlapping views of one storage: go through a temporary so no element is read after it is overwritten.
            using Tensor copy = cast.Clone();
            Backend.Copy(copy.Storage, copy.Layout.Expand(Shape), Storage, Layout);
            return;
        }

        Backend.Copy(cast.Storage, cast.Layout.Expand(Shape), Storage, Layout);
    }

    /// <summary>True when this tensor is the contiguous range starting at element 0 of its storage, the form a backend writes outputs in.</summary>
    private bool IsDenseFromStart => Layout.Offset == 0 && Layout.IsContiguous;

    // ---- helpers shared by the API files -------------------------------------------------------

    /// <summary>Half-precision types compute in float32; everything else in itself.</summary>
    private static DType ComputeType(DType dtype) => dtype.IsHalfPrecision() ? DType.Float32 : dtype;

    private static Shape BroadcastShapes(string op, Tensor a, Tensor b) =>
        Shape.TryBroadcast(a.Shape, b.Shape) ?? throw new ShapeMismatchException(
            $"{op}: shapes {a.Shape} and {b.Shape} cannot be broadcast together: {FirstConflict(a.Shape, b.Shape)}");

    private static string FirstConflict(Shape a, Shape b)
    {
        for (int i = 1; i <= Math.Min(a.Rank, b.Rank); i++)
        {
            if (a[a.Rank - i] != b[b.Rank - i] && a[a.Rank - i] != 1 && b[b.Rank - i] != 1)
            {
                return $"dimension {-i} has sizes {a[a.Rank - i]} and {b[b.Rank - i]}";
            }
        }

        return "incompatible sizes";
    }

    internal static void CheckSameDevice(string op, Tensor a, Tensor b)
    {
        if (a.Device != b.Device)
        {
            throw new DeviceMismatchException($"{op}: tensors are on different devices: {a.Device} ({a.Shape}) and {b.Device} ({b.Shape}); move one with To(device)");
        }
    }

    /// <summary>This tensor as a contiguous tensor of <paramref name="dtype"/> (a new reference when nothing needs to change).</summary>
    internal Tensor ContiguousAs(DType dtype)
    {
        if (dtype == DType)
        {
            return IsDenseFromStart ? Alias() : Clone();
        }

        return To(dtype);
    }
}
