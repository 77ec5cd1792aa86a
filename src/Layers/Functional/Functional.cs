namespace Spamp.Layers;

/// <summary>
/// The layers as functions (torch.nn.functional): each takes its parameters explicitly, so a
/// module's forward is one call here and a user can run the same computation without a module.
/// </summary>
public static partial class Functional
{
    /// <summary>
    /// Dropout (torch.nn.functional.dropout): when <paramref name="training"/>, zeroes each element
    /// with probability <paramref name="p"/> and scales the rest by 1 / (1 - p); otherwise returns
    /// <paramref name="input"/> itself. The mask is Bernoulli(1 - p) from <paramref name="generator"/>.
    /// </summary>
    public static Variable Dropout(Variable input, double p = 0.5, bool training = true, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, $"dropout: probability has to be between 0 and 1, but got {p}");
        }

        if (!training || p == 0)
        {
            return input;
        }

        // keep / (1 - p) in one tensor, so the backward is a single multiply by the same mask.
        using Tensor keep = Tensor.Bernoulli(input.Shape, 1 - p, input.DType, input.Device, generator);
        Tensor scaled = p == 1 ? keep * 0.0 : keep * (1 / (1 - p));
        return input * new Variable(scaled);
    }

    /// <summary>
    /// y = x W^T + b (torch.nn.functional.linear): <paramref name="weight"/> is [out, in], the input's
    /// last dimension is in, <paramref name="bias"/> (optional) is [out].
    /// </summary>
    public static Variable Linear(Variable input, Variable weight, Variable? bias = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2 || input.Rank == 0 || input.Shape[-1] != weight.Shape[1])
        {
            throw new ShapeMismatchException(
                $"linear: input {input.Shape} does not match weight {weight.Shape} (the input's last dimension must equal weight's second)", nameof(input));
        }

        Variable output = input.MatMul(weight.T);
        return bias is null ? output : output + bias;
    }
}
