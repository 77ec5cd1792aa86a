using NUnit.Framework;
using Spamp.Examples;
using Spamp.Optim;
using static Spamp.Tests.Optim.OptimTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>
/// Every method of the SPAMP comparison (<see cref="MethodFactory.Names"/>) and every optimizer,
/// run for a few steps on the OpenCL device and on the CPU from the same parameters and gradients:
/// the parameters must agree within float32 rounding after every step. The gradients include a
/// spike, so the clipping, shaping and projection branches run, not only their pass-through. Each
/// runs twice on the device: with device-resident steps where the method has them (the default), and
/// on the host path (<see cref="Optimizer.DeviceResidentStep"/> off), which every method has.
/// </summary>
public sealed class GpuOptimizerParityTests
{
    private const int Steps = 6;
    private const int SpikeStep = 4;

    // Float32 kernels on both sides in the same order of operations; pow, sqrt and the reductions
    // (double, different summation order) round differently, and Adam's normalisation carries that
    // into the update, so a few ulp per step accumulate.
    private const double Relative = 3e-5;
    private const double Absolute = 3e-6;

    private static readonly (string Name, int[] Shape, string Layer)[] Tensors =
    [
        ("weight", [24, 16], "fc1"),
        ("bias", [24], "fc1"),
        ("weight", [7, 300], "head"),
    ];

    [OneTimeSetUp]
    public void FindDevice()
    {
        if (!Device.IsAvailable(DeviceKind.OpenCl, out string reason))
        {
            Assert.Ignore($"no OpenCL device: {reason}");
        }
    }

    public static IEnumerable<string> Methods() => MethodFactory.Names;

    [Test]
    public void MethodMatchesTheCpu([ValueSource(nameof(Methods))] string method, [Values] bool resident) =>
        AssertSameTrajectory(p => MethodFactory.Create(method, p, lr: 1e-2, weightDecay: 0.01, totalSteps: 20), resident, method);

