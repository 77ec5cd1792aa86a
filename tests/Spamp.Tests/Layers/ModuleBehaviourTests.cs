using Spamp.Layers;

namespace Spamp.Tests.Layers;

/// <summary>Train/eval behaviour, initialisation, state dicts and error messages of the layers.</summary>
[TestFixture]
public sealed class ModuleBehaviourTests
{
    [Test]
    public void DropoutIsTheIdentityInEval()
    {
        using var scope = TensorScope.Begin();
        using var dropout = new Dropout(0.3);
        dropout.Eval();
        var x = new Variable(Tensor.Randn([4, 5], generator: new Generator(1)));
        Variable y = dropout.Forward(x);
        Assert.That(y.Data.ToArray<float>(), Is.EqualTo(x.Data.ToArray<float>()));
    }

    [Test]
    public void DropoutInTrainingZeroesOrScalesAndRepeatsWithTheSameSeed()
    {
        using var scope = TensorScope.Begin();
        const double p = 0.25;
        using var x = Tensor.Ones([64, 64]);
        float[] Run()
        {
            using var dropout = new Dropout(p, new Generator(42));
            var input = new Variable(x.Alias(), requiresGrad: true);
            Variable y = dropout.Forward(input);
            y.Sum().Backward();
            // The gradient is the same scaled mask as the output.
            Assert.That(input.Grad!.ToArray<float>(), Is.EqualTo(y.Data.ToArray<float>()));
            return y.Data.ToArray<float>();
        }

        float[] first = Run(), second = Run();
        Assert.That(second, Is.EqualTo(first));
        float scale = (float)(1 / (1 - p));
        Assert.That(first.All(v => v == 0 || v == scale), Is.True);
        double kept = first.Count(v => v != 0) / (double)first.Length;
        Assert.That(kept, Is.EqualTo(1 - p).Within(0.03));
    }

