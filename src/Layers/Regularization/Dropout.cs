namespace Spamp.Layers;

/// <summary>
/// Dropout (torch.nn.Dropout): in training mode each element is zeroed with probability
/// <c>p</c> (default 0.5) and the survivors are scaled by 1 / (1 - p), so the expected value is
/// unchanged; in evaluation mode it is the identity. The mask is a Bernoulli(1 - p) draw from
/// <see cref="Generator"/> (the default generator when null), so a seeded generator reproduces it.
/// </summary>
public sealed class Dropout : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="p">Probability of an element being zeroed, in [0, 1] (default 0.5).</param>
    /// <param name="generator">Source of the masks (default <see cref="Generator.Default"/>).</param>
    public Dropout(double p = 0.5, Generator? generator = null)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, $"dropout: probability has to be between 0 and 1, but got {p}");
        }

        P = p;
        Generator = generator;
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double P { get; }

    /// <summary>The generator masks are drawn from (null: <see cref="Spamp.Generator.Default"/>).</summary>
    public Generator? Generator { get; set; }

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input) => Functional.Dropout(input, P, Training, Generator);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"p={P}, inplace=False";
}
