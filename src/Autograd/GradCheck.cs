using System.Text;

namespace Spamp;

/// <summary>The outcome of <see cref="GradCheck.Check"/>.</summary>
/// <param name="Passed">True when every analytic derivative matched its finite-difference estimate within tolerance.</param>
/// <param name="MaxAbsoluteError">The largest |analytic - numeric| over all checked entries.</param>
/// <param name="Report">Where it failed (input, output and input element, both values), or a summary when it passed.</param>
public readonly record struct GradCheckResult(bool Passed, double MaxAbsoluteError, string Report);

/// <summary>
/// Verifies a function's analytic gradients against central finite differences in float64, the
/// way torch.autograd.gradcheck does: the full Jacobian is compared, one output element at a time
/// by backward and one input element at a time by perturbation. Use small inputs.
/// </summary>
public static class GradCheck
{
    /// <summary>
    /// Checks <paramref name="function"/> at <paramref name="inputs"/> (converted to float64; the
    /// caller keeps ownership). An entry passes when |analytic - numeric| &lt;= atol + rtol*|numeric|.
    /// </summary>
    public static GradCheckResult Check(Func<Variable[], Variable> function, IReadOnlyList<Tensor> inputs,
        double eps = 1e-6, double atol = 1e-6, double rtol = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = TensorScope.Begin();
        var values = inputs.Select(t => t.To(DType.Float64).Clone()).ToArray();
        double[][] flat = values.Select(v => v.ToArray<double>()).ToArray();

        // The output shape, and the analytic Jacobian one output element at a time.
        double[] output = Evaluate(function, values, flat).ToArray<double>();
        int outputs = output.Length;
        var analytic = new double[values.Length][,];
        for (int i = 0; i < values.Length; i++)
        {
            analytic[i] = new double[outputs, flat[i].Length];
        }

        for (int o = 0; o < outputs; o++)
        {
            using var inner = TensorScope.Begin();
            Variable[] variables = values.Select(v => new Variable(v.Clone(), requiresGrad: true)).ToArray();
            Variable y = function(variables);
            var seed = new double[outputs];
            seed[o] = 1;
            using Tensor seedTensor = Tensor.From<double>(seed, y.Shape);
            y.Backward(seedTensor);
            for (int i = 0; i < variables.Length; i++)
            {
                double[] g = variables[i].Grad?.ToArray<double>() ?? new double[flat[i].Length];
                for (int e = 0; e < g.Length; e++)
                {
                    analytic[i][o, e] = g[e];
                }

                variables[i].Dispose();
            }
        }

        // The numeric Jacobian by central differences, one input element at a time.
        double maxError = 0;
        var report = new StringBuilder();
        bool passed = true;
        for (int i = 0; i < values.Length; i++)
        {
            for (int e = 0; e < flat[i].Length; e++)
            {
                double original = flat[i][e];
                flat[i][e] = original + eps;
                double[] plus = EvaluateFlat(function, values, flat);
                flat[i][e] = original - eps;
                double[] minus = EvaluateFlat(function, values, flat);
                flat[i][e] = original;
                for (int o = 0; o < outputs; o++)
                {
                    double numeric = (plus[o] - minus[o]) / (2 * eps);
                    double error = Math.Abs(analytic[i][o, e] - numeric);
                    maxError = Math.Max(maxError, double.IsNaN(error) ? double.PositiveInfinity : error);
                    if (!(error <= atol + (rtol * Math.Abs(numeric))) && passed)
                    {
                        passed = false;
                        report.Append($"input {i} element {e}, output element {o}: analytic {analytic[i][o, e]:R}, numeric {numeric:R} (|diff| {error:E3})");
                    }
                }
            }
        }

        if (passed)
        {
            report.Append($"{values.Length} inputs, {outputs} outputs: max |analytic - numeric| = {maxError:E3}");
        }

        return new GradCheckResult(passed, maxError, report.ToString());
    }

    private static double[] EvaluateFlat(Func<Variable[], Variable> function, Tensor[] values, double[][] flat)
    {
        using var scope = TensorScope.Begin();
        return Evaluate(function, values, flat).ToArray<double>();
    }

    private static Tensor Evaluate(Func<Variable[], Variable> function, Tensor[] values, double[][] flat)
    {
        using (Autograd.NoGrad())
        {
            Variable[] variables = new Variable[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                variables[i] = new Variable(Tensor.From<double>(flat[i], values[i].Shape));
            }

            Variable y = function(variables);
            if (y.DType != DType.Float64)
            {
                throw new DTypeMismatchException($"gradcheck: the function returned {y.DType.Name()}; it must compute in float64");
            }

            return y.Data;
        }
    }
}
