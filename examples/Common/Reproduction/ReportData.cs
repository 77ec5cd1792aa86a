namespace Spamp.Examples.Reproduction;

/// <summary>The finished runs of a plan, looked up by what they were: optimizer, length and perturbation, over the plan's seeds.</summary>
public sealed class ReportData
{
    private readonly Dictionary<string, RunRecord> _byId;

    /// <summary>Indexes <paramref name="records"/> (one per run id; a later record of the same run replaces an earlier one).</summary>
    public ReportData(ReproductionPlan plan, IEnumerable<RunRecord> records)
    {
        Plan = plan ?? throw new ArgumentNullException(nameof(plan));
        ArgumentNullException.ThrowIfNull(records);
        _byId = [];
        foreach (RunRecord record in records)
        {
            _byId[record.Key] = record;
        }
    }

    /// <summary>The plan the runs belong to.</summary>
    public ReproductionPlan Plan { get; }

    /// <summary>The records of the plan's runs that exist, in plan order.</summary>
    public IEnumerable<RunRecord> All => Plan.Runs.Select(k => _byId.GetValueOrDefault(k.Id)).OfType<RunRecord>();

    /// <summary>The runs of <paramref name="optimizer"/> over the plan's seeds (those that finished).</summary>
    public IReadOnlyList<RunRecord> Runs(string optimizer, long steps, double labelNoise = 0, bool spikes = false, bool batchShift = false) =>
        [.. Plan.Seeds.Select(seed => _byId.GetValueOrDefault(new RunKey(optimizer, seed, steps, labelNoise, spikes, batchShift).Id)).OfType<RunRecord>()];

    /// <summary>The main runs of <paramref name="method"/>.</summary>
    public IReadOnlyList<RunRecord> Main(string method) => Runs(method, Plan.Steps);

    /// <summary>Mean and spread over seeds of <paramref name="measure"/> of each run.</summary>
    public static MeanStd Over(IReadOnlyList<RunRecord> runs, Func<RunRecord, double> measure)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(measure);
        return Statistics.Summarize([.. runs.Select(measure)]);
    }
}
