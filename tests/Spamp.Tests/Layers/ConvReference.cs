using System.Text.Json;

namespace Spamp.Tests.Layers;

/// <summary>
/// Reads tests/reference/data/conv.json (made by tests/reference/generate_conv.py with PyTorch 1.13)
/// and compares float32 results with it: an element passes when its error is within 1e-5 of
/// max(|expected|, 1e-2 * the tensor's largest magnitude), the rule of the autograd parity tests
/// (entries near zero come from cancellation of terms as large as the largest).
/// </summary>
internal static class ConvReference
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "reference", "conv.json"))));

    public static JsonElement Root => Document.Value.RootElement;

    /// <summary>The cases whose op is one of <paramref name="ops"/>, named by their case names.</summary>
    public static IEnumerable<TestCaseData> Cases(params string[] ops)
    {
        foreach (JsonElement c in Root.GetProperty("cases").EnumerateArray())
        {
            if (ops.Contains(c.GetProperty("op").GetString()))
            {
                yield return new TestCaseData(c).SetName(c.GetProperty("name").GetString()!);
            }
        }
    }

    public static Tensor? Load(JsonElement t)
    {
        if (t.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        float[] data = t.GetProperty("data").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        int[] shape = t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return Tensor.From<float>(data, new Shape(shape));
    }

    /// <summary>Runs <paramref name="apply"/> on the case's inputs (null ones stay null), checks the output and the gradients of sum(output * upstream).</summary>
    public static void AssertMatchesPyTorch(JsonElement c, Func<Variable?[], Variable> apply)
    {
        using var scope = TensorScope.Begin();
        Variable?[] inputs = c.GetProperty("inputs").EnumerateArray()
            .Select(i => Load(i) is { } t ? new Variable(t, requiresGrad: true) : null)
            .ToArray();
        Variable output = apply(inputs);
        PyTorchReference.AssertClose("output", output.Data, c.GetProperty("output"));
        output.Backward(Load(c.GetProperty("upstream")));
        JsonElement[] grads = c.GetProperty("grads").EnumerateArray().ToArray();
        for (int i = 0; i < inputs.Length; i++)
        {
            if (grads[i].ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            Assert.That(inputs[i]!.Grad, Is.Not.Null, $"input {i} received no gradient");
            PyTorchReference.AssertClose($"gradient of input {i}", inputs[i]!.Grad!, grads[i]);
        }
    }

    public static Size2 Pair(JsonElement e) =>
        e.ValueKind == JsonValueKind.Array ? (e[0].GetInt32(), e[1].GetInt32()) : e.GetInt32();

    public static Size2? OptPair(JsonElement a, string key) =>
        a.TryGetProperty(key, out JsonElement e) && e.ValueKind != JsonValueKind.Null ? Pair(e) : null;

    public static ConvPadding Padding(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString() == "same" ? ConvPadding.Same : ConvPadding.Valid,
        JsonValueKind.Array => (e[0].GetInt32(), e[1].GetInt32()),
        _ => e.GetInt32(),
    };
}