    [Test]
    public void DropoutRejectsProbabilitiesOutsideZeroOne()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Dropout(1.5));
        Assert.That(error!.Message, Does.Contain("dropout").And.Contain("1.5"));
    }

    [Test]
    public void LinearInitialisationFollowsPyTorchBoundsAndIsSeedable()
    {
        using var scope = TensorScope.Begin();
        using var a = new Linear(100, 50, generator: new Generator(7));
        using var b = new Linear(100, 50, generator: new Generator(7));
        float[] w = a.Weight.Data.ToArray<float>(), bias = a.Bias!.Data.ToArray<float>();
        Assert.That(b.Weight.Data.ToArray<float>(), Is.EqualTo(w));
        Assert.That(w.Max(Math.Abs), Is.LessThanOrEqualTo(0.1f).And.GreaterThan(0.09f));
        Assert.That(bias.Max(Math.Abs), Is.LessThanOrEqualTo(0.1f));
        Assert.That(a.Weight.Shape, Is.EqualTo(new Shape(50, 100)));
    }

    [Test]
    public void LinearNamesTheFeatureMismatch()
    {
        using var scope = TensorScope.Begin();
        using var linear = new Linear(784, 10);
        var error = Assert.Throws<ShapeMismatchException>(() => linear.Forward(new Variable(Tensor.Zeros([32, 100]))));
        Assert.That(error!.Message, Is.EqualTo("linear: input [32,100] has 100 features, expected 784"));
    }

    [Test]
    public void LayerNormNamesTheShapeMismatch()
    {
        using var scope = TensorScope.Begin();
        using var norm = new LayerNorm(8);
        var error = Assert.Throws<ShapeMismatchException>(() => norm.Forward(new Variable(Tensor.Zeros([4, 7]))));
        Assert.That(error!.Message, Does.Contain("layer_norm").And.Contain("[4,7]").And.Contain("[8]"));
    }

    [Test]
    public void CrossEntropyNamesAnOutOfRangeTarget()
    {
        using var scope = TensorScope.Begin();
        using Tensor target = Tensor.From(new long[] { 1, 5 }, 2);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy(new Variable(Tensor.Zeros([2, 3])), target));
        Assert.That(error!.Message, Does.Contain("target 5").And.Contain("[0, 3)"));
    }

    [Test]
    public void SequentialNamesChildrenByPositionAndIndexes()
    {
        using var model = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
        Assert.That(model.StateDict().Keys, Is.EqualTo(new[] { "0.weight", "0.bias", "2.weight", "2.bias" }));
        Assert.That(model[2], Is.InstanceOf<Linear>());
        Assert.That(model[-2], Is.InstanceOf<ReLU>());
        Assert.That(((Linear)model[0]).Weight.FullName, Is.EqualTo("0.weight"));
        Assert.That(model.Count, Is.EqualTo(3));
    }

    [Test]
    public void StateDictRoundTripCopiesEveryValue()
    {
        using var scope = TensorScope.Begin();
        using var source = new Sequential(new Linear(4, 3, generator: new Generator(1)), new LayerNorm(3), new Embedding(5, 3, generator: new Generator(2)));
        using var target = new Sequential(new Linear(4, 3, generator: new Generator(3)), new LayerNorm(3), new Embedding(5, 3, generator: new Generator(4)));
        Dictionary<string, Tensor> state = source.StateDict();
        LoadStateDictResult result = target.LoadStateDict(state);
        Assert.That(result.MissingKeys, Is.Empty);
        Assert.That(result.UnexpectedKeys, Is.Empty);
        foreach (var ((name, a), (_, b)) in source.NamedParameters().Zip(target.NamedParameters()))
        {
            Assert.That(b.Data.ToArray<float>(), Is.EqualTo(a.Data.ToArray<float>()), name);
        }
    }

    [Test]
    public void StrictLoadListsEveryProblemAndChangesNothing()
    {
        using var scope = TensorScope.Begin();
        using var model = new Sequential(new Linear(4, 3, generator: new Generator(1)), new LayerNorm(3));
        float[] before = ((Linear)model[0]).Weight.Data.ToArray<float>();
        var state = new Dictionary<string, Tensor>
        {
            ["0.weight"] = Tensor.Zeros([3, 4]),
            ["0.bias"] = Tensor.Zeros([5]),
            ["extra"] = Tensor.Zeros([1]),
        };
        var error = Assert.Throws<StateDictMismatchException>(() => model.LoadStateDict(state));
        Assert.That(error!.Message, Does.Contain("missing keys: 1.weight, 1.bias")
            .And.Contain("unexpected keys: extra")
            .And.Contain("0.bias: checkpoint [5], model [3]"));
        Assert.That(((Linear)model[0]).Weight.Data.ToArray<float>(), Is.EqualTo(before));
    }

    [Test]
    public void NonStrictLoadReturnsTheKeyListsAndLoadsTheRest()
    {
        using var scope = TensorScope.Begin();
        using var model = new Sequential(new Linear(4, 3), new LayerNorm(3));
        var state = new Dictionary<string, Tensor> { ["0.weight"] = Tensor.Ones([3, 4]), ["extra"] = Tensor.Zeros([1]) };
        LoadStateDictResult result = model.LoadStateDict(state, strict: false);
        Assert.That(result.MissingKeys, Is.EqualTo(new[] { "0.bias", "1.weight", "1.bias" }));
        Assert.That(result.UnexpectedKeys, Is.EqualTo(new[] { "extra" }));
        Assert.That(((Linear)model[0]).Weight.Data.ToArray<float>(), Is.All.EqualTo(1f));
    }

    [Test]
    public void RmsNormDefaultEpsIsTheDtypeMachineEpsilon()
    {
        Assert.That(Functional.MachineEpsilon(DType.Float32), Is.EqualTo(1.1920928955078125e-07));
        Assert.That(Functional.MachineEpsilon(DType.Float64), Is.EqualTo(2.220446049250313e-16));
    }
}
