namespace Spamp.Layers;

/// <summary>
/// nanoGPT's MLP: <c>dropout(c_proj(gelu(c_fc(x))))</c> with a 4x hidden layer and exact GELU.
/// </summary>
public sealed class GptMlp : Module
{
    /// <summary>Creates the block.</summary>
    /// <param name="nEmbd">Model dimension E (the hidden size is 4E).</param>
    /// <param name="dropout">Dropout on the output (training only).</param>
    /// <param name="bias">Whether the linear layers have biases.</param>
    /// <param name="generator">Source of initial values and dropout masks (default <see cref="Generator.Default"/>).</param>
    public GptMlp(int nEmbd, double dropout = 0.0, bool bias = true, Generator? generator = null)
    {
        CFc = RegisterModule("c_fc", new Linear(nEmbd, 4 * nEmbd, bias, generator: generator));
        Gelu = RegisterModule("gelu", new GELU());
        CProj = RegisterModule("c_proj", new Linear(4 * nEmbd, nEmbd, bias, generator: generator));
        Dropout = RegisterModule("dropout", new Dropout(dropout, generator));
    }

    /// <summary>E -> 4E.</summary>
    public Linear CFc { get; }

    /// <summary>The activation.</summary>
    public GELU Gelu { get; }

    /// <summary>4E -> E.</summary>
    public Linear CProj { get; }

    /// <summary>Dropout on the output.</summary>
    public Dropout Dropout { get; }

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input) =>
        Dropout.Forward(CProj.Forward(Gelu.Forward(CFc.Forward(input))));
}
