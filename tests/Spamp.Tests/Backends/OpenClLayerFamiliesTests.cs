using Spamp.Layers;

namespace Spamp.Tests.Backends;

/// <summary>
/// The layer-era primitives (conv, pooling, batch and layer norm, fused cross-entropy, attention)
/// on an OpenCL device: a small model's forward and backward there must equal the CPU's.
/// </summary>
[TestFixture]
public class OpenClLayerFamiliesTests
{
    [Test]
    public void ASmallConvAttentionModelTrainsIdenticallyOnOpenClAndCpu()
    {
        Assume.That(Device.IsAvailable(DeviceKind.OpenCl, out string reason), Is.True, reason);
        Device opencl = Device.OpenCl();
        var (cpuLoss, cpuGrads) = Run(Device.Cpu);
        var (clLoss, clGrads) = Run(opencl);
        Assert.That(clLoss, Is.EqualTo(cpuLoss).Within(1e-5).Percent);
        Assert.That(clGrads, Has.Length.EqualTo(cpuGrads.Length));
        for (int i = 0; i < cpuGrads.Length; i++)
        {
            // At least 1e-2: the conv bias feeds batch norm, so its exact gradient is 0 and each backend returns rounding noise (~1e-8).
            double scale = Math.Max(cpuGrads[i].Max(Math.Abs), 1e-2);
            for (int e = 0; e < cpuGrads[i].Length; e++)
            {
                Assert.That(Math.Abs(clGrads[i][e] - cpuGrads[i][e]) / scale, Is.LessThan(1e-5), $"parameter {i} element {e}");
            }
        }
    }

    private static (double Loss, double[][] Grads) Run(Device device)
    {
        using var scope = TensorScope.Begin();
        var generator = new Generator(5);
        using var conv = new Conv2d(1, 4, 3, padding: 1, generator: generator);
        using var norm = new BatchNorm2d(4);
        using var layerNorm = new LayerNorm(16);
        conv.To(device);
        norm.To(device);
        layerNorm.To(device);
        using Tensor hostImages = Tensor.Randn([2, 1, 8, 8], generator: generator);
        using Tensor images = hostImages.To(device);
        using Tensor hostTargets = Tensor.From(new long[] { 3, 1, 0, 2, 1, 3, 2, 0 });
        using Tensor targets = hostTargets.To(device);

        Variable x = norm.Forward(conv.Forward(new Variable(images))).Relu();
        x = Functional.MaxPool2d(x, 2);                                  // [2, 4, 4, 4]
        Variable tokens = x.Reshape(2, 4, 16);                           // [B, T=4, C=16]
        tokens = layerNorm.Forward(tokens);
        Variable heads = tokens.Reshape(2, 4, 2, 8).Permute(0, 2, 1, 3); // [B, H=2, T, D=8]
        Variable attended = Variable.ScaledDotProductAttention(heads, heads, heads, isCausal: true);
        Variable logits = attended.Permute(0, 2, 1, 3).Reshape(8, 16).Narrow(1, 0, 4);
        Variable loss = Functional.CrossEntropy(logits, targets);
        loss.Backward();
        double value = loss.Data.ItemAsDouble();
        double[][] grads = [.. conv.Parameters().Concat(norm.Parameters()).Concat(layerNorm.Parameters()).Select(p => p.Grad!.ToDoubleArray())];
        return (value, grads);
    }
}
