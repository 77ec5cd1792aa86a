using System.Text.Json;
using Spamp.Layers;

namespace Spamp.Tests.Layers;

/// <summary>TransformerEncoderLayer against PyTorch; the GPT block and model builder.</summary>
[TestFixture]
public class TransformerModuleTests
{
    private static readonly string[] EncoderCases = ["post_norm_relu", "pre_norm_relu_causal", "post_norm_gelu_padding", "pre_norm_gelu_causal_padding"];

    [TestCaseSource(nameof(EncoderCases))]
    public void EncoderLayerMatchesPyTorch(string name)
    {
        using var scope = TensorScope.Begin();
        JsonElement c = AttentionReference.Case("encoder", name);
        using var layer = new TransformerEncoderLayer(c.GetProperty("d_model").GetInt32(), c.GetProperty("nhead").GetInt32(),
            c.GetProperty("dim_feedforward").GetInt32(), dropout: 0.0, activation: c.GetProperty("activation").GetString()!,
            normFirst: c.GetProperty("norm_first").GetBoolean());
        AttentionModuleTests.LoadState(layer, c);
        var x = new Variable(AttentionReference.Load(c.GetProperty("inputs")[0]), requiresGrad: true);
        using Tensor? mask = AttentionReference.LoadMask(c.GetProperty("src_mask"));
        using Tensor? padding = AttentionReference.LoadMask(c.GetProperty("src_key_padding_mask"));
        Variable y = layer.Forward(x, mask, padding);
        AttentionReference.AssertClose(y.Data, c.GetProperty("output"), 1e-5, $"{name} output");
        y.Backward(AttentionReference.Load(c.GetProperty("upstream")));
        AttentionReference.AssertClose(x.Grad!, c.GetProperty("grads")[0], 1e-5, $"{name} input grad");
        AttentionModuleTests.CheckParameterGradients(layer, c, 1e-5);
    }

