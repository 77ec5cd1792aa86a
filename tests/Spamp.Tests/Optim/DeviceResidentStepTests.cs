using NUnit.Framework;
using Spamp.Backends;
using Spamp.Backends.Kernels;
using Spamp.Examples;
using Spamp.Optim;
using static Spamp.Tests.Optim.GpuOptimizerParityTests;
using static Spamp.Tests.Optim.OptimTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>
/// The device-resident step on OpenCL: which configurations stay on the device, that their steps
/// never wait for the device, that they match the CPU step for step (with a spike, a non-finite
/// step and a schedule), and that every host copy of device-held state (counters, SPAMP's thresholds,
/// the clip norm, the state dict) is right when it is read.
/// </summary>
public sealed class DeviceResidentStepTests
{
    private const double Relative = 3e-5;
    private const double Absolute = 3e-6;

    [OneTimeSetUp]
    public void FindDevice()
    {
        if (!Device.IsAvailable(DeviceKind.OpenCl, out string reason))
        {
            Assert.Ignore($"no OpenCL device: {reason}");
        }
    }

    private static Backend Gpu => BackendRegistry.For(Device.OpenCl(0));

    public static IEnumerable<TestCaseData> ResidentConfigurations()
    {
        yield return Case("spamp", p => MethodFactory.Create("spamp", p, 1e-2, 0.01, 20));
        yield return Case("clip", p => MethodFactory.Create("clip", p, 1e-2, 0.01, 20));
        yield return Case("warmup-clip", p => MethodFactory.Create("warmup-clip", p, 1e-2, 0.01, 20));
        yield return Case("none", p => MethodFactory.Create("none", p, 1e-2, 0.01, 20));
        yield return Case("adam-amsgrad-l2", p => new Adam(p, 1e-2, weightDecay: 0.05, amsgrad: true, shaping: new SpampShaping()));
        yield return Case("spamp-rms-per-module", p => new AdamW(p, 1e-2, shaping: new SpampShaping { ShapeMode = SpampShapeMode.Rms }) { Grouping = LayerGrouping.PerModule });
        yield return Case("spamp-global-raw", p => new AdamW(p, 1e-2, shaping: new SpampShaping { Global = true, ShapeMode = SpampShapeMode.Raw }));
        yield return Case("spamp-first-norm-clipped-ema", p => new AdamW(p, 1e-2, shaping: new SpampShaping { TauInit = SpampTauInit.FirstNorm, TauUsesClippedNorm = true, ClipMargin = 1.2 }));
        yield return Case("spamp-zero-init", p => new AdamW(p, 1e-2, shaping: new SpampShaping { TauInit = SpampTauInit.Zero }));
        yield return Case("spamp-fixed-tau", p => new AdamW(p, 1e-2, shaping: SpampShaping.Preset(SpampAblation.FixedTau, 2.0)));
        yield return Case("spamp-no-ema", p => new AdamW(p, 1e-2, shaping: SpampShaping.Preset(SpampAblation.NoEma)));
        yield return Case("spamp-no-power", p => new AdamW(p, 1e-2, shaping: SpampShaping.Preset(SpampAblation.NoPowerShaping)));
        yield return Case("clip-then-spamp", p => new Optimizer(p, 1e-2, 0.01, new AdamRule(decoupledWeightDecay: true), [new ClipGradNorm(3.0), new SpampShaping()]));
        yield return Case("sgd", p => new Sgd(p, 0.05));
        yield return Case("sgd-nesterov-clip", p => new Sgd(p, 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true, shaping: new ClipGradNorm(1.0)));
        yield return Case("sgd-dampened-spamp", p => new Sgd(p, 0.05, momentum: 0.9, dampening: 0.3, shaping: new SpampShaping()));

        static TestCaseData Case(string name, Func<Parameter[], Optimizer> create) => new TestCaseData(create).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(ResidentConfigurations))]
    public void StepsStayOnTheDeviceWithoutWaitingAndMatchTheCpu(Func<Parameter[], Optimizer> create)
    {
        Parameter[] cpu = Parameters(Device.Cpu), gpu = Parameters(Device.OpenCl(0));
        Optimizer onCpu = create(cpu), onGpu = create(gpu);
        long waits = 0;
        for (int step = 1; step <= 6; step++)
        {
            SetGradients(cpu, step);
            onCpu.Step();
            long before = Gpu.Synchronizations;
            SetGradients(gpu, step);
            onGpu.Step();
            if (step > 1)
            {
                // The first step lays the state out and uploads it; every later one is only queued work.
                waits += Gpu.Synchronizations - before;
            }

            Assert.That(onGpu.LastStepOnDevice, Is.True, $"step {step} stayed on the device");
        }

        Assert.That(waits, Is.Zero, "steps 2..6 never waited for the device");
        AssertSameParameters(cpu, gpu, "after 6 steps");
        Assert.That(onGpu.StepCount, Is.EqualTo(onCpu.StepCount));
        Assert.That(onGpu.States.Select(s => s.Step), Is.EqualTo(onCpu.States.Select(s => s.Step)));
    }

    [Test]
    public void ANonFiniteStepIsSkippedOnTheDeviceAndTheScheduleStaysExact([Values(NonFinitePolicy.SkipStep, NonFinitePolicy.Propagate)] NonFinitePolicy policy)
    {
        Parameter[] cpu = Parameters(Device.Cpu), gpu = Parameters(Device.OpenCl(0));
        Optimizer Create(Parameter[] p) => new AdamW(p, 1e-2, shaping: new SpampShaping()) { Schedule = new CosineAnnealing(8), NonFinite = policy };
        Optimizer onCpu = Create(cpu), onGpu = Create(gpu);
        for (int step = 1; step <= 6; step++)
        {
            SetGradients(cpu, step);
            SetGradients(gpu, step);
            if (step is 3 or 4)
            {
                // A NaN in one tensor of steps 3 and 4: skipped (twice in a row), or propagated into the parameters.
                Poison(cpu[1]);
                Poison(gpu[1]);
            }

            long before = Gpu.Synchronizations;
            onGpu.Step();
            Assert.That(Gpu.Synchronizations - before, Is.Zero, $"step {step} did not wait");
            onCpu.Step();
            AssertSameParameters(cpu, gpu, $"{policy}, after step {step}");
        }

        Assert.That(onGpu.SkippedSteps, Is.EqualTo(onCpu.SkippedSteps));
        Assert.That(onGpu.SkippedSteps, Is.EqualTo(policy == NonFinitePolicy.SkipStep ? 2 : 0));
        Assert.That(onGpu.StepCount, Is.EqualTo(onCpu.StepCount));
        Assert.That(onGpu.States.Select(s => s.Step), Is.EqualTo(onCpu.States.Select(s => s.Step)));
    }

    [Test]
    public void WithAScheduleTheCountersAreReadOnceEveryRingOfSteps([Values] bool scheduled)
    {
        // One small tensor, so a thousand steps stay quick; a skipped step early makes the device's count
        // differ from the host's guess for the rest of the run, so every lr comes from the ring.
        int steps = DeviceStep.RingSize + 6;
        using Tensor start = Tensor.From(RandomFloats(16, 3), [16]);
        var cpu = new Parameter(start.Clone(), "w");
        var gpu = new Parameter(start.To(Device.OpenCl(0)), "w");
        Optimizer Create(Parameter p) => new AdamW([p], 1e-2, shaping: new SpampShaping()) { Schedule = scheduled ? new CosineAnnealing(steps + 10) : null };
        Optimizer onCpu = Create(cpu), onGpu = Create(gpu);
        long waits = 0;
        for (int step = 1; step <= steps; step++)
        {
            float[] values = RandomFloats(16, step);
            if (step == 5)
            {
                values[3] = float.NaN;
            }

            SetGradient(cpu, values);
            long before = Gpu.Synchronizations;
            SetGradient(gpu, values);
            onGpu.Step();
            waits += step > 1 ? Gpu.Synchronizations - before : 0;
            onCpu.Step();
        }

        Assert.That(waits, Is.EqualTo(scheduled ? 1 : 0), "one read per ring of steps, and only when a schedule makes the entries differ");
        AssertSameParameters([cpu], [gpu], $"after {steps} steps");
        Assert.That((onGpu.StepCount, onGpu.SkippedSteps), Is.EqualTo((onCpu.StepCount, onCpu.SkippedSteps)));
    }

    [Test]
    public void ASkippedStepZeroesTheGradientsOnTheDevice()
    {
        Parameter[] gpu = Parameters(Device.OpenCl(0));
        var optimizer = new AdamW(gpu, 1e-2, shaping: new SpampShaping());
        double[] before = Values(gpu[0]);
        SetGradients(gpu, 1);
        Poison(gpu[2]);
        optimizer.Step();
        Assert.That(optimizer.LastStepOnDevice, Is.True);
        Assert.That(Values(gpu[0]), Is.EqualTo(before), "no update");
        Assert.That(gpu.SelectMany(p => p.Grad!.ToDoubleArray()), Is.All.EqualTo(0.0), "the host path drops the gradients; the device zeroes them");
        Assert.That(optimizer.SkippedSteps, Is.EqualTo(1));
        Assert.That(optimizer.StepCount, Is.Zero);
    }

    [Test]
    public void HostCopiesAreReadOnceWhenAsked()
    {
        Parameter[] cpu = Parameters(Device.Cpu), gpu = Parameters(Device.OpenCl(0));
        var cpuSpamp = new SpampShaping();
        var gpuSpamp = new SpampShaping();
        var cpuClip = new ClipGradNorm(2.0);
        var gpuClip = new ClipGradNorm(2.0);
        Optimizer onCpu = new(cpu, 1e-2, 0.01, new AdamRule(decoupledWeightDecay: true), [cpuClip, cpuSpamp]);
        Optimizer onGpu = new(gpu, 1e-2, 0.01, new AdamRule(decoupledWeightDecay: true), [gpuClip, gpuSpamp]);
        for (int step = 1; step <= 5; step++)
        {
            SetGradients(cpu, step);
            SetGradients(gpu, step);
            onCpu.Step();
            onGpu.Step();
        }

        long before = Gpu.Synchronizations;
        double tau = gpuSpamp.TauOf("head.weight");
        Assert.That(Gpu.Synchronizations - before, Is.EqualTo(1), "the first host read reads the device's state once");
        Assert.That(gpuClip.LastTotalNorm, Is.EqualTo(cpuClip.LastTotalNorm).Within(1e-5 * cpuClip.LastTotalNorm));
        Assert.That(onGpu.StepCount, Is.EqualTo(5));
        Assert.That(Gpu.Synchronizations - before, Is.EqualTo(1), "later reads find the host copies current");
        Assert.That(tau, Is.EqualTo(cpuSpamp.TauOf("head.weight")).Within(1e-5 * tau));
        foreach (Parameter p in cpu)
        {
            Assert.That(gpuSpamp.TauOf(p.FullName), Is.EqualTo(cpuSpamp.TauOf(p.FullName)).Within(1e-5 * cpuSpamp.TauOf(p.FullName)), p.FullName);
        }

        StateDict cpuState = onCpu.StateDict(), gpuState = onGpu.StateDict();
        Assert.That(gpuState.Keys.Order(), Is.EqualTo(cpuState.Keys.Order()));
        foreach (var (key, value) in cpuState)
        {
            if (value is double d)
            {
                Assert.That((double)gpuState[key], Is.EqualTo(d).Within(1e-5 * Math.Abs(d)), key);
            }
            else if (value is long l)
            {
                Assert.That(gpuState[key], Is.EqualTo(l), key);
            }
        }
    }

    [Test]
    public void StateLoadedOrChangedOnTheHostIsUploadedBeforeTheNextResidentStep()
    {
        Parameter[] cpu = Parameters(Device.Cpu), gpu = Parameters(Device.OpenCl(0));
        Optimizer Create(Parameter[] p) => new AdamW(p, 1e-2, shaping: new SpampShaping()) { Schedule = new CosineAnnealing(10) };
        Optimizer onCpu = Create(cpu), onGpu = Create(gpu);
        for (int step = 1; step <= 3; step++)
        {
            SetGradients(cpu, step);
            onCpu.Step();
        }

        // Resume the CPU run on the device from its state dict, then alternate the paths.
        for (int j = 0; j < cpu.Length; j++)
        {
            using Tensor copy = cpu[j].Data.To(Device.OpenCl(0));
            gpu[j].Data.CopyFrom(copy);
        }

        onGpu.LoadStateDict(onCpu.StateDict());
        for (int step = 4; step <= 9; step++)
        {
            onGpu.DeviceResidentStep = step is not (6 or 7);
            SetGradients(cpu, step);
            SetGradients(gpu, step);
            onCpu.Step();
            onGpu.Step();
            Assert.That(onGpu.LastStepOnDevice, Is.EqualTo(onGpu.DeviceResidentStep));
            AssertSameParameters(cpu, gpu, $"after step {step}");
        }

        Assert.That(onGpu.StepCount, Is.EqualTo(9));
    }

    [Test]
    public void AChangedSetOfGradientsLaysTheStateOutAgain()
    {
        Parameter[] cpu = Parameters(Device.Cpu), gpu = Parameters(Device.OpenCl(0));
        Optimizer onCpu = new Sgd(cpu, 0.05, momentum: 0.9, shaping: new SpampShaping()), onGpu = new Sgd(gpu, 0.05, momentum: 0.9, shaping: new SpampShaping());
        for (int step = 1; step <= 5; step++)
        {
            SetGradients(cpu, step);
            SetGradients(gpu, step);
            if (step == 3)
            {
                // The bias gets no gradient this step: it is not in the step, and keeps its state.
                cpu[1].ZeroGrad();
                gpu[1].ZeroGrad();
            }

            onCpu.Step();
            onGpu.Step();
            Assert.That(onGpu.LastStepOnDevice, Is.True);
            AssertSameParameters(cpu, gpu, $"after step {step}");
        }

        Assert.That(onGpu.States.Select(s => s.Step), Is.EqualTo(new long[] { 5, 4, 5 }));
    }

    public static IEnumerable<TestCaseData> ReportingConfigurations()
    {
        yield return Case("spamp", p => MethodFactory.Create("spamp", p, 1e-2, 0.01, 20));
        yield return Case("warmup-clip", p => MethodFactory.Create("warmup-clip", p, 1e-2, 0.01, 20));
        yield return Case("spamp-global-per-module", p => new AdamW(p, 1e-2, shaping: new SpampShaping { Global = true }) { Grouping = LayerGrouping.PerModule });
        yield return Case("clip-then-spamp-sgd", p => new Optimizer(p, 0.05, 0.01, new SgdRule(0.9), [new ClipGradNorm(3.0), new SpampShaping()]));

        static TestCaseData Case(string name, Func<Parameter[], Optimizer> create) => new TestCaseData(create).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(ReportingConfigurations))]
    public void TelemetryIsReadOnceAfterTheStepAndMatchesTheHostPath(Func<Parameter[], Optimizer> create)
    {
        Parameter[] cpu = Parameters(Device.Cpu), gpu = Parameters(Device.OpenCl(0));
        Optimizer onCpu = create(cpu), onGpu = create(gpu);
        onCpu.Telemetry = onGpu.Telemetry = true;
        for (int step = 1; step <= 6; step++)
        {
            SetGradients(cpu, step);
            SetGradients(gpu, step);
            if (step == 3)
            {
                Poison(cpu[2]);
                Poison(gpu[2]);
            }

            StepReport expected = onCpu.Step()!;
            long before = Gpu.Synchronizations;
            StepReport actual = onGpu.Step()!;
            Assert.That(onGpu.LastStepOnDevice, Is.True);
            Assert.That(Gpu.Synchronizations - before, Is.EqualTo(1), "the report is one read after the queued step");
            string what = $"step {step}";
            Assert.That((actual.Step, actual.Skipped), Is.EqualTo((expected.Step, expected.Skipped)), what);
            AssertNear(expected.GlobalNormBefore, actual.GlobalNormBefore, what + " global norm before");
            AssertNear(expected.GlobalNormAfter, actual.GlobalNormAfter, what + " global norm after");
            AssertNear(expected.LearningRate, actual.LearningRate, what + " lr");
            Assert.That(actual.Layers.Select(l => l.Layer), Is.EqualTo(expected.Layers.Select(l => l.Layer)));
            for (int l = 0; l < expected.Layers.Count; l++)
            {
                LayerReport e = expected.Layers[l], a = actual.Layers[l];
                string line = $"{what} {e.Layer}";
                AssertNear(e.NormBefore, a.NormBefore, line + " norm before");
                AssertNear(e.NormAfter, a.NormAfter, line + " norm after");
                AssertNear(e.UpdateMagnitude, a.UpdateMagnitude, line + " update");
                AssertNear(e.Tau ?? double.NaN, a.Tau ?? double.NaN, line + " tau");
                AssertNear(e.Alpha ?? double.NaN, a.Alpha ?? double.NaN, line + " alpha");
                if (step > 1)
                {
                    // At step 1 SPAMP's bias-corrected tau is the norm itself, so whether the projection
                    // fires (by an ulp) depends on the last bit of sums taken in different orders.
                    Assert.That(a.Clipped, Is.EqualTo(e.Clipped), line + " clipped");
                }
            }
        }
    }

    private static void AssertNear(double expected, double actual, string what)
    {
        if (!double.IsFinite(expected))
        {
            Assert.That(actual, Is.EqualTo(expected), what);
            return;
        }

        Assert.That(actual, Is.EqualTo(expected).Within(1e-5 * Math.Abs(expected)), what);
    }

    public static IEnumerable<TestCaseData> HostOnlyConfigurations()
    {
        yield return Case("throw-on-non-finite", p => new AdamW(p, shaping: new SpampShaping()) { NonFinite = NonFinitePolicy.Throw });
        yield return Case("spamp-update-clipping", p => new AdamW(p, shaping: new SpampShaping { UpdateClipping = true }));
        yield return Case("spamp-custom-h", p => new AdamW(p, shaping: new SpampShaping { H = r => 1 / r }));
        yield return Case("clip-inf-norm", p => new AdamW(p, shaping: new ClipGradNorm(1, double.PositiveInfinity)));
        yield return Case("clip-error-if-nonfinite", p => new AdamW(p, shaping: new ClipGradNorm(1, errorIfNonfinite: true)));
        yield return Case("zclip", p => new AdamW(p, shaping: new ZClip()));
        yield return Case("lion", p => new Lion(p));
        yield return Case("spam", p => new Optimizer(p, 1e-3, 0, new SpamRule()));
        yield return Case("opted-out", p => new AdamW(p) { DeviceResidentStep = false });
        yield return Case("layer-hook", p =>
        {
            var optimizer = new AdamW(p);
            optimizer.AddLayerHook((_, _) => { });
            return optimizer;
        });

        static TestCaseData Case(string name, Func<Parameter[], Optimizer> create) => new TestCaseData(create).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(HostOnlyConfigurations))]
    public void ConfigurationsThatNeedHostValuesTakeTheHostPath(Func<Parameter[], Optimizer> create)
    {
        Parameter[] gpu = Parameters(Device.OpenCl(0));
        Optimizer optimizer = create(gpu);
        SetGradients(gpu, 1);
        optimizer.Step();
        Assert.That(optimizer.LastStepOnDevice, Is.False);
    }

    [Test]
    public void ParametersOnTheCpuTakeTheHostPath()
    {
        Parameter[] cpu = Parameters(Device.Cpu);
        var optimizer = new AdamW(cpu, shaping: new SpampShaping());
        SetGradients(cpu, 1);
        optimizer.Step();
        Assert.That(optimizer.LastStepOnDevice, Is.False);
    }

    [Test]
    public void TheKernelsShareSpampsEnumValues()
    {
        // optimizer_step.cl switches on these values; the host passes the enums as integers.
        string source = KernelSource.Resource("optimizer_step.cl");
        foreach (SpampShapeMode mode in Enum.GetValues<SpampShapeMode>())
        {
            Assert.That(source, Does.Contain($"#define SPAMP_SHAPE_{mode} {(int)mode}\n"));
        }

        foreach (SpampTauInit init in Enum.GetValues<SpampTauInit>())
        {
            Assert.That(source, Does.Contain($"#define SPAMP_INIT_{init} {(int)init}\n"));
        }

        foreach (SpampTauSource tauSource in Enum.GetValues<SpampTauSource>())
        {
            Assert.That(source, Does.Contain($"#define SPAMP_SOURCE_{tauSource} {(int)tauSource}\n"));
        }
    }

    private static void SetGradient(Parameter p, float[] values)
    {
        p.Grad?.Dispose();
        using Tensor host = Tensor.From(values, [values.Length]);
        p.Grad = TensorScope.Detach(host.To(p.Device));
    }

    private static void Poison(Parameter p)
    {
        p.Grad!.Dispose();
        double[] values = [.. Enumerable.Repeat(0.1, p.Numel)];
        values[p.Numel / 2] = double.NaN;
        using Tensor doubles = Tensor.From(values, p.Shape.ToArray());
        using Tensor host = doubles.To(DType.Float32);
        p.Grad = TensorScope.Detach(host.To(p.Device));
    }

    private static void AssertSameParameters(Parameter[] cpu, Parameter[] gpu, string what)
    {
        for (int j = 0; j < cpu.Length; j++)
        {
            double[] expected = Values(cpu[j]), actual = Values(gpu[j]);
            for (int i = 0; i < expected.Length; i++)
            {
                if (double.IsNaN(expected[i]))
                {
                    Assert.That(actual[i], Is.NaN, $"{what}: {cpu[j].FullName}[{i}]");
                    continue;
                }

                Assert.That(actual[i], Is.EqualTo(expected[i]).Within(Absolute + (Relative * Math.Abs(expected[i]))), $"{what}: {cpu[j].FullName}[{i}]");
            }
        }
    }
}
