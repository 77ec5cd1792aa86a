using System.Text.Json;
using Spamp.Layers;

namespace Spamp.Tests.Layers;

/// <summary>
/// Every layer and loss against PyTorch 1.13 in float32 (tests/reference/data/layers.json, made by
/// tests/reference/generate_layers.py; CI never runs PyTorch). Each case builds the layer with the
/// same configuration, loads torch's state dict through <see cref="Module.LoadStateDict"/> (strict),
/// runs forward on the stored inputs, then backward with a stored upstream gradient, and compares the
/// output and the gradients of every input and parameter.
/// </summary>
[TestFixture]
public sealed class LayerParityTests
{
    /// <summary>
    /// Largest accepted |got - expected| / max(|expected|, Floor * max|expected| of that tensor): 1e-5
    /// relative, except that entries much smaller than the tensor's largest (results of cancellation,
    /// such as layer-norm input gradients or softmax minus one-hot) are measured relative to 1% of the
    /// tensor's largest magnitude, i.e. an absolute error of about 1e-7 of it, a float32 ulp.
    /// </summary>
    private const double Tolerance = 1e-5;

    private const double Floor = 1e-2;

    private static readonly string DataPath = Path.Combine(TestContext.CurrentContext.TestDirectory, "reference", "layers.json");

    [TestCaseSource(nameof(Cases))]
    public void MatchesPyTorch(JsonElement c)
    {
        using var scope = TensorScope.Begin();
        string layer = c.GetProperty("layer").GetString()!;
        JsonElement config = c.GetProperty("config");
        using Module module = Build(layer, config);
        var state = new Dictionary<string, Tensor>();
        foreach (JsonProperty p in c.GetProperty("state").EnumerateObject())
        {
            state[p.Name] = Load(p.Value);
        }

        module.LoadStateDict(state, strict: true);
        Variable[] inputs = c.GetProperty("inputs").EnumerateArray().Select(i => new Variable(Load(i), requiresGrad: true)).ToArray();
        Tensor? indices = c.GetProperty("indices").ValueKind == JsonValueKind.Null ? null : LoadIndices(c.GetProperty("indices"));

        Variable output = layer switch
        {
            "embedding" => ((Embedding)module).Forward(indices!),
            "cross_entropy" => ((CrossEntropyLoss)module).Forward(inputs[0], indices!),
            "nll" => ((NLLLoss)module).Forward(inputs[0].LogSoftmax(1), indices!),
            "mse" => ((MSELoss)module).Forward(inputs[0], inputs[1]),
            "bce" => ((BCEWithLogitsLoss)module).Forward(inputs[0], inputs[1]),
            _ => module.Forward(inputs[0]),
        };

        AssertClose("output", output.Data, c.GetProperty("output"));
        using Tensor upstream = Load(c.GetProperty("upstream"));
        output.Backward(upstream);
        JsonElement grads = c.GetProperty("grads");
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.That(inputs[i].Grad, Is.Not.Null, $"input {i} received no gradient");
            AssertClose($"gradient of input {i}", inputs[i].Grad!, grads.GetProperty($"input{i}"));
        }

