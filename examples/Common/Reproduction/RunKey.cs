using System.Globalization;

namespace Spamp.Examples.Reproduction;

/// <summary>
/// What makes one training run of the reproduction: the optimizer (a method or an ablation), the seed
/// (initial weights and data order), the length and the perturbations. Studies that need the same run
/// share it: the 0% label-noise point and the ablation "full" are the main SPAMP runs when the lengths
/// agree, so nothing is trained twice.
/// </summary>
/// <param name="Optimizer">A name of <see cref="OptimizerVariants"/>.</param>
/// <param name="Seed">Seed of the initial weights, the data order and the perturbation schedules.</param>
/// <param name="Steps">Optimizer steps.</param>
/// <param name="LabelNoise">Fraction of training labels corrupted (0 for none).</param>
/// <param name="Spikes">Whether 2% of the steps have their loss scaled by 5.</param>
/// <param name="BatchShift">Whether the batch size alternates between 16 and 512.</param>
public sealed record RunKey(string Optimizer, ulong Seed, long Steps, double LabelNoise = 0, bool Spikes = false, bool BatchShift = false)
{
    /// <summary>The perturbation in words ("none", "label noise 20%", "spikes", "batch shift").</summary>
    public string Perturbation =>
        LabelNoise > 0 ? string.Create(CultureInfo.InvariantCulture, $"label noise {LabelNoise * 100:0.#}%")
        : Spikes ? "spikes" : BatchShift ? "batch shift" : "none";

    /// <summary>A stable one-line identity, used to find finished runs in runs.jsonl.</summary>
    public string Id => string.Create(CultureInfo.InvariantCulture,
        $"{Optimizer}|seed={Seed}|steps={Steps}|noise={LabelNoise:R}|spikes={(Spikes ? 1 : 0)}|shift={(BatchShift ? 1 : 0)}");
}
