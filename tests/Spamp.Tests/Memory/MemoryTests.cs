using Spamp.Backends.Cpu;

namespace Spamp.Tests.Memory;

/// <summary>Ownership, scopes, refcounted views and the caching pool.</summary>
[TestFixture]
[NonParallelizable]
public class MemoryTests
{
    private static Spamp.Memory.MemoryStats Stats => CpuBackend.Instance.Allocator.Stats;

    [Test]
    public void ScopeDisposesWhatItCreatedAndKeepMovesToTheParent()
    {
        long before = Stats.LiveBuffers;
        Tensor kept;
        using (var outer = TensorScope.Begin())
        {
            using (var inner = TensorScope.Begin())
            {
                var a = Tensor.Ones([4, 4]);
                var b = a * 2.0;
                kept = inner.Keep(b + 1.0);
                Assert.That(Stats.LiveBuffers, Is.EqualTo(before + 3));
            }

            Assert.That(kept.IsDisposed, Is.False, "a kept tensor survives its scope");
            Assert.That(Stats.LiveBuffers, Is.EqualTo(before + 1));
            Assert.That(kept.ToArray<float>(), Is.All.EqualTo(3f));
        }

        Assert.That(kept.IsDisposed, Is.True, "the outer scope owns what the inner one kept");
        Assert.That(Stats.LiveBuffers, Is.EqualTo(before));
    }

    [Test]
    public void ViewsKeepStorageAliveAfterTheBaseIsDisposed()
    {
        long before = Stats.LiveBuffers;
        var flat = Tensor.Arange(0, 6, 1, DType.Float32);
        var baseTensor = flat.Reshape(2, 3);
        var view = baseTensor.Transpose(0, 1);
        flat.Dispose();
        baseTensor.Dispose();
        Assert.That(view.ToArray<float>(), Is.EqualTo(new float[] { 0, 3, 1, 4, 2, 5 }));
        view.Dispose();
        Assert.That(Stats.LiveBuffers, Is.EqualTo(before));
    }

    [Test]
    public void UsingADisposedTensorThrowsATypedException()
    {
        var t = Tensor.Zeros([2]);
        t.Dispose();
        t.Dispose(); // idempotent
        Assert.That(() => t.ToArray<float>(), Throws.TypeOf<TensorDisposedException>());
    }

    [Test]
    public void FreedBuffersAreReusedFromThePool()
    {
        using (Tensor.Zeros([1000])) { }
        long fresh = Stats.FreshAllocations;
        for (int i = 0; i < 10; i++)
        {
            using var t = Tensor.Zeros([1000]);
        }

        Assert.That(Stats.FreshAllocations, Is.EqualTo(fresh), "same-size requests must be served from the cache");
    }

    [Test]
    public void AForgottenTensorIsReportedByTheFinalizerSafetyNet()
    {
        long leakedBefore = Stats.LeakedBuffers;
        Forget();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.That(Stats.LeakedBuffers, Is.GreaterThan(leakedBefore));

        static void Forget() => _ = Tensor.Zeros([64]);
    }

    [Test]
    public void SizeClassesWasteAtMostAQuarter()
    {
        foreach (long bytes in new long[] { 1, 63, 64, 65, 1000, 4096, 4097, 100_000, 40_000_000 })
        {
            long size = Spamp.Memory.CachingAllocator.SizeClass(bytes);
            Assert.That(size, Is.GreaterThanOrEqualTo(bytes));
            Assert.That(size, Is.LessThanOrEqualTo(Math.Max(64, bytes * 1.25 + 64)));
        }
    }

    /// <summary>
    /// The acceptance test: 1,000 forward+backward iterations of a small model, each in a
    /// scope. Live buffers return to the same count every iteration and, after warm-up, no
    /// iteration asks the system for memory.
    /// </summary>
    [Test]
    public void ThousandTrainingStepsInAScopeReturnToBaselineAndStopAllocating()
    {
        var generator = new Generator(1);
        using var w1 = new Parameter(Tensor.Randn([16, 32], generator: generator, std: 0.2), "weight", "fc1");
        using var b1 = new Parameter(Tensor.Zeros([32]), "bias", "fc1");
        using var w2 = new Parameter(Tensor.Randn([32, 4], generator: generator, std: 0.2), "weight", "fc2");
        using var b2 = new Parameter(Tensor.Zeros([4]), "bias", "fc2");
        Parameter[] parameters = [w1, b1, w2, b2];

        long liveAfterWarmup = 0, freshAfterWarmup = 0;
        for (int step = 0; step < 1000; step++)
        {
            using (var scope = TensorScope.Begin())
            {
                var x = new Variable(Tensor.Randn([8, 16], generator: generator));
                var hidden = (x.MatMul(w1) + b1).Relu();
                var output = hidden.MatMul(w2) + b2;
                var loss = output.Square().Mean();
                loss.Backward();
                using (Spamp.Autograd.NoGrad())
                {
                    foreach (Parameter p in parameters)
                    {
                        p.Data.AddInPlace(p.Grad!, -0.01);
                    }
                }
            }

            if (step == 10)
            {
                liveAfterWarmup = Stats.LiveBuffers;
                freshAfterWarmup = Stats.FreshAllocations;
            }
            else if (step > 10)
            {
                Assert.That(Stats.LiveBuffers, Is.EqualTo(liveAfterWarmup), $"live buffers changed at step {step}");
            }
        }

        Assert.That(Stats.FreshAllocations, Is.EqualTo(freshAfterWarmup), "the pool must stop asking the system for memory after warm-up");
        foreach (Parameter p in parameters)
        {
            p.ZeroGrad();
        }
    }
}