    [Test]
    public void EncoderLayerStateDictKeysArePyTorchs()
    {
        using var layer = new TransformerEncoderLayer(8, 2, 16);
        Assert.That(layer.StateDict().Keys, Is.EqualTo(new[]
        {
            "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
            "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
        }));
        Assert.That(layer.NamedChildren().Select(c => c.Name), Is.EqualTo(new[] { "self_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "dropout1", "dropout2" }));
    }

    [Test]
    public void GptBlockNamesFollowNanoGpt()
    {
        using var block = new GptBlock(16, 4);
        Assert.That(block.NamedParameters().Select(p => p.Name), Is.EqualTo(new[]
        {
            "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias",
            "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias",
        }));
    }

    [Test]
    public void GptBlockEqualsItsDefinitionInPlainOps()
    {
        // x + attn(ln_1(x)), x + mlp(ln_2(x)) written out with explicit (unfused) causal attention.
        using var scope = TensorScope.Begin();
        using var block = new GptBlock(8, 2, generator: new Generator(21));
        var x = new Variable(Tensor.Randn([2, 6, 8], DType.Float32, generator: new Generator(22)));
        float[] fused = block.Forward(x).Data.ToArray<float>();

        Variable h = block.Ln1.Forward(x);
        Variable qkv = block.Attn.CAttn.Forward(h);
        Variable Heads(int part) => qkv.Slice(-1, part * 8, (part + 1) * 8).Reshape(2, 6, 2, 4).Permute(0, 2, 1, 3);
        using Tensor hidden = AttentionMasks.CausalHidden(6, 6);
        Variable scores = (Variable.MatMul(Heads(0), Heads(1).Transpose(-1, -2)) * 0.5).MaskedFill(hidden, double.NegativeInfinity);
        Variable attn = Variable.MatMul(scores.Softmax(-1), Heads(2)).Permute(0, 2, 1, 3).Reshape(2, 6, 8);
        Variable y = x + block.Attn.CProj.Forward(attn);
        Variable m = block.Mlp.CProj.Forward(block.Mlp.CFc.Forward(block.Ln2.Forward(y)).Gelu());
        float[] plain = (y + m).Data.ToArray<float>();
        Assert.That(fused, Is.EqualTo(plain).Within(1e-5));
    }

    [Test]
    public void GptTakesItsTokenIdsThroughTheSingleInputForward()
    {
        // A generic loop (the examples' Trainer) calls Module.Forward(Variable) with the id batch as data.
        using var scope = TensorScope.Begin();
        using var model = new Gpt(new GptConfig { BlockSize = 8, VocabSize = 11, NLayer = 1, NHead = 2, NEmbd = 8 }, new Generator(3));
        using Tensor ids = Tensor.From<long>([1, 4, 2, 9, 0, 10], [2, 3]);
        float[] direct = model.Forward(ids).Data.ToArray<float>();
        Module generic = model;
        Assert.That(generic.Forward(new Variable(ids)).Data.ToArray<float>(), Is.EqualTo(direct));
        Assert.That(() => generic.Forward(new Variable(Tensor.Zeros([2, 9], DType.Int64))), Throws.TypeOf<ShapeMismatchException>(), "longer than block_size");
    }

    [Test]
    public void CharGptTrainsForAFewStepsOfPlainSgd()
    {
        // The character model of the brief: 4 layers, d_model 256, 4 heads, context 128, batch 2.
        using var scope = TensorScope.Begin();
        var config = new GptConfig { BlockSize = 128, VocabSize = 65, NLayer = 4, NHead = 4, NEmbd = 256 };
        using var model = new Gpt(config, new Generator(7));
        Assert.That(model.StateDict().Keys, Does.Contain("transformer.h.3.mlp.c_proj.weight").And.Contain("transformer.ln_f.bias").And.Contain("transformer.wpe.weight"));
        var tokens = new long[2 * 129];
        var rng = new Random(8);
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = rng.Next(65);
        }

        using Tensor all = Tensor.From<long>(tokens, [2, 129]);
        using Tensor input = all.Slice(1, 0, 128).Contiguous();
        using Tensor target = all.Slice(1, 1, 129).Contiguous();
        Parameter[] parameters = [.. model.Parameters()];
        var losses = new List<double>();
        for (int step = 0; step < 5; step++)
        {
            using var stepScope = TensorScope.Begin();
            Variable logits = model.Forward(input);
            Variable loss = CrossEntropy(logits, target);
            losses.Add(loss.Data.ItemAsDouble());
            foreach (Parameter p in parameters)
            {
                p.Grad?.Dispose();
                p.Grad = null;
            }

            loss.Backward();

            // Plain SGD: p -= lr * grad.
            using (Autograd.NoGrad())
            {
                foreach (Parameter p in parameters)
                {
                    using Tensor update = p.Grad! * 0.1;
                    using Tensor next = p.Data - update;
                    p.Data.CopyFrom(next);
                }
            }
        }

        TestContext.Out.WriteLine($"losses: {string.Join(", ", losses.Select(l => l.ToString("F4")))}");
        Assert.That(losses[0], Is.EqualTo(Math.Log(65)).Within(0.3), "an untrained model predicts about uniformly");
        Assert.That(losses[^1], Is.LessThan(losses[0] - 0.05));
        for (int i = 1; i < losses.Count; i++)
        {
            Assert.That(losses[i], Is.LessThan(losses[i - 1]), $"step {i}");
        }
    }

    /// <summary>Mean cross-entropy of [B, T, V] logits against Int64 [B, T] targets, in plain ops.</summary>
    private static Variable CrossEntropy(Variable logits, Tensor target)
    {
        int v = logits.Shape[2];
        Variable logProbs = logits.Reshape(-1, v).LogSoftmax(-1);
        using Tensor index = target.Reshape(-1, 1);
        return -logProbs.Gather(1, index).Mean();
    }
}
