namespace Spamp.Optim;

/// <summary>
/// PyTorch's <c>CosineAnnealingLR</c> in closed form, as a factor of the base lr with floor
/// <c>m = eta_min / base_lr</c>:
/// <c>factor(s) = m + (1 - m) * 0.5 * (1 + cos(pi * s / T_max))</c>.
/// Like PyTorch it does not hold after T_max: it continues periodically (back to 1 at 2*T_max).
/// PyTorch's recursive form gives the same values unless the lr is edited externally.
/// </summary>
public sealed class CosineAnnealing : LearningRateSchedule
{
    /// <summary>Creates the schedule with the floor given as a fraction of the base lr.</summary>
    public CosineAnnealing(long tMax, double minFactor = 0)
    {
        if (tMax < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(tMax), tMax, $"CosineAnnealing: T_max must be >= 1, got {tMax}");
        }

        TMax = tMax;
        MinFactor = minFactor;
    }

    /// <summary>PyTorch's parameterisation: an absolute <paramref name="etaMin"/> for a group whose base lr is <paramref name="baseLr"/>.</summary>
    public static CosineAnnealing FromEtaMin(long tMax, double baseLr, double etaMin = 0)
    {
        if (!(baseLr > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(baseLr), baseLr, $"CosineAnnealing: base lr must be > 0 to express eta_min as a factor, got {baseLr}");
        }

        return new CosineAnnealing(tMax, etaMin / baseLr);
    }

    /// <summary>T_max: half a period.</summary>
    public long TMax { get; }

    /// <summary>The floor as a fraction of the base lr.</summary>
    public double MinFactor { get; }

    /// <inheritdoc/>
    public override double Factor(long completedSteps) =>
        MinFactor + ((1 - MinFactor) * 0.5 * (1 + Math.Cos(Math.PI * completedSteps / TMax)));
}