        foreach (var (name, parameter) in module.NamedParameters())
        {
            Assert.That(parameter.Grad, Is.Not.Null, $"parameter {name} received no gradient");
            AssertClose($"gradient of {name}", parameter.Grad!, grads.GetProperty(name));
        }
    }

    /// <summary>The layer for a case; mirrors build() in generate_layers.py.</summary>
    private static Module Build(string layer, JsonElement c) => layer switch
    {
        "linear" => new Linear(Int(c, "in"), Int(c, "out"), c.GetProperty("bias").GetBoolean()),
        "layer_norm" => new LayerNorm(Ints(c, "shape"), Num(c, "eps"), c.GetProperty("affine").GetBoolean()),
        "rms_norm" => new RMSNorm(Ints(c, "shape"), c.TryGetProperty("eps", out JsonElement e) ? e.GetDouble() : null, c.GetProperty("affine").GetBoolean()),
        "group_norm" => new GroupNorm(Int(c, "groups"), Int(c, "channels"), Num(c, "eps"), c.GetProperty("affine").GetBoolean()),
        "embedding" => new Embedding(Int(c, "num"), Int(c, "dim"), c.TryGetProperty("padding_idx", out JsonElement p) ? p.GetInt32() : null),
        "sequential" => new Sequential(
            new Linear(Int(c, "in"), Int(c, "hidden")),
            new GELU(c.GetProperty("approximate").GetString() == "tanh" ? GeluApproximation.Tanh : GeluApproximation.None),
            new Dropout(0.5),
            new Linear(Int(c, "hidden"), Int(c, "out")),
            new Tanh()).Eval(),
        "activation" => c.GetProperty("kind").GetString() switch
        {
            "relu" => new ReLU(),
            "gelu" => new GELU(),
            "gelu_tanh" => new GELU(GeluApproximation.Tanh),
            "silu" => new SiLU(),
            "tanh" => new Tanh(),
            "sigmoid" => new Sigmoid(),
            "flatten" => new Flatten(),
            "identity" => new Identity(),
            var kind => throw new ArgumentException(kind),
        },
        "cross_entropy" => new CrossEntropyLoss(Weights(c, "weight"), c.TryGetProperty("ignore_index", out JsonElement i) ? i.GetInt64() : -100,
            ReductionOf(c), c.TryGetProperty("label_smoothing", out JsonElement s) ? s.GetDouble() : 0),
        "nll" => new NLLLoss(Weights(c, "weight"), c.TryGetProperty("ignore_index", out JsonElement i) ? i.GetInt64() : -100, ReductionOf(c)),
        "mse" => new MSELoss(ReductionOf(c)),
        "bce" => new BCEWithLogitsLoss(Weights(c, "weight"), ReductionOf(c), Weights(c, "pos_weight")),
        _ => throw new ArgumentException(layer),
    };

    private static IEnumerable<TestCaseData> Cases()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(DataPath));
        foreach (JsonElement c in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            yield return new TestCaseData(c.Clone()).SetName(c.GetProperty("name").GetString()!);
        }
    }

    internal static Tensor Load(JsonElement t)
    {
        float[] data = t.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        int[] shape = t.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        return Tensor.From<float>(data, new Shape(shape));
    }

    private static Tensor LoadIndices(JsonElement t)
    {
        long[] data = t.GetProperty("data").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        int[] shape = t.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        return Tensor.From<long>(data, new Shape(shape));
    }

    internal static void AssertClose(string what, Tensor got, JsonElement expected)
    {
        int[] shape = expected.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        Assert.That(got.Shape, Is.EqualTo(new Shape(shape)), $"{what}: shape");
        float[] want = expected.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        double[] have = got.ToDoubleArray();
        double largest = want.Length == 0 ? 0 : want.Max(v => Math.Abs((double)v));
        for (int i = 0; i < want.Length; i++)
        {
            double scale = Math.Max(Math.Abs((double)want[i]), Floor * largest);
            double error = Math.Abs(have[i] - want[i]);
            Assert.That(error <= Tolerance * scale || error == 0, Is.True,
                $"{what}: element {i} is {have[i]:R}, PyTorch {want[i]:R} (|diff| {error:E2}, allowed {Tolerance * scale:E2})");
        }
    }

    private static int Int(JsonElement c, string name) => c.GetProperty(name).GetInt32();

    private static double Num(JsonElement c, string name) => c.GetProperty(name).GetDouble();

    private static int[] Ints(JsonElement c, string name) => c.GetProperty(name).EnumerateArray().Select(v => v.GetInt32()).ToArray();

    private static Tensor? Weights(JsonElement c, string name) =>
        c.TryGetProperty(name, out JsonElement w) ? Tensor.From(w.EnumerateArray().Select(v => v.GetSingle()).ToArray()) : null;

    private static Reduction ReductionOf(JsonElement c) => c.GetProperty("reduction").GetString() switch
    {
        "mean" => Reduction.Mean,
        "sum" => Reduction.Sum,
        _ => Reduction.None,
    };
}
