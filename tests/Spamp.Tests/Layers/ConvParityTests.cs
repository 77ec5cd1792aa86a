using System.Text.Json;
using Spamp.Layers;

namespace Spamp.Tests.Layers;

/// <summary>
/// conv2d and conv1d against PyTorch 1.13 in float32 (forward and the gradients with respect to
/// input, weight and bias): stride, padding (ints, pairs, 'same' with odd and even kernels, 'valid'),
/// dilation, groups, depthwise, 1x1, non-square kernels, no bias.
/// </summary>
[TestFixture]
public sealed class ConvParityTests
{
    private static IEnumerable<TestCaseData> Cases() => ConvReference.Cases("conv2d", "conv1d");

    [TestCaseSource(nameof(Cases))]
    public void MatchesPyTorch(JsonElement c)
    {
        JsonElement a = c.GetProperty("args");
        bool is1d = c.GetProperty("op").GetString() == "conv1d";
        ConvReference.AssertMatchesPyTorch(c, v => is1d
            ? Functional.Conv1d(v[0]!, v[1]!, v[2], a.GetProperty("stride").GetInt32(), ConvReference.Padding(a.GetProperty("padding")),
                a.GetProperty("dilation").GetInt32(), a.GetProperty("groups").GetInt32())
            : Functional.Conv2d(v[0]!, v[1]!, v[2], ConvReference.Pair(a.GetProperty("stride")), ConvReference.Padding(a.GetProperty("padding")),
                ConvReference.Pair(a.GetProperty("dilation")), a.GetProperty("groups").GetInt32()));
    }
}
