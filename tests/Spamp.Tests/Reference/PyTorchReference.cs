using System.Text.Json;

namespace Spamp.Tests;

/// <summary>
/// Values PyTorch computed (the generator scripts in tests/reference, outputs committed under
/// tests/reference/data and copied next to the test assembly) and the one way every parity test
/// compares against them.
/// </summary>
internal static class PyTorchReference
{
    /// <summary>Relative tolerance of float32 parity.</summary>
    public const double Tolerance = 1e-5;

    /// <summary>
    /// Entries smaller than this fraction of the tensor's largest magnitude are compared relative to
    /// that fraction instead of to themselves: near-zero entries come from cancellation, where both
    /// libraries' float32 results carry rounding of the large operands (about one float32 ulp of the
    /// largest entry), and neither is the more accurate one.
    /// </summary>
    public const double Floor = 1e-2;

    /// <summary>The path of a committed reference file.</summary>
    public static string File(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "reference", name);

    /// <summary>A {"shape", "data"} object as a tensor of <paramref name="dtype"/>.</summary>
    public static Tensor Load(JsonElement element, DType dtype = DType.Float32)
    {
        int[] shape = [.. element.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];
        if (dtype == DType.Int64)
        {
            long[] indices = [.. element.GetProperty("data").EnumerateArray().Select(e => e.GetInt64())];
            return Tensor.From<long>(indices, new Shape(shape));
        }

        double[] data = [.. element.GetProperty("data").EnumerateArray().Select(e => e.GetDouble())];
        using Tensor values = Tensor.From<double>(data, new Shape(shape));
        return values.To(dtype);
    }

    /// <summary>Asserts <paramref name="got"/> has the expected shape and every entry within tolerance (see <see cref="Floor"/>), naming the worst entry.</summary>
    public static void AssertClose(string what, Tensor got, JsonElement expectedJson, double tolerance = Tolerance, double floor = Floor)
    {
        int[] shape = [.. expectedJson.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];
        Assert.That(got.Shape, Is.EqualTo(new Shape(shape)), $"{what}: shape");
        double[] expected = [.. expectedJson.GetProperty("data").EnumerateArray().Select(e => e.GetDouble())];
        using Tensor asFloat = got.To(DType.Float32);
        float[] actual = asFloat.ToArray<float>();
        double scale = expected.Length == 0 ? 0 : expected.Max(Math.Abs);
        double smallest = Math.Max(floor * scale, 1e-30);
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]) / Math.Max(Math.Abs(expected[i]), smallest);
            if (!(error <= worst))
            {
                worst = error;
                worstAt = i;
            }
        }

        Assert.That(worst, Is.LessThanOrEqualTo(tolerance),
            $"{what}: element {worstAt} is {(worstAt >= 0 ? actual[worstAt] : 0)}, PyTorch has {(worstAt >= 0 ? expected[worstAt] : 0)} (relative error {worst:E2})");
    }
}
