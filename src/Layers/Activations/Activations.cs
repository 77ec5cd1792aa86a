namespace Spamp.Layers;

/// <summary>max(x, 0) element-wise (torch.nn.ReLU); the gradient at 0 is 0, as PyTorch's.</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input) => input.Relu();
}

/// <summary>
/// GELU (torch.nn.GELU): x * Phi(x) with the exact normal CDF by default (approximate = "none"), or
/// the tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) with approximate = "tanh".
/// </summary>
public sealed class GELU(GeluApproximation approximate = GeluApproximation.None) : Module
{
    /// <summary>Which formula is used.</summary>
    public GeluApproximation Approximate { get; } = approximate;

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input) => input.Gelu(Approximate);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"approximate='{(Approximate == GeluApproximation.Tanh ? "tanh" : "none")}'";
}

/// <summary>x * sigmoid(x) (torch.nn.SiLU, also called swish).</summary>
public sealed class SiLU : Module
{
    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input) => input.Silu();
}

/// <summary>tanh(x) element-wise (torch.nn.Tanh).</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input) => input.Tanh();
}

/// <summary>1 / (1 + exp(-x)) element-wise (torch.nn.Sigmoid).</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input) => input.Sigmoid();
}
