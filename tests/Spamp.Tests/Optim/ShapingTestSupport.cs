using Spamp.Optim;

namespace Spamp.Tests.Optim;

/// <summary>Helpers for the gradient-shaping tests: float64 parameters, gradients set by hand, a rule that records what it receives.</summary>
internal static class ShapingTestSupport
{
    private static int _names;

    /// <summary>A float64 parameter with a unique name.</summary>
    public static Parameter Param(params double[] values) =>
        new(Tensor.From(values, values.Length), name: $"w{Interlocked.Increment(ref _names)}");

    /// <summary>Sets the gradient of <paramref name="p"/> to <paramref name="g"/> (float64).</summary>
    public static void SetGrad(Parameter p, params double[] g)
    {
        p.Grad?.Dispose();
        p.Grad = TensorScope.Detach(Tensor.From((double[])g.Clone(), g.Length));
    }

    /// <summary>An optimizer with lr 1, no decay, telemetry on.</summary>
    public static Optimizer Make(Parameter[] parameters, IUpdateRule? rule, params IGradientTransform[] chain) =>
        new(parameters, 1.0, 0.0, rule, chain) { Telemetry = true };

    /// <summary>Asserts relative closeness element by element (absolute <paramref name="abs"/> near 0).</summary>
    public static void Close(double[] actual, double[] expected, double rel = 1e-9, double abs = 1e-15)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length));
        for (int i = 0; i < expected.Length; i++)
        {
            Close(actual[i], expected[i], rel, abs, $"element {i}");
        }
    }

    /// <summary>Asserts <c>|actual - expected| &lt;= max(rel |expected|, abs)</c>; NaN matches NaN.</summary>
    public static void Close(double actual, double expected, double rel = 1e-9, double abs = 1e-15, string? what = null)
    {
        if (double.IsNaN(expected))
        {
            Assert.That(actual, Is.NaN, what);
            return;
        }

        Assert.That(actual, Is.EqualTo(expected).Within(Math.Max(rel * Math.Abs(expected), abs)), what);
    }

    /// <summary>Deep equality of two state dicts (doubles bit for bit, NaN equal to NaN; tensors by value).</summary>
    public static void SameState(StateDict a, StateDict b)
    {
        Assert.That(b.Keys.OrderBy(k => k, StringComparer.Ordinal), Is.EqualTo(a.Keys.OrderBy(k => k, StringComparer.Ordinal)));
        foreach (var (key, value) in a)
        {
            object other = b[key];
            switch (value)
            {
                case Tensor t:
                    Assert.That(((Tensor)other).ToDoubleArray(), Is.EqualTo(t.ToDoubleArray()), key);
                    break;
                case double[] arr:
                    Assert.That((double[])other, Is.EqualTo(arr), key);
                    break;
                case double d:
                    Assert.That(BitConverter.DoubleToInt64Bits((double)other), Is.EqualTo(BitConverter.DoubleToInt64Bits(d)), key);
                    break;
                default:
                    Assert.That(other, Is.EqualTo(value), key);
                    break;
            }
        }
    }
}

/// <summary>
/// A test double of an update rule: records each gradient it receives (and the learning rate), then
/// applies plain SGD <c>p -= lr g</c> when <see cref="Sgd"/> is on.
/// </summary>
internal sealed class RecordingRule : IUpdateRule
{
    public string Name => "recording";

    public bool Sgd { get; init; }

    public List<double[][]> Gradients { get; } = [];

    public List<double> LearningRates { get; } = [];

    public double[][] Last => Gradients[^1];

    public void Update(StepContext context)
    {
        var step = new double[context.Parameters.Count][];
        for (int i = 0; i < step.Length; i++)
        {
            step[i] = context.Gradient(i).ToDoubleArray();
            ParameterState s = context.Parameters[i];
            double lr = context.LearningRate(s.Group);
            if (Sgd)
            {
                Tensor p = s.Parameter.Data, g = context.Gradient(i);
                context.Kernels(i).Axpy(p.Storage, g.Storage, p.Numel, -lr);
            }

            s.Step++;
        }

        Gradients.Add(step);
        LearningRates.Add(context.Parameters.Count > 0 ? context.LearningRate(context.Parameters[0].Group) : 0);
    }
}
