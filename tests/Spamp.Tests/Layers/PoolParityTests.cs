using System.Text.Json;
using Spamp.Layers;

namespace Spamp.Tests.Layers;

/// <summary>
/// max_pool2d, avg_pool2d and adaptive_avg_pool2d against PyTorch 1.13 in float32, forward and input
/// gradient: padding, ceil_mode (including a last window that starts in the padding), dilation,
/// overlapping windows, count_include_pad, divisor_override, non-square windows, adaptive windows
/// that overlap and that repeat input elements.
/// </summary>
[TestFixture]
public sealed class PoolParityTests
{
    private static IEnumerable<TestCaseData> Cases() => ConvReference.Cases("max_pool2d", "avg_pool2d", "adaptive_avg_pool2d");

    [TestCaseSource(nameof(Cases))]
    public void MatchesPyTorch(JsonElement c)
    {
        JsonElement a = c.GetProperty("args");
        string op = c.GetProperty("op").GetString()!;
        ConvReference.AssertMatchesPyTorch(c, v => op switch
        {
            "max_pool2d" => Functional.MaxPool2d(v[0]!, ConvReference.Pair(a.GetProperty("kernel")), ConvReference.OptPair(a, "stride"),
                ConvReference.Pair(a.GetProperty("padding")), ConvReference.Pair(a.GetProperty("dilation")), a.GetProperty("ceil_mode").GetBoolean()),
            "avg_pool2d" => Functional.AvgPool2d(v[0]!, ConvReference.Pair(a.GetProperty("kernel")), ConvReference.OptPair(a, "stride"),
                ConvReference.Pair(a.GetProperty("padding")), a.GetProperty("ceil_mode").GetBoolean(), a.GetProperty("count_include_pad").GetBoolean(),
                a.GetProperty("divisor_override").ValueKind == JsonValueKind.Null ? null : a.GetProperty("divisor_override").GetInt32()),
            _ => Functional.AdaptiveAvgPool2d(v[0]!, ConvReference.Pair(a.GetProperty("output_size"))),
        });
    }
}
