using System.Text.Json;
using Spamp.Optim;

namespace Spamp.Tests.Optim;

/// <summary>
/// SGD, Adam and AdamW over 5 steps on three small float32 tensors against PyTorch 1.13
/// (tests/reference/data/optim.json, made by tests/reference/generate_optim.py), to 1e-6 relative (1e-7 absolute
/// near zero, where float32 rounding of the O(1) operands dominates).
/// </summary>
[TestFixture]
public class TorchOptimParityTests
{
    private static readonly string DataPath = Path.Combine(TestContext.CurrentContext.TestDirectory, "reference", "optim.json");

    public static IEnumerable<TestCaseData> Cases()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(DataPath));
        foreach (JsonElement c in doc.RootElement.GetProperty("optimizers").EnumerateArray())
        {
            yield return new TestCaseData(c.Clone()).SetArgDisplayNames(c.GetProperty("name").GetString()!);
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void MatchesPyTorch(JsonElement c)
    {
        JsonElement kwargs = c.GetProperty("kwargs");
        double Arg(string name, double fallback) => kwargs.TryGetProperty(name, out JsonElement v) ? v.GetDouble() : fallback;
        bool Flag(string name) => kwargs.TryGetProperty(name, out JsonElement v) && v.GetBoolean();
        (double, double)? betas = kwargs.TryGetProperty("betas", out JsonElement b) ? (b[0].GetDouble(), b[1].GetDouble()) : null;

        Parameter[] ps = [.. c.GetProperty("params0").EnumerateArray().Select((t, j) => new Parameter(Load(t), $"p{j}"))];
        double lr = Arg("lr", 1e-3);
        Optimizer opt = c.GetProperty("optimizer").GetString() switch
        {
            "sgd" => new Sgd(ps, lr, Arg("momentum", 0), Arg("dampening", 0), Arg("weight_decay", 0), Flag("nesterov"), Flag("maximize")),
            "adam" => new Adam(ps, lr, betas, Arg("eps", 1e-8), Arg("weight_decay", 0), Flag("amsgrad"), Flag("maximize")),
            "adamw" => new AdamW(ps, lr, betas, Arg("eps", 1e-8), Arg("weight_decay", 1e-2), Flag("amsgrad"), Flag("maximize")),
            var other => throw new InvalidDataException(other),
        };

        JsonElement[] grads = [.. c.GetProperty("grads").EnumerateArray()];
        JsonElement[] expected = [.. c.GetProperty("params").EnumerateArray()];
        for (int k = 0; k < grads.Length; k++)
        {
            JsonElement[] g = [.. grads[k].EnumerateArray()];
            for (int j = 0; j < ps.Length; j++)
            {
                ps[j].Grad?.Dispose();
                ps[j].Grad = Load(g[j]);
            }

            opt.Step();
            JsonElement[] e = [.. expected[k].EnumerateArray()];
            for (int j = 0; j < ps.Length; j++)
            {
                float[] want = Data(e[j]);
                float[] got = ps[j].Data.ToArray<float>();
                for (int i = 0; i < want.Length; i++)
                {
                    Assert.That(got[i], Is.EqualTo(want[i]).Within(1e-6 * Math.Max(Math.Abs(want[i]), 0.1)), $"step {k + 1}, tensor {j}, element {i}");
                }
            }
        }
    }

    private static float[] Data(JsonElement t) => [.. t.GetProperty("data").EnumerateArray().Select(v => (float)v.GetDouble())];

    private static Tensor Load(JsonElement t) =>
        TensorScope.Detach(Tensor.From(Data(t), [.. t.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32())]));

    public static IEnumerable<TestCaseData> ClipCases()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(DataPath));
        int index = 0;
        foreach (JsonElement c in doc.RootElement.GetProperty("clip_grad_norm").EnumerateArray())
        {
            yield return new TestCaseData(c.Clone()).SetArgDisplayNames($"clip_grad_norm_{index++}_norm_{c.GetProperty("norm_type")}");
        }
    }

    /// <summary>
    /// ClipGradNorm inside a real step (SGD with lr 0, so only the gradients change) against
    /// torch.nn.utils.clip_grad_norm_: the returned pre-clip total and the clipped gradients.
    /// </summary>
    [TestCaseSource(nameof(ClipCases))]
    public void ClipGradNormMatchesPyTorch(JsonElement c)
    {
        JsonElement normType = c.GetProperty("norm_type");
        double p = normType.ValueKind == JsonValueKind.String ? double.PositiveInfinity : normType.GetDouble();
        JsonElement[] grads = [.. c.GetProperty("grads").EnumerateArray()];
        Parameter[] ps = [.. grads.Select((g, j) =>
        {
            Tensor gradient = PyTorchReference.Load(g);
            return new Parameter(Tensor.ZerosLike(gradient), $"p{j}") { Grad = TensorScope.Detach(gradient) };
        })];
        var clip = new ClipGradNorm(c.GetProperty("max_norm").GetDouble(), p);
        new Sgd(ps, lr: 0, shaping: clip).Step();
        double expectedTotal = c.GetProperty("total_norm").GetDouble();
        Assert.That(clip.LastTotalNorm, Is.EqualTo(expectedTotal).Within(1e-6 * expectedTotal));
        JsonElement[] clipped = [.. c.GetProperty("clipped").EnumerateArray()];
        for (int j = 0; j < ps.Length; j++)
        {
            PyTorchReference.AssertClose($"clipped gradient {j}", ps[j].Grad!, clipped[j], tolerance: 1e-6);
            ps[j].Dispose();
        }
    }
}
