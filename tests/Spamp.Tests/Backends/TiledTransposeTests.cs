namespace Spamp.Tests.Backends;

/// <summary>The tiled path of Copy for views whose two innermost dimensions are swapped.</summary>
[TestFixture]
public class TiledTransposeTests
{
    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    [TestCase(DType.Float16)]
    [TestCase(DType.Bool)]
    [TestCase(DType.Int64)]
    public void TransposedViewsCopyToTheSameValuesAsAnElementLoop(DType dtype)
    {
        foreach (int[] shape in new[] { new[] { 70, 45 }, new[] { 3, 33, 97 }, new[] { 2, 2, 64, 32 } })
        {
            int n = shape.Aggregate(1, (a, b) => a * b);
            using Tensor uniform = Tensor.Rand([n], DType.Float64, generator: new Generator(3));
            using Tensor scaled = uniform * 1000.0;
            using Tensor typed = dtype == DType.Bool ? uniform.Gt(0.5) : scaled.To(dtype);
            using Tensor x = typed.Reshape(shape);
            using Tensor t = x.Transpose(-1, -2);
            using Tensor copy = t.Contiguous();
            double[] got = copy.ToDoubleArray();
            double[] source = x.ToDoubleArray();
            int rows = shape[^2], cols = shape[^1];
            int planes = n / (rows * cols);
            for (int p = 0; p < planes; p++)
            {
                for (int c = 0; c < cols; c++)
                {
                    for (int r = 0; r < rows; r++)
                    {
                        Assert.That(got[(p * rows * cols) + (c * rows) + r], Is.EqualTo(source[(p * rows * cols) + (r * cols) + c]),
                            $"{dtype} shape {Shape.Format(shape)} plane {p} ({c},{r})");
                    }
                }
            }
        }
    }
}
