using System.Text.Json;
using System.Text.Json.Serialization;

namespace Spamp.Examples.Reproduction;

/// <summary>
/// runs.jsonl: one <see cref="RunRecord"/> per line, appended and flushed as each run ends, so a crash or
/// an interrupted reproduction loses only the run in progress, and a restart with the same settings picks
/// up the finished ones instead of training them again.
/// </summary>
public sealed class RunLog
{
    /// <summary>NaN and infinities are written as strings (a diverged run has them); JSON has no such numbers.</summary>
    private static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    /// <summary>A log at <paramref name="path"/> (created on the first append).</summary>
    public RunLog(string path) => Path = path ?? throw new ArgumentNullException(nameof(path));

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>
    /// The records in the file, in order; an unreadable line (the half-written last line of a crash) is
    /// skipped. Empty when the file does not exist.
    /// </summary>
    public List<RunRecord> ReadAll()
    {
        var records = new List<RunRecord>();
        if (!File.Exists(Path))
        {
            return records;
        }

        foreach (string line in File.ReadLines(Path))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                if (JsonSerializer.Deserialize<RunRecord>(line, Json) is RunRecord record)
                {
                    records.Add(record);
                }
            }
            catch (JsonException)
            {
                // A line cut short by a crash: that run is simply trained again.
            }
        }

        return records;
    }

    /// <summary>Appends <paramref name="record"/> as one line and flushes it to disk.</summary>
    public void Append(RunRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        string line = JsonSerializer.Serialize(record, Json);
        using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        using var writer = new StreamWriter(stream);
        writer.Write(line);
        writer.Write('\n');
        writer.Flush();
        stream.Flush(flushToDisk: true);
    }
}
