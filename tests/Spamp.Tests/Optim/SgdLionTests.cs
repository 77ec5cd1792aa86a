using Spamp.Optim;
using static Spamp.Tests.Optim.OptimTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>ALGORITHMS.md 10.5 G1 (every variant) and L1 in float64, plus validation.</summary>
[TestFixture]
public class SgdLionTests
{
    [TestCase(0.9, 0.0, false, 0.0, 0.9, 0.71, 1.9, TestName = "G1 momentum 0.9")]
    [TestCase(0.9, 0.0, true, 0.0, 0.81, 0.539, 1.9, TestName = "G1 Nesterov")]
    [TestCase(0.9, 0.5, false, 0.0, 0.9, 0.76, 1.4, TestName = "G1 dampening 0.5 (first step undampened)")]
    [TestCase(0.0, 0.0, false, 0.1, 0.89, 0.7811, double.NaN, TestName = "G1 no momentum, weight decay 0.1")]
    public void G1(double momentum, double dampening, bool nesterov, double weightDecay, double theta1, double theta2, double buffer2)
    {
        using Parameter p = Param([1.0]);
        var opt = new Sgd([p], lr: 0.1, momentum: momentum, dampening: dampening, weightDecay: weightDecay, nesterov: nesterov);
        SetGrad(p, 1.0);
        opt.Step();
        AssertClose([theta1], Values(p), what: "theta1");
        if (momentum != 0)
        {
            AssertClose([1.0], opt.States[0].Buffers[SgdRule.MomentumBuffer].ToDoubleArray(), what: "buffer1");
        }

        SetGrad(p, 1.0);
        opt.Step();
        AssertClose([theta2], Values(p), what: "theta2");
        if (momentum != 0)
        {
            AssertClose([buffer2], opt.States[0].Buffers[SgdRule.MomentumBuffer].ToDoubleArray(), what: "buffer2");
        }
        else
        {
            Assert.That(opt.States[0].Buffers, Is.Empty, "no momentum buffer without momentum");
        }
    }

    [Test]
    public void SgdValidation()
    {
        using Parameter p = Param([1.0]);
        Assert.That(() => new Sgd([p], nesterov: true), Throws.ArgumentException.With.Message.Contains("Nesterov momentum requires a momentum > 0 and zero dampening"));
        Assert.That(() => new Sgd([p], momentum: 0.9, dampening: 0.1, nesterov: true), Throws.ArgumentException.With.Message.Contains("zero dampening"));
        Assert.That(() => new Sgd([p], momentum: -0.1), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("invalid momentum value: -0.1"));
        Assert.That(new Sgd([p]).Groups[0].LearningRate, Is.EqualTo(1e-3));
    }

    [Test]
    public void L1_Lion()
    {
        using Parameter p = Param([1.0, 1.0, 1.0]);
        var opt = new Lion([p], lr: 1e-4, weightDecay: 0.1);
        SetGrad(p, 0.5, -0.1, 0);
        opt.Step();
        AssertClose([0.99989, 1.00009, 0.99999], Values(p), what: "theta1");
        AssertClose([0.005, -0.001, 0], opt.States[0].Buffers[AdamRule.ExpAvg].ToDoubleArray(), what: "m1");

        SetGrad(p, -0.01, -0.1, 0);
        opt.Step();
        AssertClose([0.9997800011, 1.0001799991, 0.9999800001], Values(p), rel: 1e-10, what: "theta2");
        AssertClose([0.00485, -0.00199, 0], opt.States[0].Buffers[AdamRule.ExpAvg].ToDoubleArray(), what: "m2");
    }

    [Test]
    public void LionValidationAndDefaults()
    {
        using Parameter p = Param([1.0]);
        Assert.That(() => new Lion([p], betas: (0.9, 1.5)), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("Lion: invalid beta parameter at index 1"));
        var lion = new Lion([p]);
        Assert.That((lion.Groups[0].LearningRate, lion.LionRule.Beta1, lion.LionRule.Beta2), Is.EqualTo((1e-4, 0.9, 0.99)));
    }
}
