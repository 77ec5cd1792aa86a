using System.Globalization;
using System.Text.Json;

namespace Spamp.Optim;

/// <summary>
/// Writes <see cref="StepReport"/>s as JSON Lines: one object per layer per step with the keys
/// <c>step, layer, norm_before, norm_after, tau, alpha, clipped, update_magnitude, lr,
/// global_norm_before, global_norm_after, skipped</c>. Absent values are <c>null</c>; non-finite
/// numbers are the strings <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c> (JSON has no such
/// numbers; System.Text.Json reads them with <c>JsonNumberHandling.AllowNamedFloatingPointLiterals</c>).
/// Invariant culture, round-trip precision. The writer does not own the <see cref="TextWriter"/>.
/// </summary>
public sealed class StepReportJsonLinesWriter(TextWriter writer)
{
    private readonly TextWriter _writer = writer ?? throw new ArgumentNullException(nameof(writer));

    /// <summary>Appends the lines of <paramref name="report"/> (nothing when it is null: telemetry was off).</summary>
    public void Write(StepReport? report)
    {
        if (report is null)
        {
            return;
        }

        if (report.Layers.Count == 0)
        {
            WriteLine(report, null);
        }

        foreach (LayerReport layer in report.Layers)
        {
            WriteLine(report, layer);
        }
    }

    private void WriteLine(StepReport report, LayerReport? layer)
    {
        _writer.Write("{\"step\":");
        _writer.Write(report.Step.ToString(CultureInfo.InvariantCulture));
        _writer.Write(",\"layer\":\"");
        _writer.Write(JsonEncodedText.Encode(layer?.Layer ?? "").ToString());
        _writer.Write('"');
        Field("norm_before", layer?.NormBefore);
        Field("norm_after", layer?.NormAfter);
        Field("tau", layer?.Tau);
        Field("alpha", layer?.Alpha);
        _writer.Write(layer?.Clipped == true ? ",\"clipped\":true" : ",\"clipped\":false");
        Field("update_magnitude", layer?.UpdateMagnitude);
        Field("lr", report.LearningRate);
        Field("global_norm_before", report.GlobalNormBefore);
        Field("global_norm_after", report.GlobalNormAfter);
        _writer.WriteLine(report.Skipped ? ",\"skipped\":true}" : ",\"skipped\":false}");
    }

    private void Field(string name, double? value)
    {
        _writer.Write(",\"");
        _writer.Write(name);
        _writer.Write("\":");
        _writer.Write(value switch
        {
            null => "null",
            double v when double.IsNaN(v) => "\"NaN\"",
            double v when double.IsPositiveInfinity(v) => "\"Infinity\"",
            double v when double.IsNegativeInfinity(v) => "\"-Infinity\"",
            double v => v.ToString("R", CultureInfo.InvariantCulture),
        });
    }
}
