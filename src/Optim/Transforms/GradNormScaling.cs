namespace Spamp.Optim;

/// <summary>What <see cref="GradNormScaling"/> scales.</summary>
public enum GradNormMode
{
    /// <summary>This step's learning rate is multiplied by <c>mu</c>; gradients and moments are unchanged (the literal reading of SPAMP's baseline, the default).</summary>
    LearningRate,
    /// <summary>The gradients are multiplied by <c>mu</c> before the rule (Adam then consumes <c>rho g/||g||</c>; not equivalent to lr scaling under Adam).</summary>
    NormalizeGradient,
}

/// <summary>
/// "GradNorm" as the SPAMP paper uses it (ALGORITHMS.md 4.1): learning rate scaled inversely with
/// the global gradient norm, <c>mu = min(muMax, rho / (||g|| + eps))</c> with the norm of the raw
/// gradient (put it first in the chain). In <see cref="GradNormMode.LearningRate"/> mode the step
/// uses <c>lr * mu</c> through <see cref="StepContext.LearningRateScale"/> (the schedule is not
/// changed); in <see cref="GradNormMode.NormalizeGradient"/> mode the gradients are scaled instead.
/// Faithful default <c>muMax = +inf</c>; 10 is recommended under Adam, where an uncapped mu explodes
/// as the norm goes to 0 while the moments do not. Stateless. Not Chen et al.'s multitask GradNorm (4.2).
/// </summary>
public sealed class GradNormScaling : IGradientTransform
{
    /// <summary>Creates the transform.</summary>
    public GradNormScaling(double rho = 1.0, double eps = 1e-6, double muMax = double.PositiveInfinity, GradNormMode mode = GradNormMode.LearningRate)
    {
        if (!(rho > 0) || !(eps >= 0) || !(muMax > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(rho), $"grad_norm_scaling: need rho > 0, eps >= 0, muMax > 0; got rho={rho}, eps={eps}, muMax={muMax}");
        }

        Rho = rho;
        Eps = eps;
        MuMax = muMax;
        Mode = mode;
    }

    /// <inheritdoc/>
    public string Name => "grad_norm_scaling";

    /// <summary>The reference norm <c>rho</c>.</summary>
    public double Rho { get; }

    /// <summary>The constant added to the norm.</summary>
    public double Eps { get; }

    /// <summary>The cap on <c>mu</c>.</summary>
    public double MuMax { get; }

    /// <summary>What is scaled.</summary>
    public GradNormMode Mode { get; }

    /// <summary>The factor <c>mu</c> of the last step.</summary>
    public double LastMu { get; private set; } = 1;

    /// <summary>The global norm of the last step.</summary>
    public double LastNorm { get; private set; }

    /// <summary><c>min(muMax, rho / (n + eps))</c>.</summary>
    public double Mu(double norm) => Math.Min(MuMax, Rho / (norm + Eps));

    /// <inheritdoc/>
    public void Apply(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        LastNorm = context.GlobalNorm();
        LastMu = Mu(LastNorm);
        if (Mode == GradNormMode.LearningRate)
        {
            context.LearningRateScale *= LastMu;
        }
        else
        {
            for (int i = 0; i < context.Parameters.Count; i++)
            {
                context.ScaleGradient(i, LastMu);
            }
        }
    }
}
