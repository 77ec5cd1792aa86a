namespace Spamp.Examples.Reproduction;

/// <summary>The parts of the reproduction report, as <c>--studies</c> names them.</summary>
public enum Study
{
    /// <summary>Final metric per method (every method, every seed): the main runs.</summary>
    Table1,

    /// <summary>Inter-layer mean and variance of gradient norms at 10/50/90% of training (from the main runs).</summary>
    Table2,

    /// <summary>Std and max of the update magnitude over three intervals under the batch shift.</summary>
    Table3,

    /// <summary>SPAMP ablations.</summary>
    Table4,

    /// <summary>Steps to reach the task's threshold (from the main runs).</summary>
    StepsToThreshold,

    /// <summary>Final metric under 0/10/20/40% label noise (classification tasks).</summary>
    LabelNoise,

    /// <summary>Final metric and update magnitude with 5x gradient spikes on 2% of the steps.</summary>
    Spikes,

    /// <summary>Final metric with the batch size alternating 16/512.</summary>
    BatchShift,
}

/// <summary>Study names on the command line.</summary>
public static class StudyNames
{
    private static readonly (string Name, Study Study)[] Table =
    [
        ("table1", Study.Table1), ("table2", Study.Table2), ("table3", Study.Table3), ("table4", Study.Table4),
        ("steps-to-threshold", Study.StepsToThreshold), ("label-noise", Study.LabelNoise), ("spikes", Study.Spikes), ("batch-shift", Study.BatchShift),
    ];

    /// <summary>Every name, in report order.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Table.Select(t => t.Name)];

    /// <summary>The command-line name of <paramref name="study"/>.</summary>
    public static string Name(Study study) => Table.First(t => t.Study == study).Name;

    /// <summary>Parses a comma-separated list of names, or <c>all</c>.</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the valid ones.</exception>
    public static IReadOnlySet<Study> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new SortedSet<Study>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string name = part.ToLowerInvariant();
            if (name == "all")
            {
                result.UnionWith(Table.Select(t => t.Study));
                continue;
            }

            int i = Array.FindIndex(Table, t => t.Name == name);
            if (i < 0)
            {
                throw new ArgumentException($"unknown study '{part}'; valid studies: {string.Join(", ", All)}, or all", nameof(text));
            }

            result.Add(Table[i].Study);
        }

        return result.Count > 0 ? result : throw new ArgumentException("no study given", nameof(text));
    }
}
