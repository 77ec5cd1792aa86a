using Spamp.Optim;

namespace Spamp.Examples.Reproduction;

/// <summary>
/// Every optimizer a reproduction run can use, by name: the methods of <see cref="MethodFactory"/> and the
/// SPAMP ablations of the paper's Table 4 (<see cref="SpampShaping.Preset"/>), which are AdamW + a
/// modified <see cref="SpampShaping"/> with the same cosine schedule as <c>spamp</c>, so an ablation
/// differs from the full method in the one switch it names.
/// </summary>
public static class OptimizerVariants
{
    /// <summary>The ablations in table order, each with what it switches off.</summary>
    public static IReadOnlyList<(string Name, SpampAblation Ablation, string SwitchedOff)> Ablations { get; } =
    [
        ("spamp-no-power", SpampAblation.NoPowerShaping,
            "power shaping: alpha is fixed at 1, so only the per-layer EMA threshold and the norm projection remain"),
        ("spamp-global", SpampAblation.Global,
            "per-layer statistics: one tau (an EMA of the global norm), one alpha and one projection factor for all tensors"),
        ("spamp-fixed-tau", SpampAblation.FixedTau,
            "the adaptive threshold: tau is the constant 1.0 (the clip baseline's threshold) for every layer; power shaping and projection stay"),
        ("spamp-no-ema", SpampAblation.NoEma,
            "the EMA: tau is the layer's previous gradient norm (beta = 0 against the last step)"),
    ];

    /// <summary>What the full method switches off (for the ablation table).</summary>
    public const string FullDescription = "nothing: per-layer EMA threshold (beta 0.99, bias-corrected), power shaping alpha in [0.7, 1], norm restored, projection onto lambda*tau";

    /// <summary>
    /// SpampShaping has no switch that drops the projection alone (with its default <c>h</c>, shaping starts
    /// exactly where projection starts, A4 of ALGORITHMS.md), so that ablation is not run; the report says so.
    /// </summary>
    public const string MissingAblations =
        "\"without the norm projection\" is not run: SpampShaping has no switch that drops the projection while keeping the shaping " +
        "(with the default h, shaping fires exactly when the projection does and RestoreNorm keeps ‖g‖, so shaping alone would only flatten directions), " +
        "and adding one is outside this harness.";

    /// <summary>True when <paramref name="name"/> is a method or an ablation.</summary>
    public static bool IsKnown(string name) => MethodFactory.Names.Contains(name) || Ablations.Any(a => a.Name == name);

    /// <summary>The optimizer <paramref name="name"/> over <paramref name="parameters"/>, its schedule set for <paramref name="totalSteps"/> steps.</summary>
    /// <exception cref="ArgumentException">An unknown name.</exception>
    public static Optimizer Create(string name, IEnumerable<Parameter> parameters, double lr, double weightDecay, long totalSteps)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var (ablationName, ablation, _) in Ablations)
        {
            if (ablationName == name)
            {
                // As MethodFactory's "spamp": AdamW with the shaping in front and cosine decay to zero.
                var optimizer = new AdamW(parameters, lr, weightDecay: weightDecay, shaping: SpampShaping.Preset(ablation, fixedTau: MethodFactory.ClipTau));
                optimizer.Schedule = new CosineAnnealing(totalSteps);
                return optimizer;
            }
        }

        return MethodFactory.Create(name, parameters, lr, weightDecay, totalSteps);
    }
}
