using NUnit.Framework;

namespace Spamp.Tests.Autograd;

/// <summary>The engine's contract: accumulation, graph lifetime, hooks, NoGrad, anomaly mode and its error messages.</summary>
[TestFixture]
public sealed class AutogradEngineTests
{
    private static Variable Leaf(double[] values, params int[] shape) => new(Tensor.From(values, shape), requiresGrad: true);

    private static double[] Values(Tensor? t) => t?.ToArray<double>() ?? throw new AssertionException("the gradient is null");

    [Test]
    public void FanOut_AccumulatesEveryUse()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([1.0, -2.0, 3.0], 3);
        // y = x*x + 3x + exp(x): x is used three times (twice by mul).
        Variable y = ((x * x) + (x * 3.0) + x.Exp()).Sum();
        y.Backward();
        double[] expected = [1.0, -2.0, 3.0];
        Assert.That(Values(x.Grad), Is.EqualTo(expected.Select(v => (2 * v) + 3 + Math.Exp(v)).ToArray()).Within(1e-12));
    }

    [Test]
    public void Grad_AccumulatesOverTwoBackwardCalls_AndZeroGradResets()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([1.0, 2.0], 2);
        (x * 2.0).Sum().Backward();
        (x * 3.0).Sum().Backward();
        Assert.That(Values(x.Grad), Is.EqualTo(new[] { 5.0, 5.0 }).Within(1e-12));

        x.ZeroGrad();
        Assert.That(x.Grad, Is.Null);
        (x * 4.0).Sum().Backward();
        Assert.That(Values(x.Grad), Is.EqualTo(new[] { 4.0, 4.0 }).Within(1e-12));
    }

    [Test]
    public void RetainGraph_AllowsASecondBackward_WithoutItTheErrorNamesTheOp()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([1.0, 2.0], 2);
        Variable y = (x * x).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.That(Values(x.Grad), Is.EqualTo(new[] { 4.0, 8.0 }).Within(1e-12), "the second pass doubles the gradient");

        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.That(ex!.Message, Does.Contain("'sum'").And.Contain("retainGraph"));
    }

    [Test]
    public void NoGrad_RecordsNothing()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([1.0, 2.0], 2);
        Variable y;
        using (Spamp.Autograd.NoGrad())
        {
            Assert.That(Spamp.Autograd.IsGradEnabled, Is.False);
            y = (x * x).Exp().Sum();
        }

        Assert.That(Spamp.Autograd.IsGradEnabled, Is.True);
        Assert.That(y.GradFn, Is.Null);
        Assert.That(y.RequiresGrad, Is.False);
        Assert.Throws<InvalidOperationException>(() => y.Backward());
    }

    [Test]
    public void HookOnLeaf_RewritesTheGradient_AndDisposingTheHandleRemovesIt()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([1.0, 2.0], 2);
        int calls = 0;
        IDisposable handle = x.RegisterHook(g =>
        {
            calls++;
            return g * 10.0;
        });
        (x * 3.0).Sum().Backward();
        Assert.That(Values(x.Grad), Is.EqualTo(new[] { 30.0, 30.0 }).Within(1e-12));

        handle.Dispose();
        x.ZeroGrad();
        (x * 3.0).Sum().Backward();
        Assert.That(Values(x.Grad), Is.EqualTo(new[] { 3.0, 3.0 }).Within(1e-12));
        Assert.That(calls, Is.EqualTo(1));
    }

    [Test]
    public void HookOnNonLeaf_SeesTheTotalGradient_AndItsReplacementFlowsOn()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([1.0, 2.0], 2);
        Variable h = x * 2.0;
        double[]? seen = null;
        using IDisposable handle = h.RegisterHook(g =>
        {
            seen = g.ToArray<double>();
            return g * -1.0;
        });
        (h + h + h).Sum().Backward(); // h is used three times: its hook sees the sum, 3
        Assert.That(seen, Is.EqualTo(new[] { 3.0, 3.0 }).Within(1e-12));
        Assert.That(Values(x.Grad), Is.EqualTo(new[] { -6.0, -6.0 }).Within(1e-12));
    }

    [Test]
    public void GradReady_FiresOncePerBackward_AfterAccumulationIsComplete()
    {
        using var scope = TensorScope.Begin();
        using var w = new Parameter(Tensor.From(new[] { 1.0, 2.0 }, 2), "weight", "layer");
        using var b = new Parameter(Tensor.From(new[] { 0.5 }, 1), "bias", "layer");
        var fired = new List<(string Name, double[] Grad)>();
        void OnReady(Parameter p) => fired.Add((p.FullName, p.Grad!.ToArray<double>()));
        w.GradReady += OnReady;
        b.GradReady += OnReady;

        // w is used three times (w*3 and both sides of w*w), so its gradient is complete only after all arrive.
        Variable y = (w * 3.0).Sum() + (w * w).Sum() + b.Sum();
        y.Backward();
        Assert.That(fired.Count(f => f.Name == "layer.weight"), Is.EqualTo(1));
        Assert.That(fired.Count(f => f.Name == "layer.bias"), Is.EqualTo(1));
        Assert.That(fired.Single(f => f.Name == "layer.weight").Grad, Is.EqualTo(new[] { 3.0 + 2.0, 3.0 + 4.0 }).Within(1e-9));

        fired.Clear();
        y = (w * w).Sum() + (w * 2.0).Sum();
        y.Backward();
        Assert.That(fired, Has.Count.EqualTo(1));
        Assert.That(fired[0].Grad, Is.EqualTo(new[] { 5.0 + 4.0, 7.0 + 6.0 }).Within(1e-9), "the second backward accumulates onto the first");
    }

    [Test]
    public void DetectAnomaly_NamesTheForwardOp()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([1.0, -1.0], 2);
        using (Spamp.Autograd.DetectAnomaly())
        {
            var ex = Assert.Throws<AnomalyException>(() => x.Log());
            Assert.That(ex!.Message, Does.Contain("the forward of 'log'").And.Contain("NaN"));
        }
    }

    [Test]
    public void DetectAnomaly_NamesTheBackwardOpThatProducedNaN()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([0.0, 4.0], 2);
        using (Spamp.Autograd.DetectAnomaly())
        {
            // sqrt(0) = 0 is finite, but its derivative 1/(2 sqrt 0) is infinite; times 0 it is NaN.
            Variable y = (x.Sqrt() * 0.0).Sum();
            var ex = Assert.Throws<AnomalyException>(() => y.Backward());
            Assert.That(ex!.Message, Does.Contain("the backward of 'sqrt'"));
        }
    }

    [Test]
    public void CustomFunction_WithBackward_IsDifferentiated()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([1.0, 2.0], 2);
        Variable y = Function.Custom("triple", xs => xs[0] * 3.0, (g, xs) => [g * 3.0], x);
        y.Sum().Backward();
        Assert.That(Values(x.Grad), Is.EqualTo(new[] { 3.0, 3.0 }).Within(1e-12));
    }

    [Test]
    public void CustomFunction_WithoutBackward_ThrowsWhenBackwardReachesIt()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([1.0, 2.0], 2);
        Variable y = Function.Custom("my_op", xs => xs[0].Exp(), null, x);
        Assert.That(y.RequiresGrad, Is.True, "the graph is not cut silently");
        var ex = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.That(ex!.Message, Does.StartWith("'my_op' has no backward;"));
    }

    [Test]
    public void CustomFunction_ReturningTheIncomingGradient_IsSafe()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([1.0, 2.0], 2);
        Variable y = Function.Custom("identity", xs => xs[0].Clone(), (g, _) => [g], x);
        (y * 2.0).Sum().Backward();
        Assert.That(Values(x.Grad), Is.EqualTo(new[] { 2.0, 2.0 }).Within(1e-12));
    }

    [Test]
    public void NonScalarBackward_WithoutGradient_ThrowsNamingTheShape()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3);
        Variable y = x * 2.0;
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.That(ex!.Message, Does.Contain("[2,3]"));
    }

    [Test]
    public void LeafGradients_DoNotShareStorage()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([1.0, 2.0], 2);
        using Variable y = Leaf([3.0, 4.0], 2);
        (x + y).Sum().Backward();
        x.Grad!.MulInPlace(100);
        Assert.That(Values(x.Grad), Is.EqualTo(new[] { 100.0, 100.0 }).Within(1e-12));
        Assert.That(Values(y.Grad), Is.EqualTo(new[] { 1.0, 1.0 }).Within(1e-12));
    }

    [Test]
    public void LeafGradient_OfAViewOp_IsDenseAndOwned()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([1.0, 2.0, 3.0, 4.0], 2, 2);
        Variable y = x.Transpose(0, 1).Expand(3, 2, 2).Sum();
        y.Backward();
        Assert.That(x.Grad!.IsContiguous, Is.True);
        Assert.That(Values(x.Grad), Is.EqualTo(new[] { 3.0, 3.0, 3.0, 3.0 }).Within(1e-12));
    }

    [Test]
    public void MaxDim_RoutesTheGradientToTheReturnedIndex()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([1.0, 5.0, 5.0, 2.0], 2, 2);
        var (values, indices) = x.Max(1);
        values.Sum().Backward();
        long[] idx = indices.ToArray<long>();
        double[] grad = Values(x.Grad);
        Assert.That(idx, Is.EqualTo(new long[] { 1, 0 }));
        Assert.That(grad, Is.EqualTo(new[] { 0.0, 1.0, 1.0, 0.0 }).Within(1e-12));
    }

    [Test]
    public void Amax_SharesTheGradientAmongTies()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([1.0, 3.0, 3.0, 3.0], 4);
        x.Amax().Backward();
        Assert.That(Values(x.Grad), Is.EqualTo(new[] { 0.0, 1.0 / 3, 1.0 / 3, 1.0 / 3 }).Within(1e-12));
    }

    [Test]
    public void Norm2_AtZero_HasZeroGradient()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([0.0, 0.0, 0.0], 3);
        x.Norm().Backward();
        Assert.That(Values(x.Grad), Is.EqualTo(new[] { 0.0, 0.0, 0.0 }));
    }

    [Test]
    public void Pow_WithZeroBase_HasAFiniteExponentGradient()
    {
        using var scope = TensorScope.Begin();
        using Variable a = Leaf([0.0, 2.0], 2);
        using Variable b = Leaf([2.0, 3.0], 2);
        Variable.Pow(a, b).Sum().Backward();
        Assert.That(Values(b.Grad), Is.EqualTo(new[] { 0.0, 8.0 * Math.Log(2.0) }).Within(1e-12));
        Assert.That(Values(a.Grad), Is.EqualTo(new[] { 0.0, 12.0 }).Within(1e-12));
    }

    [Test]
    public void Cast_ToAnInteger_CutsNothingThatCouldCarryAGradient()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([1.5, 2.5], 2);
        Variable i = x.To(DType.Int64);
        Assert.That(i.RequiresGrad, Is.False);
        Variable f = x.To(DType.Float32);
        Assert.That(f.GradFn, Is.Not.Null);
        f.Sum().Backward();
        Assert.That(x.Grad!.DType, Is.EqualTo(DType.Float64));
    }

    [Test]
    public void SavedTensors_AreFreedAfterBackward()
    {
        using var scope = TensorScope.Begin();
        using Variable x = Leaf([1.0, 2.0], 2);
        Variable y = x.Exp();
        Node node = y.GradFn!;
        y.Sum().Backward();
        Assert.That(node.Released, Is.True);
    }
}
