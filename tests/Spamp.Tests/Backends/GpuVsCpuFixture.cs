using NUnit.Framework;
using Spamp.Backends;
using Spamp.Backends.Cpu;
using Spamp.Backends.Gpu;
using Spamp.Memory;
using static Spamp.Tests.Backends.BackendTestSupport;

namespace Spamp.Tests.Backends;

/// <summary>
/// What the GPU-versus-CPU tests of the layer kernels share: the OpenCL device (the fixture is
/// ignored where there is none), the same values stored on both backends, and a comparison whose
/// absolute tolerance scales with the expected values' magnitude.
/// </summary>
public abstract class GpuVsCpuFixture
{
    private protected Backend Cpu { get; } = CpuBackend.Instance;

    private protected GpuBackend Gpu { get; private set; } = null!;

    private protected System.Random Random { get; } = new(20260511);

    [OneTimeSetUp]
    public void FindDevice()
    {
        if (!Device.IsAvailable(DeviceKind.OpenCl, out string reason))
        {
            Assert.Ignore($"no OpenCL device: {reason}");
        }

        Gpu = (GpuBackend)BackendRegistry.For(Device.OpenCl(0));
    }

    /// <summary>Skips a float64 case on a device without double precision.</summary>
    private protected void RequireDType(DType dtype)
    {
        if (dtype == DType.Float64 && !Gpu.SupportsFloat64)
        {
            Assert.Ignore($"device {Gpu.DeviceName} has no float64");
        }
    }

    /// <summary>The same values in a storage on each backend.</summary>
    private protected (Storage Cpu, Storage Gpu) Both(StorageScope scope, DType dtype, double[] values) =>
        (scope.Add(Store(Cpu, dtype, values)), scope.Add(Store(Gpu, dtype, values)));

    /// <summary>Sentinel-filled outputs on each backend, so an element a kernel fails to write shows.</summary>
    private protected (Storage Cpu, Storage Gpu) Outputs(StorageScope scope, DType dtype, int count) =>
        (scope.Add(Output(Cpu, dtype, count)), scope.Add(Output(Gpu, dtype, count)));

    /// <summary>Random values in [-scale, scale) + shift, rounded to <paramref name="dtype"/>.</summary>
    private protected double[] Values(DType dtype, int count, double scale = 2, double shift = 0) =>
        [.. RandomValues(Random, dtype, count, scale).Select(v => RoundTo(dtype, v + shift))];

    /// <summary>
    /// Asserts that the GPU's <paramref name="count"/> elements equal the CPU's to within
    /// <paramref name="tolerance"/> relative to each element plus the same fraction of the largest
    /// expected magnitude (sums that cancel are compared against the size of their terms' scale).
    /// </summary>
    private protected void AssertAgree((Storage Cpu, Storage Gpu) pair, int count, double tolerance, string what)
    {
        double[] expected = Read(Cpu, pair.Cpu, count);
        double[] actual = Read(Gpu, pair.Gpu, count);
        double scale = expected.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
        AssertClose(actual, expected, tolerance, tolerance * scale, what);
    }

    /// <summary>float32 agrees to 1e-5 relative, float64 to 1e-12.</summary>
    private protected static double Tolerance(DType dtype) => dtype == DType.Float32 ? 1e-5 : 1e-12;
}
