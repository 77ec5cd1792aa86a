using Spamp.Optim;
using static Spamp.Tests.Optim.OptimTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>ALGORITHMS.md 9b M1-M5 in float64 (1e-9 relative), routing, and float32 Newton-Schulz.</summary>
[TestFixture]
public class MuonTests
{
    [Test]
    public void M1_IteratesOfOneByOne()
    {
        double[] iterates = [0.701000036150, 1.113620175197, 0.720705896213, 1.089974268971, 0.696436460913];
        using Tensor g = Tensor.From([2.0], 1, 1);
        for (int steps = 1; steps <= 5; steps++)
        {
            using Tensor x = MuonRule.NewtonSchulz(g, steps);
            AssertClose([iterates[steps - 1]], x.ToDoubleArray(), what: $"after {steps} iterations");
        }

        using Tensor x0 = MuonRule.NewtonSchulz(g, 0);
        AssertClose([0.99999995], x0.ToDoubleArray(), what: "X0");
    }

    [Test]
    public void M2_SingularValuesSwapOrder()
    {
        using Tensor g = Tensor.From(new double[] { 3, 0, 0, 1 }, 2, 2);
        using Tensor x0 = MuonRule.NewtonSchulz(g, 0);
        AssertClose([0.948683268051, 0, 0, 0.316227756017], x0.ToDoubleArray(), what: "X0");
        using Tensor x = MuonRule.NewtonSchulz(g);
        AssertClose([0.753033450775, 0, 0, 1.133706222658], x.ToDoubleArray(), what: "X5");
    }

    [Test]
    public void M3_Identity()
    {
        double[] eye = new double[16];
        for (int i = 0; i < 4; i++)
        {
            eye[(i * 4) + i] = 1;
        }

        using Tensor g = Tensor.From(eye, 4, 4);
        using Tensor x = MuonRule.NewtonSchulz(g);
        double[] expected = new double[16];
        for (int i = 0; i < 4; i++)
        {
            expected[(i * 4) + i] = 0.765438666394;
        }

        AssertClose(expected, x.ToDoubleArray());
    }

    [Test]
    public void M4_ShapeScales()
    {
        Assert.Multiple(() =>
        {
            Assert.That(MuonRule.ShapeScale(new Shape(4, 2), MuonShapeScaling.Keller), Is.EqualTo(1.414213562373).Within(1e-12));
            Assert.That(MuonRule.ShapeScale(new Shape(2, 4), MuonShapeScaling.Keller), Is.EqualTo(1.0));
            Assert.That(MuonRule.ShapeScale(new Shape(4, 2), MuonShapeScaling.MatchRmsAdamW), Is.EqualTo(0.4).Within(1e-15));
            Assert.That(MuonRule.ShapeScale(new Shape(4, 2), MuonShapeScaling.PyTorchOriginal), Is.EqualTo(Math.Sqrt(2)).Within(1e-15));
            Assert.That(MuonRule.ShapeScale(new Shape(8, 4, 3, 5), MuonShapeScaling.Keller), Is.EqualTo(1.0), "Keller's 4-D quirk: kh/kw");
        });
    }

    [Test]
    public void M5_FullStep()
    {
        using Parameter p = Param([1.0], [1, 1], name: "weight", layer: "hidden");
        var opt = new Muon([p], lr: 0.02, momentum: 0.95, weightDecay: 0);
        SetGrad(p, 2.0);
        opt.Step();
        AssertClose([0.1], opt.States[0].Buffers[MuonRule.MomentumBuffer].ToDoubleArray(), what: "B");
        AssertClose([0.986071261258], Values(p), what: "P");
        Assert.That(opt.States[0].Step, Is.EqualTo(1));
    }

    [Test]
    public void NormalisationsDifferOnlyForTinyMatrices()
    {
        using Tensor g = Tensor.From([2.0], 1, 1);
        using Tensor keller = MuonRule.NewtonSchulz(g, 0, MuonNormalization.Keller);
        using Tensor torch = MuonRule.NewtonSchulz(g, 0, MuonNormalization.PyTorch);
        Assert.That(torch.ToDoubleArray()[0], Is.EqualTo(1.0));
        Assert.That(keller.ToDoubleArray()[0], Is.EqualTo(0.99999995).Within(1e-14));
    }

