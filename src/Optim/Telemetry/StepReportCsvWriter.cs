using System.Globalization;

namespace Spamp.Optim;

/// <summary>
/// Writes <see cref="StepReport"/>s as CSV, one row per layer per step, with a header on the first
/// write. Columns: <c>step, layer, norm_before, norm_after, tau, alpha, clipped, update_magnitude,
/// lr, global_norm_before, global_norm_after, skipped</c>. Numbers use the invariant culture and
/// round-trip ("R"); absent values (tau, alpha) are empty; layer names are quoted when needed. A
/// skipped step with no layers writes one row with an empty layer. The writer does not own the
/// <see cref="TextWriter"/>.
/// </summary>
public sealed class StepReportCsvWriter(TextWriter writer)
{
    /// <summary>The header line.</summary>
    public const string Header = "step,layer,norm_before,norm_after,tau,alpha,clipped,update_magnitude,lr,global_norm_before,global_norm_after,skipped";

    private readonly TextWriter _writer = writer ?? throw new ArgumentNullException(nameof(writer));
    private bool _headerWritten;

    /// <summary>Appends the rows of <paramref name="report"/> (nothing when it is null: telemetry was off).</summary>
    public void Write(StepReport? report)
    {
        if (report is null)
        {
            return;
        }

        if (!_headerWritten)
        {
            _writer.WriteLine(Header);
            _headerWritten = true;
        }

        if (report.Layers.Count == 0)
        {
            WriteRow(report, null);
        }

        foreach (LayerReport layer in report.Layers)
        {
            WriteRow(report, layer);
        }
    }

    private void WriteRow(StepReport report, LayerReport? layer)
    {
        _writer.Write(report.Step.ToString(CultureInfo.InvariantCulture));
        _writer.Write(',');
        _writer.Write(Quote(layer?.Layer ?? ""));
        _writer.Write(',');
        _writer.Write(Number(layer?.NormBefore));
        _writer.Write(',');
        _writer.Write(Number(layer?.NormAfter));
        _writer.Write(',');
        _writer.Write(Number(layer?.Tau));
        _writer.Write(',');
        _writer.Write(Number(layer?.Alpha));
        _writer.Write(',');
        _writer.Write(layer?.Clipped == true ? "true" : "false");
        _writer.Write(',');
        _writer.Write(Number(layer?.UpdateMagnitude));
        _writer.Write(',');
        _writer.Write(Number(report.LearningRate));
        _writer.Write(',');
        _writer.Write(Number(report.GlobalNormBefore));
        _writer.Write(',');
        _writer.Write(Number(report.GlobalNormAfter));
        _writer.Write(',');
        _writer.WriteLine(report.Skipped ? "true" : "false");
    }

    private static string Number(double? value) => value is double v ? v.ToString("R", CultureInfo.InvariantCulture) : "";

    private static string Quote(string text) => text.AsSpan().IndexOfAny(",\"\r\n") < 0 ? text : "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
