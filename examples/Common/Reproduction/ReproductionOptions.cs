namespace Spamp.Examples.Reproduction;

/// <summary>What one reproduction runs and where it writes; null settings take the task's <see cref="Tasks.TaskDefaults"/>.</summary>
public sealed record ReproductionOptions
{
    /// <summary>The methods compared in the main runs (Table 1).</summary>
    public IReadOnlyList<string> Methods { get; init; } = MethodFactory.Names;

    /// <summary>Seeds 0 .. Seeds-1.</summary>
    public int Seeds { get; init; } = 3;

    /// <summary>Steps of a main run; null: the task's default.</summary>
    public long? Steps { get; init; }

    /// <summary>Steps of the ablation and perturbation runs; null: as <see cref="Steps"/>.</summary>
    public long? StudySteps { get; init; }

    /// <summary>
    /// The methods of the perturbation studies (label noise, spikes, batch shift); null: those of
    /// <see cref="DefaultStudyMethods"/> that are in <see cref="Methods"/>.
    /// </summary>
    public IReadOnlyList<string>? StudyMethods { get; init; }

    /// <summary>The parts of the report to produce.</summary>
    public IReadOnlySet<Study> Studies { get; init; } = DefaultStudies;

    /// <summary>The studies run unless told otherwise: those that need only the main runs.</summary>
    public static IReadOnlySet<Study> DefaultStudies { get; } = new SortedSet<Study> { Study.Table1, Study.Table2, Study.StepsToThreshold };

    /// <summary>Examples per step; null: the task's default.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Peak learning rate; null: the task's default.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Weight decay; null: the task's default.</summary>
    public double? WeightDecay { get; init; }

    /// <summary>The steps-to-threshold target; null: the task's default.</summary>
    public double? Threshold { get; init; }

    /// <summary>Evaluations per run; null: the task's default.</summary>
    public int? Evaluations { get; init; }

    /// <summary>Where the report goes (created if needed).</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>The command line as typed, for the report.</summary>
    public string CommandLine { get; init; } = "";

    /// <summary>
    /// The perturbation studies' methods unless told otherwise: SPAMP, the paper's main baseline (fixed
    /// clipping) and no shaping at all. Three of eleven, so that a task's full report fits in about half an
    /// hour on two cores; <c>--study-methods all</c> runs every method.
    /// </summary>
    public static IReadOnlyList<string> DefaultStudyMethods { get; } = ["spamp", "clip", "none"];

    /// <summary>The study methods in effect.</summary>
    public IReadOnlyList<string> EffectiveStudyMethods
    {
        get
        {
            if (StudyMethods is not null)
            {
                return StudyMethods;
            }

            string[] chosen = [.. DefaultStudyMethods.Where(Methods.Contains)];
            return chosen.Length > 0 ? chosen : Methods;
        }
    }
}
