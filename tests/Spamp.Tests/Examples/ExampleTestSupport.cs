using Spamp.Data;
using Spamp.Layers;

namespace Spamp.Tests.Examples;

/// <summary>A tiny classification problem that trains in milliseconds.</summary>
internal static class ExampleTestSupport
{
    /// <summary>
    /// 256 points in 8 dimensions; the class (of 3) is which of three fixed directions the point is most
    /// aligned with, so a small MLP can learn it.
    /// </summary>
    public static TensorDataset Blobs(ulong seed = 1, int count = 256)
    {
        var generator = new Generator(seed);
        Tensor x = Tensor.Randn([count, 8], generator: generator);
        float[] values = x.ToArray<float>();
        long[] labels = new long[count];
        for (int i = 0; i < count; i++)
        {
            float a = values[(i * 8) + 0] + values[(i * 8) + 1], b = values[(i * 8) + 2] - values[(i * 8) + 3], c = values[(i * 8) + 4];
            labels[i] = a >= b && a >= c ? 0 : b >= c ? 1 : 2;
        }

        return new TensorDataset(TensorScope.Detach(x), Tensor.From(labels, count));
    }

    /// <summary>An MLP 8-16-3 whose initial weights depend only on <paramref name="seed"/>.</summary>
    public static Sequential Mlp(ulong seed)
    {
        var generator = new Generator(seed);
        return new Sequential(new Linear(8, 16, generator: generator), new ReLU(), new Linear(16, 3, generator: generator));
    }

    /// <summary>A fresh empty directory under the test's temporary path.</summary>
    public static string TempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "spamp-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