    [Test]
    public void RoutesMatricesToMuonAndTheRestToAdamW()
    {
        using Parameter weight = Param(RandomDoubles(12, 1), [4, 3], "weight", "blocks.0.mlp");
        using Parameter bias = Param(RandomDoubles(4, 2), null, "bias", "blocks.0.mlp");
        using Parameter embedding = Param(RandomDoubles(6, 3), [3, 2], "weight", "tok_embeddings");
        using Parameter head = Param(RandomDoubles(6, 4), [2, 3], "weight", "lm_head");
        Assert.Multiple(() =>
        {
            Assert.That(MuonRule.IsHiddenMatrix(weight), Is.True);
            Assert.That(MuonRule.IsHiddenMatrix(bias), Is.False);
            Assert.That(MuonRule.IsHiddenMatrix(embedding), Is.False);
            Assert.That(MuonRule.IsHiddenMatrix(head), Is.False);
        });

        var opt = new Muon([weight, bias, embedding, head], lr: 0.02, adamLr: 1e-3);
        Assert.That(opt.Groups, Has.Count.EqualTo(2));
        Assert.That(opt.Groups[1].LearningRate, Is.EqualTo(1e-3));
        double[] bias0 = Values(bias);
        foreach (Parameter p in new[] { weight, bias, embedding, head })
        {
            SetGrad(p, RandomDoubles(p.Data.Numel, 7));
        }

        opt.Step();
        Assert.That(opt.States.Single(s => s.Parameter == weight).Buffers.Keys, Is.EquivalentTo(new[] { MuonRule.MomentumBuffer }));
        Assert.That(opt.States.Single(s => s.Parameter == bias).Buffers.Keys, Is.EquivalentTo(new[] { AdamRule.ExpAvg, AdamRule.ExpAvgSq }));

        // The first Adam step moves every coordinate by about lr (sign of the gradient).
        double[] bias1 = Values(bias);
        for (int i = 0; i < bias0.Length; i++)
        {
            Assert.That(Math.Abs(bias1[i] - bias0[i]), Is.EqualTo(1e-3).Within(1e-9));
        }
    }

    [Test]
    public void Float32ConvFilterIsOrthogonalisedAsMatrix()
    {
        using Parameter conv = Param(RandomFloats(8 * 3 * 3 * 3, 11), [8, 3, 3, 3], "weight", "conv2");
        var opt = new Muon([conv], lr: 0.1, nesterov: false);
        SetGrad(conv, RandomFloats(8 * 27, 12));
        float[] before = conv.Data.ToArray<float>();
        opt.Step();

        // With momentum off in the first step, B = 0.05*g and U = B; its orthogonalisation O has singular values near 1,
        // so O O^T (8 x 8, rows <= cols) is close to the identity in the NS sense: diagonal in [0.5, 1.5].
        float[] after = conv.Data.ToArray<float>();
        using Tensor delta = Tensor.From(after.Zip(before, (a, b) => (b - a) / 0.1f).ToArray(), 8, 27);
        using Tensor gram = delta.MatMul(delta.T);
        double[] gramValues = gram.ToDoubleArray();
        for (int i = 0; i < 8; i++)
        {
            Assert.That(gramValues[(i * 8) + i], Is.InRange(0.3, 1.6), $"diag {i}");
        }
    }

    [Test]
    public void Validation()
    {
        using Parameter p = Param([1.0], [1, 1]);
        Assert.That(() => new Muon([p], momentum: 1.0), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("Muon: invalid beta parameter"));
        Assert.That(() => new Muon([p], nsSteps: 0), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("Newton-Schulz steps"));
        using Parameter vector = Param([1.0, 2.0]);
        var forced = new Muon([vector], usesMuon: _ => true);
        SetGrad(vector, 1.0, 1.0);
        Assert.That(() => forced.Step(), Throws.TypeOf<ShapeMismatchException>().With.Message.Contains("needs at least 2 dimensions"));
    }
}
