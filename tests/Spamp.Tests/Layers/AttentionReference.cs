using System.Text.Json;

namespace Spamp.Tests.Layers;

/// <summary>Reads tests/reference/data/attention.json (written by tests/reference/generate_attention.py) and compares results to it.</summary>
internal static class AttentionReference
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "reference", "attention.json"))));

    /// <summary>The case named <paramref name="name"/> of the list <paramref name="list"/> ("sdpa", "mha", "encoder").</summary>
    public static JsonElement Case(string list, string name)
    {
        foreach (JsonElement c in Document.Value.RootElement.GetProperty(list).EnumerateArray())
        {
            if (c.GetProperty("name").GetString() == name)
            {
                return c;
            }
        }

        throw new ArgumentException($"no {list} case named {name}");
    }

    /// <summary>A {"shape", "data"} object as a tensor of <paramref name="dtype"/>.</summary>
    public static Tensor Load(JsonElement element, DType dtype = DType.Float32)
    {
        int[] shape = element.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        double[] data = element.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        using Tensor t = Tensor.From<double>(data, new Shape(shape));
        return t.To(dtype);
    }

    /// <summary>A 0/1 mask object as a Bool tensor, or null when the JSON value is null.</summary>
    public static Tensor? LoadMask(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        int[] shape = element.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        bool[] data = element.GetProperty("data").EnumerateArray().Select(e => e.GetInt32() != 0).ToArray();
        return Tensor.From<bool>(data, new Shape(shape));
    }

    /// <summary>
    /// Asserts |actual - expected| &lt;= rtol * max(|expected|, floor * max|expected|) entry by entry:
    /// relative error, measured against a fraction of the tensor's largest magnitude for entries near zero.
    /// </summary>
    public static void AssertClose(Tensor actual, JsonElement expected, double rtol, string what, double floor = 0.1)
    {
        using Tensor e = Load(expected, DType.Float64);
        Assert.That(actual.Shape, Is.EqualTo(e.Shape), $"{what}: shape");
        using Tensor a64 = actual.To(DType.Float64);
        double[] a = a64.ToArray<double>();
        double[] x = e.ToArray<double>();
        double scale = x.Length == 0 ? 0 : x.Max(Math.Abs);
        for (int i = 0; i < x.Length; i++)
        {
            double tolerance = rtol * Math.Max(Math.Abs(x[i]), floor * scale);
            Assert.That(Math.Abs(a[i] - x[i]), Is.LessThanOrEqualTo(tolerance),
                $"{what}: element {i} is {a[i]:R}, PyTorch {x[i]:R} (max |x| {scale:G4})");
        }
    }
}
