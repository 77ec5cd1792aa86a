using Spamp.Examples.Tasks;

namespace Spamp.Examples.Reproduction;

/// <summary>
/// The runs a reproduction needs, each once, in the order they are trained: the main grid first, seed by
/// seed (so the first seed of every method is done early and a partial report already compares them), then
/// the ablations and the perturbation studies. A run two studies share (the 0% noise point, the ablation
/// "full", the spikes study's clean reference) appears once.
/// </summary>
public sealed class ReproductionPlan
{
    private readonly List<RunKey> _runs = [];
    private readonly HashSet<string> _ids = [];

    /// <summary>Plans the runs of <paramref name="options"/> on <paramref name="task"/>.</summary>
    public ReproductionPlan(ReproductionOptions options, TrainingTask task)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(task);
        Options = options;
        Steps = options.Steps ?? task.Defaults.Steps;
        StudySteps = options.StudySteps ?? Steps;
        // At least one step in each of Table 3's three intervals.
        ShiftSteps = Math.Max(3, (long)Math.Round(StudySteps * Perturbations.ShiftStepFraction));
        Seeds = [.. Enumerable.Range(0, options.Seeds).Select(s => (ulong)s)];
        StudyMethods = options.EffectiveStudyMethods;
        IReadOnlySet<Study> studies = options.Studies;
        LabelNoiseApplies = task.ClassCount > 0;

        if (studies.Overlaps([Study.Table1, Study.Table2, Study.StepsToThreshold]))
        {
            foreach (ulong seed in Seeds)
            {
                foreach (string method in options.Methods)
                {
                    Add(new RunKey(method, seed, Steps));
                }
            }
        }

        if (studies.Contains(Study.Table4))
        {
            foreach (ulong seed in Seeds)
            {
                Add(new RunKey("spamp", seed, StudySteps));
                foreach (var (name, _, _) in OptimizerVariants.Ablations)
                {
                    Add(new RunKey(name, seed, StudySteps));
                }
            }
        }

        if (studies.Contains(Study.LabelNoise) && LabelNoiseApplies)
        {
            foreach (double level in Perturbations.NoiseLevels)
            {
                foreach (ulong seed in Seeds)
                {
                    foreach (string method in StudyMethods)
                    {
                        Add(new RunKey(method, seed, StudySteps, LabelNoise: level));
                    }
                }
            }
        }

        if (studies.Contains(Study.Spikes))
        {
            foreach (ulong seed in Seeds)
            {
                foreach (string method in StudyMethods)
                {
                    Add(new RunKey(method, seed, StudySteps));
                    Add(new RunKey(method, seed, StudySteps, Spikes: true));
                }
            }
        }

        if (studies.Overlaps([Study.Table3, Study.BatchShift]))
        {
            foreach (ulong seed in Seeds)
            {
                foreach (string method in StudyMethods)
                {
                    Add(new RunKey(method, seed, ShiftSteps, BatchShift: true));
                }
            }
        }
    }

    /// <summary>The options planned for.</summary>
    public ReproductionOptions Options { get; }

    /// <summary>Steps of a main run.</summary>
    public long Steps { get; }

    /// <summary>Steps of an ablation, label-noise or spikes run.</summary>
    public long StudySteps { get; }

    /// <summary>Steps of a batch-shift run.</summary>
    public long ShiftSteps { get; }

    /// <summary>The seeds.</summary>
    public IReadOnlyList<ulong> Seeds { get; }

    /// <summary>The perturbation studies' methods.</summary>
    public IReadOnlyList<string> StudyMethods { get; }

    /// <summary>False for a language model: label noise is a classification study.</summary>
    public bool LabelNoiseApplies { get; }

    /// <summary>Every run, once, in training order.</summary>
    public IReadOnlyList<RunKey> Runs => _runs;

    private void Add(RunKey key)
    {
        if (_ids.Add(key.Id))
        {
            _runs.Add(key);
        }
    }
}
