using Spamp.Examples;
using Spamp.Optim;

namespace Spamp.Tests.Examples;

[TestFixture]
public class MethodFactoryTests
{
    [TestCaseSource(typeof(MethodFactory), nameof(MethodFactory.Names))]
    public void BuildsEveryMethodAndTakesAStep(string method)
    {
        using var model = ExampleTestSupport.Mlp(3);
        Optimizer optimizer = MethodFactory.Create(method, model.Parameters(), 1e-3, 1e-2, totalSteps: 100);
        Assert.That(optimizer.Schedule, Is.Not.Null, "every method decays its learning rate");

        using var data = ExampleTestSupport.Blobs();
        using (var scope = TensorScope.Begin())
        {
            Variable logits = model.Forward(new Variable(data.Inputs));
            Variable loss = -logits.LogSoftmax(1).Gather(1, data.Targets.Unsqueeze(1)).Mean();
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }

        Assert.That(optimizer.StepCount, Is.EqualTo(1));
        foreach (Parameter p in model.Parameters())
        {
            Assert.That(p.Data.ToArray<float>(), Has.All.Matches<float>(float.IsFinite));
        }
    }

    [Test]
    public void WarmupClipStartsBelowThePeakLearningRate()
    {
        using var model = ExampleTestSupport.Mlp(3);
        Optimizer optimizer = MethodFactory.Create("warmup-clip", model.Parameters(), 1e-3, 0, totalSteps: 100);
        Assert.Multiple(() =>
        {
            Assert.That(optimizer.Schedule!.Factor(0), Is.LessThan(1));
            Assert.That(optimizer.Schedule!.Factor(5), Is.EqualTo(1).Within(1e-12), "W = 5% of 100 steps");
            Assert.That(optimizer.Transforms.OfType<ClipGradNorm>().Single().MaxNorm, Is.EqualTo(1.0));
        });
    }

    [Test]
    public void RejectsUnknownNamesListingTheValidOnes()
    {
        using var model = ExampleTestSupport.Mlp(3);
        var e = Assert.Throws<ArgumentException>(() => MethodFactory.Create("adamw-ish", model.Parameters(), 1e-3, 0, 10));
        Assert.That(e!.Message, Does.Contain("adamw-ish").And.Contain("spamp").And.Contain("stable-spam").And.Contain("none"));
        Assert.Throws<ArgumentException>(() => MethodFactory.ParseList("spamp,bogus"));
    }

    [Test]
    public void CompareMeansSpampAndClip() =>
        Assert.That(MethodFactory.ParseList("compare, zclip"), Is.EqualTo(new[] { "spamp", "clip", "zclip" }));
}
