using System.Text.Json;
using Spamp.Layers;

namespace Spamp.Tests.Layers;

/// <summary>
/// ResNet-18: parameter counts and state-dict keys equal torchvision's for each stem (from
/// tests/reference/data/conv.json; 11,689,512 parameters with the ImageNet stem and 1000 classes),
/// forward and backward on a batch of two, state dicts that round-trip, zero-initialised residuals.
/// </summary>
[TestFixture]
public sealed class ResNetTests
{
    private static readonly Dictionary<string, ResNetStem> Stems = new()
    {
        ["imagenet"] = ResNetStem.ImageNet,
        ["cifar"] = ResNetStem.Cifar,
        ["fashion_mnist"] = ResNetStem.FashionMnist,
    };

    private static IEnumerable<TestCaseData> StemNames() => Stems.Keys.Select(k => new TestCaseData(k).SetName($"resnet18_{k}"));

    [TestCaseSource(nameof(StemNames))]
    public void ParameterCountAndStateDictKeysMatchTorchvision(string stem)
    {
        using var scope = TensorScope.Begin();
        JsonElement expected = ConvReference.Root.GetProperty("resnet18").GetProperty(stem);
        using ResNet net = ResNet.ResNet18(expected.GetProperty("classes").GetInt32(), Stems[stem], generator: new Generator(1));
        long count = net.Parameters().Sum(p => (long)p.Numel);
        Assert.That(count, Is.EqualTo(expected.GetProperty("parameters").GetInt64()));
        if (stem == "imagenet")
        {
            Assert.That(count, Is.EqualTo(11_689_512));
        }

        Dictionary<string, Tensor> state = net.StateDict();
        string[] keys = expected.GetProperty("state_dict_keys").EnumerateArray().Select(k => k.GetString()!).ToArray();
        Assert.That(state.Keys, Is.EquivalentTo(keys));
        foreach (Tensor t in state.Values)
        {
            t.Dispose();
        }
    }

    [TestCase("cifar", 32)]
    [TestCase("fashion_mnist", 28)]
    [TestCase("imagenet", 64)]
    public void ForwardAndBackwardOnABatchOfTwo(string stem, int size)
    {
        using var scope = TensorScope.Begin();
        using ResNet net = ResNet.ResNet18(10, Stems[stem], generator: new Generator(2));
        var x = new Variable(Tensor.Randn([2, Stems[stem].InChannels, size, size], generator: new Generator(3)));
        Variable logits = net.Forward(x);
        Assert.That(logits.Shape, Is.EqualTo(new Shape(2, 10)));
        Variable loss = logits.Square().Mean();
        loss.Backward();
        foreach (var (name, p) in net.NamedParameters())
        {
            Assert.That(p.Grad, Is.Not.Null, $"{name} received no gradient");
            Assert.That(double.IsFinite(p.Grad!.Abs().Amax().ItemAsDouble()), Is.True, $"{name} has a non-finite gradient");
        }

        // Training updated every batch norm's running statistics once.
        var bn1 = (BatchNorm2d)net.NamedModules().First(m => m.Name == "layer4.1.bn2").Module;
        Assert.That(bn1.NumBatchesTracked!.Item<long>(), Is.EqualTo(1));
    }

    [Test]
    public void StateDictRoundTripsAndEvalIsDeterministic()
    {
        using var scope = TensorScope.Begin();
        using ResNet a = ResNet.ResNet18(10, ResNetStem.Cifar, generator: new Generator(4));
        using ResNet b = ResNet.ResNet18(10, ResNetStem.Cifar, generator: new Generator(5));
        Dictionary<string, Tensor> state = a.StateDict();
        b.LoadStateDict(state);
        a.Eval();
        b.Eval();
        var x = new Variable(Tensor.Randn([2, 3, 32, 32], generator: new Generator(6)));
        using (Autograd.NoGrad())
        {
            Assert.That(b.Forward(x).Data.ToArray<float>(), Is.EqualTo(a.Forward(x).Data.ToArray<float>()));
        }
    }

    [Test]
    public void ModuleNamesAndInitialisationFollowTorchvision()
    {
        using var scope = TensorScope.Begin();
        using ResNet net = ResNet.ResNet18(10, ResNetStem.Cifar, zeroInitResidual: true, generator: new Generator(7));
        string[] names = net.NamedModules().Select(m => m.Name).ToArray();
        Assert.That(names, Does.Contain("layer2.0.downsample.0").And.Contain("layer2.0.downsample.1").And.Contain("avgpool").And.Contain("maxpool"));
        Assert.That(names, Does.Not.Contain("layer1.0.downsample"));
        foreach (var (name, module) in net.NamedModules())
        {
            if (module is BasicBlock block)
            {
                Assert.That(block.Bn2.Weight!.Data.ToArray<float>(), Is.All.EqualTo(0f), $"{name}.bn2.weight");
                Assert.That(block.Bn1.Weight!.Data.ToArray<float>(), Is.All.EqualTo(1f), $"{name}.bn1.weight");
            }
        }

        // kaiming_normal(fan_out, relu) on conv1 of the CIFAR stem: std = sqrt(2 / (64 * 9)).
        float[] w = net.Conv1.Weight.Data.ToArray<float>();
        double std = Math.Sqrt(w.Select(v => (double)v * v).Average());
        Assert.That(std, Is.EqualTo(Math.Sqrt(2.0 / (64 * 9))).Within(15).Percent);
    }
}
