using System.Text.Json;
using NUnit.Framework;

namespace Spamp.Tests.Gradients;

/// <summary>
/// Forward values and gradients in float32 against PyTorch 1.13 (tests/reference/data/ops.json, made by
/// tests/reference/generate.py; CI never runs PyTorch). Each case is the op applied to stored inputs and
/// the gradient of sum(output * upstream) with a stored upstream gradient.
/// </summary>
[TestFixture]
public sealed class TorchParityTests
{
    private static readonly string DataPath = Path.Combine(TestContext.CurrentContext.TestDirectory, "reference", "ops.json");

    [TestCaseSource(nameof(Cases))]
    public void MatchesPyTorch(JsonElement c)
    {
        using var scope = TensorScope.Begin();
        JsonElement args = c.GetProperty("args");
        Variable[] inputs = c.GetProperty("inputs").EnumerateArray()
            .Select(i => new Variable(PyTorchReference.Load(i), requiresGrad: true))
            .ToArray();
        bool transpose = args.TryGetProperty("transpose_inputs", out JsonElement t) && t.GetBoolean();
        Variable[] seen = inputs.Select(v => transpose && v.Rank >= 2 ? v.Transpose(-1, -2) : v).ToArray();

        Variable output = Apply(c.GetProperty("op").GetString()!, args, seen);
        Assert.That(output.DType, Is.EqualTo(DType.Float32));
        PyTorchReference.AssertClose("output", output.Data, c.GetProperty("output"));

        using Tensor upstream = PyTorchReference.Load(c.GetProperty("upstream"));
        output.Backward(upstream);
        JsonElement[] grads = c.GetProperty("grads").EnumerateArray().ToArray();
        for (int i = 0; i < inputs.Length; i++)
        {
            if (grads[i].ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            Assert.That(inputs[i].Grad, Is.Not.Null, $"input {i} received no gradient");
            PyTorchReference.AssertClose($"gradient of input {i}", inputs[i].Grad!, grads[i]);
        }
    }

    private static IEnumerable<TestCaseData> Cases()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(DataPath));
        foreach (JsonElement c in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            yield return new TestCaseData(c.Clone()).SetName(c.GetProperty("name").GetString()!);
        }
    }

    /// <summary>The op in Spamp; mirrors apply() in generate.py.</summary>
    private static Variable Apply(string op, JsonElement a, Variable[] xs)
    {
        Variable x = xs[0];
        return op switch
        {
            "neg" => x.Neg(),
            "abs" => x.Abs(),
            "sign" => x.Sign(),
            "exp" => x.Exp(),
            "log" => x.Log(),
            "sqrt" => x.Sqrt(),
            "rsqrt" => x.Rsqrt(),
            "square" => x.Square(),
            "reciprocal" => x.Reciprocal(),
            "relu" => x.Relu(),
            "silu" => x.Silu(),
            "sigmoid" => x.Sigmoid(),
            "tanh" => x.Tanh(),
            "sin" => x.Sin(),
            "cos" => x.Cos(),
            "contiguous" => x.Contiguous(),
            "clone" => x.Clone(),
            "gelu" => x.Gelu(Str(a, "approximate") == "tanh" ? GeluApproximation.Tanh : GeluApproximation.None),
            "pow_scalar" => x.Pow(Num(a, "exponent")),
            "leaky_relu" => x.LeakyRelu(Num(a, "slope")),
            "clamp" => x.Clamp(OptNum(a, "min"), OptNum(a, "max")),
            "add" => xs[0] + xs[1],
            "sub" => xs[0] - xs[1],
            "mul" => xs[0] * xs[1],
            "div" => xs[0] / xs[1],
            "pow" => Variable.Pow(xs[0], xs[1]),
            "maximum" => Variable.Maximum(xs[0], xs[1]),
            "minimum" => Variable.Minimum(xs[0], xs[1]),
            "matmul" => Variable.MatMul(xs[0], xs[1]),
            "scalar" => Scalar(Str(a, "kind"), Num(a, "scalar"), a.GetProperty("scalar_first").GetBoolean(), x),
            "where" => Variable.Where(Tensor.From(a.GetProperty("condition").EnumerateArray().Select(e => e.GetBoolean()).ToArray(), Ints(a, "condition_shape")!), xs[0], xs[1]),
            "sum" => x.Sum(Ints(a, "dims"), Bool(a, "keepdim")),
            "mean" => x.Mean(Ints(a, "dims"), Bool(a, "keepdim")),
            "amax" => x.Amax(Ints(a, "dims"), Bool(a, "keepdim")),
            "amin" => x.Amin(Ints(a, "dims"), Bool(a, "keepdim")),
            "max_dim" => x.Max(Int(a, "dim"), Bool(a, "keepdim")).Values,
            "min_dim" => x.Min(Int(a, "dim"), Bool(a, "keepdim")).Values,
            "var" => x.Var(Ints(a, "dims"), Int(a, "correction"), Bool(a, "keepdim")),
            "std" => x.Std(Ints(a, "dims"), Int(a, "correction"), Bool(a, "keepdim")),
            "norm" => x.Norm(a.GetProperty("p").ValueKind == JsonValueKind.String ? double.PositiveInfinity : Num(a, "p"), Ints(a, "dims"), Bool(a, "keepdim")),
            "logsumexp" => x.LogSumExp(Ints(a, "dims")!, Bool(a, "keepdim")),
            "softmax" => x.Softmax(Int(a, "dim")),
            "log_softmax" => x.LogSoftmax(Int(a, "dim")),
            "reshape" => x.Reshape(Ints(a, "shape")!),
            "view" => x.View(Ints(a, "shape")!),
            "flatten" => x.Flatten(Int(a, "start"), Int(a, "end")),
            "squeeze" => a.TryGetProperty("dim", out _) ? x.Squeeze(Int(a, "dim")) : x.Squeeze(),
            "unsqueeze" => x.Unsqueeze(Int(a, "dim")),
            "permute" => x.Permute(Ints(a, "dims")!),
            "transpose" => x.Transpose(Int(a, "dim0"), Int(a, "dim1")),
            "slice" => x.Slice(Int(a, "dim"), OptInt(a, "start"), OptInt(a, "end"), Int(a, "step")),
            "narrow" => x.Narrow(Int(a, "dim"), Int(a, "start"), Int(a, "length")),
            "select" => x.Select(Int(a, "dim"), Int(a, "index")),
            "expand" => x.Expand(Ints(a, "shape")!),
            "split" => WeightedCat(x.Split(Int(a, "size"), Int(a, "dim")), Int(a, "dim")),
            "chunk" => WeightedCat(x.Chunk(Int(a, "chunks"), Int(a, "dim")), Int(a, "dim")),
            "gather" => x.Gather(Int(a, "dim"), Index(a)),
            "index_select" => x.IndexSelect(Int(a, "dim"), Index(a)),
            "scatter_add" => xs[0].ScatterAdd(Int(a, "dim"), Index(a), xs[1]),
            "cat" => Variable.Cat(xs, Int(a, "dim")),
            "stack" => Variable.Stack(xs, Int(a, "dim")),
            "cast_roundtrip" => x.To(DType.Float64).Square().To(DType.Float32),
            _ => throw new NotSupportedException($"no mapping for op '{op}'"),
        };
    }

    private static Variable Scalar(string kind, double s, bool first, Variable x) => (kind, first) switch
    {
        ("add", false) => x + s,
        ("add", true) => s + x,
        ("sub", false) => x - s,
        ("sub", true) => s - x,
        ("mul", false) => x * s,
        ("mul", true) => s * x,
        ("div", false) => x / s,
        ("div", true) => s / x,
        ("pow", false) => x.Pow(s),
        ("pow", true) => Variable.Pow(s, x),
        _ => throw new NotSupportedException(kind),
    };

    private static Variable WeightedCat(Variable[] parts, int dim) => Variable.Cat(parts.Select((p, i) => p * (i + 1.0)).ToArray(), dim);

    private static Tensor Index(JsonElement a)
    {
        long[] values = a.GetProperty("index").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        return a.TryGetProperty("index_shape", out JsonElement shape)
            ? Tensor.From(values, shape.EnumerateArray().Select(e => e.GetInt32()).ToArray())
            : Tensor.From(values);
    }

    private static string Str(JsonElement a, string key) => a.GetProperty(key).GetString()!;

    private static double Num(JsonElement a, string key) => a.GetProperty(key).GetDouble();

    private static double? OptNum(JsonElement a, string key) =>
        a.TryGetProperty(key, out JsonElement e) && e.ValueKind != JsonValueKind.Null ? e.GetDouble() : null;

    private static int Int(JsonElement a, string key) => a.GetProperty(key).GetInt32();

    private static int? OptInt(JsonElement a, string key) =>
        a.TryGetProperty(key, out JsonElement e) && e.ValueKind != JsonValueKind.Null ? e.GetInt32() : null;

    private static bool Bool(JsonElement a, string key) => a.GetProperty(key).GetBoolean();

    private static int[]? Ints(JsonElement a, string key) =>
        a.TryGetProperty(key, out JsonElement e) && e.ValueKind != JsonValueKind.Null ? e.EnumerateArray().Select(v => v.GetInt32()).ToArray() : null;
}
