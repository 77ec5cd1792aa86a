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
            state[p.Name] = PyTorchReference.Load(p.Value);
        }

        module.LoadStateDict(state, strict: true);
        Variable[] inputs = c.GetProperty("inputs").EnumerateArray().Select(i => new Variable(PyTorchReference.Load(i), requiresGrad: true)).ToArray();
        Tensor? indices = c.GetProperty("indices").ValueKind == JsonValueKind.Null ? null : PyTorchReference.Load(c.GetProperty("indices"), DType.Int64);

        Variable output = layer switch
        {
            "embedding" => ((Embedding)module).Forward(indices!),
            "cross_entropy" => ((CrossEntropyLoss)module).Forward(inputs[0], indices!),
            "nll" => ((NLLLoss)module).Forward(inputs[0].LogSoftmax(1), indices!),
            "mse" => ((MSELoss)module).Forward(inputs[0], inputs[1]),
            "bce" => ((BCEWithLogitsLoss)module).Forward(inputs[0], inputs[1]),
            _ => module.Forward(inputs[0]),
        };

        PyTorchReference.AssertClose("output", output.Data, c.GetProperty("output"));
        using Tensor upstream = PyTorchReference.Load(c.GetProperty("upstream"));
        output.Backward(upstream);
        JsonElement grads = c.GetProperty("grads");
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.That(inputs[i].Grad, Is.Not.Null, $"input {i} received no gradient");
            PyTorchReference.AssertClose($"gradient of input {i}", inputs[i].Grad!, grads.GetProperty($"input{i}"));
        }

        foreach (var (name, parameter) in module.NamedParameters())
        {
            Assert.That(parameter.Grad, Is.Not.Null, $"parameter {name} received no gradient");
            PyTorchReference.AssertClose($"gradient of {name}", parameter.Grad!, grads.GetProperty(name));
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
