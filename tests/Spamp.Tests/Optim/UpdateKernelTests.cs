using Spamp.Backends;
using static Spamp.Tests.Optim.OptimTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>
/// The fused kernels at every width (AVX-512 or AVX2 body, scalar tail) and on the parallel path
/// agree bit for bit with a plain scalar float32 loop doing the same operations in the same order.
/// </summary>
[TestFixture]
public class UpdateKernelTests
{
    private static readonly int[] Counts = [1, 7, 16, 17, 33, 1000, (1 << 20) + 37];

    [TestCaseSource(nameof(Counts))]
    public void AdamStepMatchesScalarReference(int n)
    {
        foreach (var (decoupled, amsgrad, maximize) in new[] { (true, false, false), (false, true, true), (false, false, false) })
        {
            float[] p = RandomFloats(n, 1), g = RandomFloats(n, 2), m = RandomFloats(n, 3, 0.1), v = [.. RandomFloats(n, 4, 0.01).Select(Math.Abs)];
            float[] vmax = [.. v.Select(x => x * 1.5f)];
            var c = AdamCoefficients.ForStep(3, 1e-2, 0.9, 0.999, 1e-8, 0.1, decoupled, maximize);
            using Tensor tp = Tensor.From(p, n), tg = Tensor.From(g, n), tm = Tensor.From(m, n), tv = Tensor.From(v, n), tvmax = Tensor.From(vmax, n);
            OptimizerKernels.For(Device.Cpu).AdamStep(tp.Storage, tg.Storage, tm.Storage, tv.Storage, amsgrad ? tvmax.Storage : null, n, c);

            float beta1 = (float)c.Beta1, beta2 = (float)c.Beta2, omb1 = (float)(1 - c.Beta1), omb2 = (float)(1 - c.Beta2);
            for (int i = 0; i < n; i++)
            {
                float pi = p[i] * (float)c.Decay, gi = maximize ? -g[i] : g[i];
                if (c.L2 != 0)
                {
                    gi += (float)c.L2 * pi;
                }

                m[i] = (m[i] * beta1) + (gi * omb1);
                v[i] = (v[i] * beta2) + (omb2 * gi * gi);
                float vv = v[i];
                if (amsgrad)
                {
                    vmax[i] = Math.Max(vmax[i], v[i]);
                    vv = vmax[i];
                }

                p[i] = pi + ((float)-c.StepSize * (m[i] / ((MathF.Sqrt(vv) / (float)c.BiasCorrection2Sqrt) + (float)c.Eps)));
            }

            Assert.That(tp.ToArray<float>(), Is.EqualTo(p), $"p (decoupled {decoupled}, amsgrad {amsgrad})");
            Assert.That(tm.ToArray<float>(), Is.EqualTo(m));
            Assert.That(tv.ToArray<float>(), Is.EqualTo(v));
            if (amsgrad)
            {
                Assert.That(tvmax.ToArray<float>(), Is.EqualTo(vmax));
            }
        }
    }

    [TestCaseSource(nameof(Counts))]
    public void SgdAndLionMatchScalarReference(int n)
    {
        float[] p = RandomFloats(n, 5), g = RandomFloats(n, 6), buf = RandomFloats(n, 7);
        using Tensor tp = Tensor.From(p, n), tg = Tensor.From(g, n), tb = Tensor.From(buf, n);
        var c = new SgdCoefficients(0.1, 0.9, 0.25, 0.01, Nesterov: false, Maximize: false, FirstStep: false);
        OptimizerKernels.For(Device.Cpu).SgdStep(tp.Storage, tg.Storage, tb.Storage, n, c);
        for (int i = 0; i < n; i++)
        {
            float gi = g[i] + (0.01f * p[i]);
            buf[i] = (buf[i] * 0.9f) + (gi * 0.75f);
            p[i] += buf[i] * -0.1f;
        }

        Assert.That(tp.ToArray<float>(), Is.EqualTo(p), "sgd p");
        Assert.That(tb.ToArray<float>(), Is.EqualTo(buf), "sgd buffer");

        using Tensor lm = Tensor.From(buf, n);
        float[] m = [.. buf];
        OptimizerKernels.For(Device.Cpu).LionStep(tp.Storage, tg.Storage, lm.Storage, n, new LionCoefficients(1e-3, 0.9, 0.99, 1 - 1e-4));
        for (int i = 0; i < n; i++)
        {
            float update = (m[i] * 0.9f) + (g[i] * (float)(1 - 0.9));
            p[i] = (p[i] * (float)(1 - 1e-4)) + (MathF.Sign(update) * -1e-3f);
            m[i] = (m[i] * 0.99f) + (g[i] * (float)(1 - 0.99));
        }

        Assert.That(tp.ToArray<float>(), Is.EqualTo(p), "lion p");
        Assert.That(lm.ToArray<float>(), Is.EqualTo(m), "lion m");
    }

    [Test]
    public void Float64AdamMatchesFloat32WithinRounding()
    {
        const int n = 100;
        double[] p = RandomDoubles(n, 1), g = RandomDoubles(n, 2);
        using Tensor p64 = Tensor.From(p, n), g64 = Tensor.From(g, n), m64 = Tensor.Zeros(new Shape(n), DType.Float64), v64 = Tensor.Zeros(new Shape(n), DType.Float64);
        using Tensor p32 = p64.To(DType.Float32), g32 = g64.To(DType.Float32), m32 = Tensor.Zeros(new Shape(n)), v32 = Tensor.Zeros(new Shape(n));
        var c = AdamCoefficients.ForStep(1, 1e-2, 0.9, 0.999, 1e-8, 0.01, decoupled: true, maximize: false);
        OptimizerKernels.For(Device.Cpu).AdamStep(p64.Storage, g64.Storage, m64.Storage, v64.Storage, null, n, c);
        OptimizerKernels.For(Device.Cpu).AdamStep(p32.Storage, g32.Storage, m32.Storage, v32.Storage, null, n, c);
        AssertClose(p64.ToDoubleArray(), p32.ToDoubleArray(), rel: 1e-6, floor: 1e-2);
    }
}
