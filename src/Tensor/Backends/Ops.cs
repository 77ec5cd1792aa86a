namespace Spamp.Backends;

/// <summary>
/// Element-wise functions of one tensor. One table for every device: the CPU loop, the GPU kernel
/// name and the derivative (<see cref="Backend.UnaryBackward"/>) all key on this enum.
/// </summary>
public enum UnaryOp
{
    /// <summary>-x</summary>
    Neg,
    /// <summary>|x|</summary>
    Abs,
    /// <summary>sign(x) in {-1, 0, 1} (NaN stays NaN).</summary>
    Sign,
    /// <summary>e^x</summary>
    Exp,
    /// <summary>natural logarithm</summary>
    Log,
    /// <summary>square root</summary>
    Sqrt,
    /// <summary>1/sqrt(x)</summary>
    Rsqrt,
    /// <summary>x^2</summary>
    Square,
    /// <summary>1/x</summary>
    Reciprocal,
    /// <summary>max(x, 0)</summary>
    Relu,
    /// <summary>GELU, tanh approximation: 0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3))).</summary>
    GeluTanh,
    /// <summary>GELU, exact: x*Phi(x) = 0.5x(1+erf(x/sqrt 2)) (PyTorch's default).</summary>
    GeluErf,
    /// <summary>x*sigmoid(x)</summary>
    Silu,
    /// <summary>1/(1+e^-x)</summary>
    Sigmoid,
    /// <summary>hyperbolic tangent</summary>
    Tanh,
    /// <summary>sine</summary>
    Sin,
    /// <summary>cosine</summary>
    Cos,
    /// <summary>x^p for a scalar p (<see cref="UnaryArgs.A"/>).</summary>
    PowScalar,
    /// <summary>min(max(x, A), B); a NaN bound is absent.</summary>
    Clamp,
    /// <summary>x &gt; 0 ? x : A*x</summary>
    LeakyRelu,
}

/// <summary>The scalar parameters of a parameterised <see cref="UnaryOp"/>.</summary>
/// <param name="A">Exponent of PowScalar, lower bound of Clamp, slope of LeakyRelu.</param>
/// <param name="B">Upper bound of Clamp.</param>
public readonly record struct UnaryArgs(double A = 0, double B = 0);

/// <summary>Element-wise functions of two tensors (NumPy broadcasting is done by layouts).</summary>
public enum BinaryOp
{
    /// <summary>a + b</summary>
    Add,
    /// <summary>a - b</summary>
    Sub,
    /// <summary>a * b</summary>
    Mul,
    /// <summary>a / b</summary>
    Div,
    /// <summary>a ^ b</summary>
    Pow,
    /// <summary>max(a, b), NaN-propagating</summary>
    Maximum,
    /// <summary>min(a, b), NaN-propagating</summary>
    Minimum,
}

/// <summary>Element-wise comparisons; the result is a Bool tensor.</summary>
public enum CompareOp
{
    /// <summary>a == b</summary>
    Eq,
    /// <summary>a != b</summary>
    Ne,
    /// <summary>a &lt; b</summary>
    Lt,
    /// <summary>a &lt;= b</summary>
    Le,
    /// <summary>a &gt; b</summary>
    Gt,
    /// <summary>a &gt;= b</summary>
    Ge,
}

/// <summary>Reductions over a set of axes.</summary>
public enum ReduceOp
{
    /// <summary>sum</summary>
    Sum,
    /// <summary>arithmetic mean</summary>
    Mean,
    /// <summary>maximum (NaN-propagating)</summary>
    Max,
    /// <summary>minimum (NaN-propagating)</summary>
    Min,
    /// <summary>product</summary>
    Prod,
}

/// <summary>Distributions the counter-based generator can fill a tensor from.</summary>
public enum RandomKind
{
    /// <summary>Uniform on [A, B).</summary>
    Uniform,
    /// <summary>Normal with mean A and standard deviation B.</summary>
    Normal,
    /// <summary>1 with probability A, else 0.</summary>
    Bernoulli,
}
