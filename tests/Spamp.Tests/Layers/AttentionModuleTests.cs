using System.Text.Json;
using Spamp.Layers;

namespace Spamp.Tests.Layers;

/// <summary>MultiheadAttention against torch.nn.MultiheadAttention (batch_first), gradient checks, names and initialisation.</summary>
[TestFixture]
public class AttentionModuleTests
{
    private static readonly string[] MhaCases = ["self_causal_padding", "self_plain", "cross_padding"];

    /// <summary>Loads a case's state dict into <paramref name="module"/> (strict).</summary>
    internal static void LoadState(Module module, JsonElement c)
    {
        var state = new Dictionary<string, Tensor>();
        foreach (JsonProperty p in c.GetProperty("state").EnumerateObject())
        {
            state[p.Name] = AttentionReference.Load(p.Value);
        }

        module.LoadStateDict(state);
        foreach (Tensor t in state.Values)
        {
            t.Dispose();
        }
    }

    /// <summary>Compares every parameter's gradient with the case's param_grads.</summary>
    internal static void CheckParameterGradients(Module module, JsonElement c, double rtol)
    {
        int seen = 0;
        foreach (var (name, parameter) in module.NamedParameters())
        {
            AttentionReference.AssertClose(parameter.Grad!, c.GetProperty("param_grads").GetProperty(name), rtol, $"grad of {name}");
            seen++;
        }

        Assert.That(seen, Is.EqualTo(c.GetProperty("param_grads").EnumerateObject().Count()), "every PyTorch parameter has a counterpart");
    }

    [TestCaseSource(nameof(MhaCases))]
    public void MatchesPyTorch(string name)
    {
        using var scope = TensorScope.Begin();
        JsonElement c = AttentionReference.Case("mha", name);
        using var mha = new MultiheadAttention(c.GetProperty("embed_dim").GetInt32(), c.GetProperty("num_heads").GetInt32());
        LoadState(mha, c);
        JsonElement[] inputs = [.. c.GetProperty("inputs").EnumerateArray()];
        Variable[] x = [.. inputs.Select(i => new Variable(AttentionReference.Load(i), requiresGrad: true))];
        using Tensor? padding = AttentionReference.LoadMask(c.GetProperty("key_padding_mask"));
        using Tensor? mask = AttentionReference.LoadMask(c.GetProperty("attn_mask"));
        bool self = c.GetProperty("self_attention").GetBoolean();
        Variable kv = self ? x[0] : x[1];
        Variable y = mha.Forward(x[0], kv, kv, padding, mask).Output;
        AttentionReference.AssertClose(y.Data, c.GetProperty("output"), 1e-5, $"{name} output");
        y.Backward(AttentionReference.Load(c.GetProperty("upstream")));
        JsonElement[] grads = [.. c.GetProperty("grads").EnumerateArray()];
        for (int i = 0; i < x.Length; i++)
        {
            AttentionReference.AssertClose(x[i].Grad!, grads[i], 1e-5, $"{name} input {i} grad");
        }

        CheckParameterGradients(mha, c, 1e-5);
    }

    [Test]
    public void NeedWeightsPathAgreesWithTheFusedPathAndReturnsAveragedWeights()
    {
        using var scope = TensorScope.Begin();
        using var mha = new MultiheadAttention(8, 2, generator: new Generator(3));
        var x = new Variable(Tensor.Randn([2, 5, 8], generator: new Generator(4)));
        using Tensor padding = Tensor.From<bool>([false, false, false, false, true, false, false, true, false, false], [2, 5]);
        var fused = mha.Forward(x, x, x, padding, isCausal: true);
        var slow = mha.Forward(x, x, x, padding, isCausal: true, needWeights: true);
        Assert.That(fused.Weights, Is.Null);
        Assert.That(slow.Weights!.Shape, Is.EqualTo(new Shape(2, 5, 5)));
        Assert.That(fused.Output.Data.ToArray<float>(), Is.EqualTo(slow.Output.Data.ToArray<float>()).Within(1e-5));
        float[] w = slow.Weights.Data.ToArray<float>();
        Assert.That(w[1], Is.EqualTo(0f), "causal: query 0 does not see key 1");
        Assert.That(w[(5 * 5) + (1 * 5) + 3], Is.EqualTo(0f), "padding: key 3 of batch 1 is hidden");
    }

    [Test]
    public void GradCheckInFloat64WithMasks()
    {
        // Input gradients of self- and cross-attention in float64 (parameter gradients are covered
        // by the PyTorch cases); a non-zero bias exercises the bias path.
        using var scope = TensorScope.Begin();
        using var mha = new MultiheadAttention(4, 2, dtype: DType.Float64, generator: new Generator(11));
        Init.Normal(mha.InProjBias!.Data, generator: new Generator(13));
        using Tensor padding = Tensor.From<bool>([false, false, true, false, false, false], [2, 3]);
        using Tensor mask = Tensor.From<bool>([false, true, true, false, false, true, false, false, false], [3, 3]);
        var self = GradCheck.Check(v => mha.Forward(v[0], v[0], v[0], padding, mask).Output,
            [Tensor.Randn([2, 3, 4], DType.Float64, generator: new Generator(12))]);
        Assert.That(self.Passed, self.Report);
        var cross = GradCheck.Check(v => mha.Forward(v[0], v[1], v[1], padding, isCausal: true).Output,
            [Tensor.Randn([2, 2, 4], DType.Float64, generator: new Generator(14)), Tensor.Randn([2, 3, 4], DType.Float64, generator: new Generator(15))]);
        Assert.That(cross.Passed, cross.Report);
    }

    [Test]
    public void ParameterNamesAndInitialisationFollowPyTorch()
    {
        using var mha = new MultiheadAttention(16, 4, generator: new Generator(5));
        Assert.That(mha.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias" }));
        Assert.That(mha.InProjBias!.Data.ToArray<float>(), Is.All.EqualTo(0f));
        Assert.That(mha.OutProj.Bias!.Data.ToArray<float>(), Is.All.EqualTo(0f));
        double bound = Math.Sqrt(6.0 / (16 + 48));
        float[] w = mha.InProjWeight.Data.ToArray<float>();
        Assert.That(w.Max(Math.Abs), Is.LessThanOrEqualTo(bound).And.GreaterThan(0.8 * bound), "xavier_uniform bound sqrt(6 / (fan_in + fan_out))");
    }
}
