using NUnit.Framework;
using Spamp.Backends;
using Spamp.Examples;
using Spamp.Layers;
using Spamp.Optim;

namespace Spamp.Tests.Optim;

/// <summary>
/// A whole training step on OpenCL (forward, backward, AdamW with SPAMP shaping) of a small MLP with an
/// MSE loss, every op native on the device: from the second step on it never waits for the device
/// (<see cref="Backend.Synchronizations"/> does not move), and after five steps the parameters are the
/// CPU's. The loss is only read after the loop, as a training loop that logs every few steps would.
/// </summary>
public sealed class DeviceTrainingStepTests
{
    private const int Steps = 5;

    [OneTimeSetUp]
    public void FindDevice()
    {
        if (!Device.IsAvailable(DeviceKind.OpenCl, out string reason))
        {
            Assert.Ignore($"no OpenCL device: {reason}");
        }
    }

    [Test]
    public void AnMlpStepWithSpampNeverWaitsForTheDeviceAndMatchesTheCpu([Values("spamp", "clip")] string method)
    {
        Device gpu = Device.OpenCl(0);
        Backend backend = BackendRegistry.For(gpu);
        Sequential cpuModel = Mlp(), gpuModel = Mlp();
        gpuModel.To(gpu);
        Optimizer cpuOptimizer = MethodFactory.Create(method, cpuModel.Parameters(), 3e-2, 0.01, 20);
        Optimizer gpuOptimizer = MethodFactory.Create(method, gpuModel.Parameters(), 3e-2, 0.01, 20);
        var losses = new List<Tensor>();
        long waits = 0;
        for (int step = 1; step <= Steps; step++)
        {
            TrainStep(cpuModel, cpuOptimizer, Device.Cpu).Dispose();
            long before = backend.Synchronizations;
            losses.Add(TrainStep(gpuModel, gpuOptimizer, gpu));
            long after = backend.Synchronizations;
            Assert.That(gpuOptimizer.LastStepOnDevice, Is.True, $"step {step} stayed on the device");
            if (step >= 2)
            {
                waits += after - before;
            }
        }

        Assert.That(waits, Is.Zero, "steps 2..5 (forward, backward, optimizer) never waited for the device");
        foreach (var ((name, c), (_, g)) in cpuModel.NamedParameters().Zip(gpuModel.NamedParameters()))
        {
            double[] expected = c.Data.ToDoubleArray(), actual = g.Data.ToDoubleArray();
            for (int i = 0; i < expected.Length; i++)
            {
                // Float32 GEMMs summed in different orders on the two devices, then five Adam steps.
                Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-5 + (1e-4 * Math.Abs(expected[i]))), $"{name}[{i}]");
            }
        }

        Assert.That(losses[^1].ToDoubleArray()[0], Is.LessThan(losses[0].ToDoubleArray()[0]), "the model fits the batch");
        foreach (Tensor loss in losses)
        {
            loss.Dispose();
        }
    }

    /// <summary>Linear(8, 32), ReLU, Linear(32, 4), initialised from one seed.</summary>
    private static Sequential Mlp()
    {
        var generator = new Generator(7);
        return new Sequential(new Linear(8, 32, generator: generator), new ReLU(), new Linear(32, 4, generator: generator));
    }

    /// <summary>One step on the same batch (uploaded every step, as a data loader's); returns the loss, still on the device.</summary>
    private static Tensor TrainStep(Sequential model, Optimizer optimizer, Device device)
    {
        using var scope = TensorScope.Begin();
        float[] inputs = OptimTestSupport.RandomFloats(16 * 8, 1000), targets = OptimTestSupport.RandomFloats(16 * 4, 2000);
        using Tensor hostX = Tensor.From(inputs, [16, 8]), hostY = Tensor.From(targets, [16, 4]);
        var x = new Variable(hostX.To(device));
        var y = new Variable(hostY.To(device));
        optimizer.ZeroGrad();
        Variable loss = Functional.MseLoss(model.Forward(x), y);
        loss.Backward();
        optimizer.Step();
        return scope.Keep(loss.Data.Alias());
    }
}
