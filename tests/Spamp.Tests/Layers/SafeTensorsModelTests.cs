using System.Text.Json;
using Spamp.Layers;

namespace Spamp.Tests.Layers;

/// <summary>
/// Interoperability with PyTorch: state dicts PyTorch wrote as safetensors (tests/reference/generate_layers.py)
/// load into the same Spamp models, which then reproduce PyTorch's outputs within 1e-5.
/// </summary>
[TestFixture]
public class SafeTensorsModelTests
{
    private static string Reference(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "reference", name);

    private static (Tensor Input, double[] Output) Case(string model)
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Reference("models.json")));
        JsonElement c = json.RootElement.GetProperty(model);
        float[] input = [.. c.GetProperty("input").GetProperty("data").EnumerateArray().Select(e => e.GetSingle())];
        int[] shape = [.. c.GetProperty("input").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];
        double[] output = [.. c.GetProperty("output").GetProperty("data").EnumerateArray().Select(e => e.GetDouble())];
        return (Tensor.From<float>(input, shape), output);
    }

    private static void AssertClose(double[] actual, double[] expected)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length));
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.That(Math.Abs(actual[i] - expected[i]), Is.LessThanOrEqualTo(1e-5 * Math.Max(Math.Abs(expected[i]), 0.01 * scale)), $"element {i}");
        }
    }

    [Test]
    public void SmallCnnFromPyTorchSafeTensorsReproducesItsOutput()
    {
        using var model = new Sequential(new Conv2d(1, 4, 3, padding: 1), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(4 * 4 * 4, 5));
        model.LoadSafeTensors(Reference("small_cnn.safetensors"), strict: true);
        model.Eval();
        var (input, expected) = Case("small_cnn");
        using (input)
        using (Autograd.NoGrad())
        {
            AssertClose(model.Forward(new Variable(input.Alias())).Data.ToDoubleArray(), expected);
        }
    }

    [Test]
    public void TransformerBlockFromPyTorchSafeTensorsReproducesItsOutput()
    {
        using var block = new TransformerEncoderLayer(16, 2, dimFeedforward: 32, dropout: 0, normFirst: true);
        block.LoadSafeTensors(Reference("transformer_block.safetensors"), strict: true);
        block.Eval();
        var (input, expected) = Case("transformer_block");
        using (input)
        using (Autograd.NoGrad())
        {
            AssertClose(block.Forward(new Variable(input.Alias())).Data.ToDoubleArray(), expected);
        }
    }
}
