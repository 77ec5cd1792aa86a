using System.Globalization;
using System.Text.Json;
using Spamp.Optim;
using static Spamp.Tests.Optim.OptimTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>The CSV and JSON Lines writers: what they write parses back to the reports.</summary>
[TestFixture]
public class TelemetryWriterTests
{
    [Test]
    public void CsvRoundTrips()
    {
        var (reports, _) = Run();
        using var text = new StringWriter(CultureInfo.GetCultureInfo("de-DE"));
        var writer = new StepReportCsvWriter(text);
        foreach (StepReport? r in reports)
        {
            writer.Write(r);
        }

        string[] lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.That(lines[0], Is.EqualTo(StepReportCsvWriter.Header));
        Assert.That(lines, Has.Length.EqualTo(1 + 3 + 3 + 3), "one row per layer per step (the skipped step still reports its layers)");
        int row = 1;
        foreach (StepReport? r in reports)
        {
            foreach (LayerReport layer in r!.Layers)
            {
                string[] f = SplitCsv(lines[row++]);
                Assert.That(long.Parse(f[0], CultureInfo.InvariantCulture), Is.EqualTo(r.Step));
                Assert.That(f[1], Is.EqualTo(layer.Layer));
                Assert.That(double.Parse(f[2], CultureInfo.InvariantCulture), Is.EqualTo(layer.NormBefore));
                Assert.That(double.Parse(f[3], CultureInfo.InvariantCulture), Is.EqualTo(layer.NormAfter));
                Assert.That(f[4], Is.EqualTo(layer.Tau?.ToString("R", CultureInfo.InvariantCulture) ?? ""));
                Assert.That(f[5], Is.Empty);
                Assert.That(bool.Parse(f[6]), Is.EqualTo(layer.Clipped));
                Assert.That(double.Parse(f[7], CultureInfo.InvariantCulture), Is.EqualTo(layer.UpdateMagnitude));
                Assert.That(double.Parse(f[8], CultureInfo.InvariantCulture), Is.EqualTo(r.LearningRate));
                Assert.That(double.Parse(f[9], CultureInfo.InvariantCulture), Is.EqualTo(r.GlobalNormBefore));
                Assert.That(double.Parse(f[10], CultureInfo.InvariantCulture), Is.EqualTo(r.GlobalNormAfter));
                Assert.That(bool.Parse(f[11]), Is.EqualTo(r.Skipped));
            }
        }
    }

    [Test]
    public void JsonLinesRoundTrip()
    {
        var (reports, _) = Run();
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        var writer = new StepReportJsonLinesWriter(text);
        foreach (StepReport? r in reports)
        {
            writer.Write(r);
        }

        writer.Write(null);
        string[] lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(9));
        int row = 0;
        var options = new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
        foreach (StepReport? r in reports)
        {
            foreach (LayerReport layer in r!.Layers)
            {
                using JsonDocument doc = JsonDocument.Parse(lines[row++]);
                JsonElement e = doc.RootElement;
                Assert.That(e.GetProperty("step").GetInt64(), Is.EqualTo(r.Step));
                Assert.That(e.GetProperty("layer").GetString(), Is.EqualTo(layer.Layer));
                Assert.That(JsonSerializer.Deserialize<double>(e.GetProperty("norm_before"), options), Is.EqualTo(layer.NormBefore));
                Assert.That(e.GetProperty("norm_after").GetDouble(), Is.EqualTo(layer.NormAfter));
                Assert.That(e.GetProperty("alpha").ValueKind, Is.EqualTo(JsonValueKind.Null));
                Assert.That(e.GetProperty("clipped").GetBoolean(), Is.EqualTo(layer.Clipped));
                Assert.That(e.GetProperty("update_magnitude").GetDouble(), Is.EqualTo(layer.UpdateMagnitude));
                Assert.That(e.GetProperty("lr").GetDouble(), Is.EqualTo(r.LearningRate));
                Assert.That(JsonSerializer.Deserialize<double>(e.GetProperty("global_norm_before"), options), Is.EqualTo(r.GlobalNormBefore));
                Assert.That(e.GetProperty("global_norm_after").GetDouble(), Is.EqualTo(r.GlobalNormAfter));
                Assert.That(e.GetProperty("skipped").GetBoolean(), Is.EqualTo(r.Skipped));
            }
        }
    }

    [Test]
    public void TelemetryOffReturnsNoReport()
    {
        using Parameter a = Param([1.0]);
        var opt = new AdamW([a]);
        SetGrad(a, 1.0);
        Assert.That(opt.Step(), Is.Null);
    }

    private static (StepReport?[] Reports, Parameter[] Params) Run()
    {
        Parameter[] ps = [Param([1.0, 2.0], null, "weight", "fc,1"), Param([1.0], null, "bias", "fc\"1"), Param([0.5, 0.5, 0.5], null, "weight", "head")];
        var opt = new AdamW(ps, lr: 0.1) { Telemetry = true };
        var reports = new StepReport?[3];
        for (int k = 0; k < 3; k++)
        {
            SetGrad(ps[0], 0.1 * (k + 1), -0.2);
            SetGrad(ps[1], k == 1 ? double.NaN : 0.3);
            SetGrad(ps[2], 1, 2, 3);
            reports[k] = opt.Step();
        }

        Assert.That(reports[1]!.Skipped, Is.True);
        return (reports, ps);
    }

    private static string[] SplitCsv(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        fields.Add(current.ToString());
        return [.. fields];
    }
}
