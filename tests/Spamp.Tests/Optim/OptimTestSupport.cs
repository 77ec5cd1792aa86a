namespace Spamp.Tests.Optim;

/// <summary>Small helpers for optimizer tests: parameters from arrays, gradients set directly, relative comparisons.</summary>
internal static class OptimTestSupport
{
    /// <summary>A float64 parameter holding <paramref name="values"/> with the given shape (1-D by default).</summary>
    public static Parameter Param(double[] values, int[]? shape = null, string name = "w", string? layer = null) =>
        new(Tensor.From(values, shape ?? [values.Length]), name, layer);

    /// <summary>A float32 parameter.</summary>
    public static Parameter Param(float[] values, int[]? shape = null, string name = "w", string? layer = null) =>
        new(Tensor.From(values, shape ?? [values.Length]), name, layer);

    /// <summary>Sets the gradient of <paramref name="p"/> (same dtype and shape as the parameter).</summary>
    public static void SetGrad(Parameter p, params double[] values)
    {
        p.Grad?.Dispose();
        Tensor g = Tensor.From(values, p.Shape.ToArray());
        p.Grad = TensorScope.Detach(p.DType == DType.Float32 ? Convert(g) : g);
    }

    /// <summary>Sets a float32 gradient.</summary>
    public static void SetGrad(Parameter p, float[] values)
    {
        p.Grad?.Dispose();
        p.Grad = TensorScope.Detach(Tensor.From(values, p.Shape.ToArray()));
    }

    /// <summary>The parameter's values as doubles.</summary>
    public static double[] Values(Parameter p) => p.Data.ToDoubleArray();

    /// <summary>A deterministic pseudo-random array in [-scale, scale).</summary>
    public static float[] RandomFloats(int n, int seed, double scale = 1)
    {
        var random = new System.Random(seed);
        var values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = (float)(((random.NextDouble() * 2) - 1) * scale);
        }

        return values;
    }

    /// <summary>A deterministic pseudo-random array in [-scale, scale).</summary>
    public static double[] RandomDoubles(int n, int seed, double scale = 1)
    {
        var random = new System.Random(seed);
        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = ((random.NextDouble() * 2) - 1) * scale;
        }

        return values;
    }

    /// <summary>Asserts |actual - expected| &lt;= rel * max(|expected|, floor) element-wise.</summary>
    public static void AssertClose(double[] expected, double[] actual, double rel = 1e-9, double floor = 1e-12, string what = "")
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = rel * Math.Max(Math.Abs(expected[i]), floor);
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(tolerance), $"{what}[{i}]");
        }
    }

    private static Tensor Convert(Tensor g)
    {
        Tensor f = g.To(DType.Float32);
        g.Dispose();
        return f;
    }
}