    public static IEnumerable<TestCaseData> Optimizers()
    {
        yield return Case("adam-l2-amsgrad", p => new Adam(p, 1e-2, weightDecay: 0.05, amsgrad: true));
        yield return Case("adamw-maximize", p => new AdamW(p, 1e-2, maximize: true));
        yield return Case("sgd", p => new Sgd(p, 0.05));
        yield return Case("sgd-nesterov", p => new Sgd(p, 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true));
        yield return Case("sgd-dampened", p => new Sgd(p, 0.05, momentum: 0.9, dampening: 0.3));
        yield return Case("lion", p => new Lion(p, 1e-3, weightDecay: 0.1));
        yield return Case("muon", p => new Muon(p, adamLr: 1e-2));
        yield return Case("chain-adamw", p => Optimizer.Chain(p, 1e-2, new ScaleByAdam(), new AddDecayedWeights(0.01), new ScaleByLearningRate()));
        yield return Case("chain-momentum", p => Optimizer.Chain(p, 0.05, new TraceMomentum(0.9, nesterov: true), new ScaleByLearningRate()));
        yield return Case("clip-value", p => new AdamW(p, 1e-2, shaping: new ClipGradValue(0.5)));
        yield return Case("clip-per-layer", p => new AdamW(p, 1e-2, shaping: new ClipGradNormPerLayer(0.5)));
        yield return Case("clip-inf-norm", p => new AdamW(p, 1e-2, shaping: new ClipGradNorm(0.5, double.PositiveInfinity)));
        yield return Case("clip-p3-norm", p => new AdamW(p, 1e-2, shaping: new ClipGradNorm(0.5, 3)));
        yield return Case("spamp-update-clipping", p => new AdamW(p, 1e-2, shaping: new SpampShaping { UpdateClipping = true }));
        yield return Case("spamp-rms-per-module", p => new AdamW(p, 1e-2, shaping: new SpampShaping { ShapeMode = SpampShapeMode.Rms }) { Grouping = LayerGrouping.PerModule });
        yield return Case("spamp-global-raw", p => new AdamW(p, 1e-2, shaping: new SpampShaping { Global = true, ShapeMode = SpampShapeMode.Raw }));
        yield return Case("shrink-ema-softclip", p => new AdamW(p, 1e-2, shaping: new EntryShrink { Scale = ShrinkScale.EmaMad, Function = Spamp.Backends.ShrinkFunction.SoftClip, SampleCap = 100 }));
        yield return Case("gradnorm-normalize", p => new AdamW(p, 1e-2, shaping: new GradNormScaling(mode: GradNormMode.NormalizeGradient)));
        yield return Case("apply-if-finite", p => new AdamW(p, 1e-2, shaping: new ApplyIfFinite(new ClipGradNorm(0.5))));

        static TestCaseData Case(string name, Func<Parameter[], Optimizer> create) => new TestCaseData(create).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(Optimizers))]
    public void OptimizerMatchesTheCpu(Func<Parameter[], Optimizer> create)
    {
        AssertSameTrajectory(create, resident: true, TestContext.CurrentContext.Test.Name);
        AssertSameTrajectory(create, resident: false, TestContext.CurrentContext.Test.Name);
    }

    [Test]
    public void StateIsAllocatedOnTheParametersDevice()
    {
        Parameter[] gpu = Parameters(Device.OpenCl(0));
        var optimizer = new AdamW(gpu, shaping: new SpampShaping());
        SetGradients(gpu, 1);
        optimizer.Step();
        foreach (ParameterState state in optimizer.States)
        {
            Assert.That(state.Buffers.Values.Select(b => b.Device), Is.All.EqualTo(Device.OpenCl(0)), state.Parameter.FullName);
        }

        // A state dict saved from the device and loaded after the parameters moved to the CPU resumes there.
        StateDict saved = optimizer.StateDict();
        foreach (Parameter p in gpu)
        {
            p.MoveTo(Device.Cpu);
        }

        optimizer.LoadStateDict(saved);
        Assert.That(optimizer.States.SelectMany(s => s.Buffers.Values).Select(b => b.Device), Is.All.EqualTo(Device.Cpu));
        SetGradients(gpu, 2);
        Assert.DoesNotThrow(() => optimizer.Step());
    }

    /// <summary>Runs <paramref name="create"/>'s optimizer on both devices and compares the parameters after every step.</summary>
    private static void AssertSameTrajectory(Func<Parameter[], Optimizer> create, bool resident, string what)
    {
        Parameter[] cpu = Parameters(Device.Cpu), gpu = Parameters(Device.OpenCl(0));
        Optimizer onCpu = create(cpu), onGpu = create(gpu);
        onGpu.DeviceResidentStep = resident;
        what += resident ? " (device-resident where possible)" : " (host path)";
        for (int step = 1; step <= Steps; step++)
        {
            SetGradients(cpu, step);
            SetGradients(gpu, step);
            onCpu.Step();
            onGpu.Step();
            Assert.That(onCpu.LastStepOnDevice, Is.False, "the CPU is the host path");
            if (!resident)
            {
                Assert.That(onGpu.LastStepOnDevice, Is.False, what);
            }

            for (int j = 0; j < cpu.Length; j++)
            {
                AssertNear(Values(cpu[j]), Values(gpu[j]), $"{what}: {cpu[j].FullName} after step {step}");
            }
        }

        Assert.That(onGpu.StepCount, Is.EqualTo(onCpu.StepCount), "steps taken");
        Assert.That(onGpu.States.Select(s => s.Step), Is.EqualTo(onCpu.States.Select(s => s.Step)), "updates per parameter");
    }

    private static void AssertNear(double[] expected, double[] actual, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(Absolute + (Relative * Math.Abs(expected[i]))), $"{what} [{i}]");
        }
    }

    /// <summary>The same float32 starting values on <paramref name="device"/>.</summary>
    internal static Parameter[] Parameters(Device device)
    {
        var result = new Parameter[Tensors.Length];
        for (int j = 0; j < Tensors.Length; j++)
        {
            var (name, shape, layer) = Tensors[j];
            using Tensor host = Tensor.From(RandomFloats(shape.Aggregate(1, (a, b) => a * b), 100 + j, 0.5), shape);
            result[j] = new Parameter(host.To(device), name, layer);
        }

        return result;
    }

    /// <summary>Deterministic gradients of step <paramref name="step"/>, 30 times larger at the spike.</summary>
    internal static void SetGradients(Parameter[] parameters, int step)
    {
        for (int j = 0; j < parameters.Length; j++)
        {
            Parameter p = parameters[j];
            p.Grad?.Dispose();
            using Tensor host = Tensor.From(RandomFloats(p.Numel, (step * 31) + j, step == SpikeStep ? 30 : 1), p.Shape.ToArray());
            p.Grad = TensorScope.Detach(host.To(p.Device));
        }
    }
}
