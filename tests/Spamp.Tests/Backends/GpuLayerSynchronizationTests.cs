using NUnit.Framework;
using Spamp.Layers;

namespace Spamp.Tests.Backends;

/// <summary>
/// The layer kernels on a GPU device never wait for it: a forward and backward through convolution
/// (grouped and strided with a bias, plain without: a bias before batch norm has no gradient), batch norm in training, max, average and adaptive
/// pooling and group norm leaves <see cref="Backends.Backend.Synchronizations"/> unchanged; only
/// reading a result back counts. The same computation on the CPU gives the same loss, gradients and
/// running statistics (to 1e-5 of each tensor's largest magnitude).
/// </summary>
public sealed class GpuLayerSynchronizationTests
{
    [Test]
    public void AConvolutionalForwardAndBackwardNeverWaitsAndMatchesTheCpu()
    {
        Assume.That(Device.IsAvailable(DeviceKind.OpenCl, out string reason), Is.True, reason);
        Device opencl = Device.OpenCl();
        var backend = BackendRegistry.For(opencl);

        double[][] cpu = Run(Device.Cpu, null);
        long before = backend.Synchronizations;
        double[][] gpu = Run(opencl, () => Assert.That(backend.Synchronizations, Is.EqualTo(before), "the forward and backward waited for the device"));
        Assert.That(backend.Synchronizations, Is.GreaterThan(before), "reading the results back waits");

        Assert.That(gpu, Has.Length.EqualTo(cpu.Length));
        for (int i = 0; i < cpu.Length; i++)
        {
            double scale = cpu[i].Max(Math.Abs);
            BackendTestSupport.AssertClose(gpu[i], cpu[i], 1e-5, 1e-5 * scale, $"result {i}");
        }
    }

    /// <summary>The loss, then every gradient, then the running statistics; <paramref name="beforeReadback"/> runs between the backward and the first read.</summary>
    private static double[][] Run(Device device, Action? beforeReadback)
    {
        using var scope = TensorScope.Begin();
        var generator = new Generator(11);
        Variable Parameter(params int[] shape) => new(Tensor.Randn(new Shape(shape), generator: generator).To(device), requiresGrad: true);

        Tensor images = Tensor.Randn(new Shape(2, 3, 9, 9), generator: generator).To(device);
        Variable w1 = Parameter(6, 3, 3, 3), gamma = Parameter(6), beta = Parameter(6);
        Variable w2 = Parameter(6, 2, 3, 3), b2 = Parameter(6), groupWeight = Parameter(6), groupBias = Parameter(6);
        Tensor runningMean = Tensor.Zeros(new Shape(6)).To(device), runningVar = Tensor.Ones(new Shape(6)).To(device);

        Variable x = Functional.Conv2d(new Variable(images), w1, padding: 1);                       // [2, 6, 9, 9]
        x = Functional.BatchNorm(x, runningMean, runningVar, gamma, beta, training: true).Relu();
        x = Functional.MaxPool2d(x, 3, stride: 2, padding: 1);                                      // [2, 6, 5, 5]
        x = Functional.Conv2d(x, w2, b2, stride: 2, padding: 1, groups: 3).Relu();                  // [2, 6, 3, 3]
        x = Functional.GroupNorm(x, 3, groupWeight, groupBias);
        x = Functional.AvgPool2d(x, 3, stride: 1, padding: 1, countIncludePad: false);
        x = Functional.AdaptiveAvgPool2d(x, (2, 1));
        Variable loss = x.Square().Sum();
        loss.Backward();

        beforeReadback?.Invoke();
        Variable[] parameters = [w1, gamma, beta, w2, b2, groupWeight, groupBias];
        return [[loss.Data.ItemAsDouble()], .. parameters.Select(p => p.Grad!.ToDoubleArray()), runningMean.ToDoubleArray(), runningVar.ToDoubleArray()];
    }
}
