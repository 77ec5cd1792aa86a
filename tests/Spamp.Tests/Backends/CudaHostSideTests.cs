using NUnit.Framework;
using Spamp.Backends.Cuda;
using Spamp.Backends.Gpu;
using Spamp.Backends.Kernels;

namespace Spamp.Tests.Backends;

/// <summary>
/// The CUDA backend's host-side logic, checked without a GPU: how launch arguments are packed for
/// cuLaunchKernel, how a variant becomes an NVRTC program and command line, how OpenCL-style ranges
/// become grids, and what <c>Device.IsAvailable</c> says when the driver is missing.
/// </summary>
public sealed unsafe class CudaHostSideTests
{
    [Test]
    public void ArgumentsArePackedAtTheirNaturalAlignmentWithOnePointerEach()
    {
        using var arguments = new CudaArguments();
        int i32 = 7;
        double f64 = 2.5;
        ulong pointer = 0xDEAD_BEEF_0000_0100;
        Dims8 dims = default;
        for (int d = 0; d < Dims8.MaxRank; d++)
        {
            dims[d] = d + 1;
        }

        Assert.That(arguments.Add(0, &i32, sizeof(int), sizeof(int)), Is.EqualTo(0));
        Assert.That(arguments.Add(1, &f64, sizeof(double), sizeof(double)), Is.EqualTo(8), "a double after an int skips to 8");
        Assert.That(arguments.Add(2, &i32, sizeof(int), sizeof(int)), Is.EqualTo(16));
        Assert.That(arguments.Add(3, &dims, sizeof(Dims8), 8), Is.EqualTo(24), "Dims8 (32 bytes) as GpuKernel passes it, 8-aligned");
        Assert.That(arguments.Add(4, &pointer, sizeof(ulong), sizeof(ulong)), Is.EqualTo(56), "a CUdeviceptr is 8 bytes");
        Assert.That(arguments.Count, Is.EqualTo(5));

        Assert.That(BitConverter.ToInt32(arguments.BytesOf(0, 4)), Is.EqualTo(7));
        Assert.That(BitConverter.ToDouble(arguments.BytesOf(1, 8)), Is.EqualTo(2.5));
        Assert.That(BitConverter.ToUInt64(arguments.BytesOf(4, 8)), Is.EqualTo(pointer));
        var packedDims = arguments.BytesOf(3, 32);
        for (int d = 0; d < Dims8.MaxRank; d++)
        {
            Assert.That(BitConverter.ToInt32(packedDims[(4 * d)..]), Is.EqualTo(d + 1), $"Dims8 element {d}");
        }

        // kernelParams[i] points at argument i's bytes.
        for (int a = 0; a < arguments.Count; a++)
        {
            Assert.That((int)((byte*)arguments.Pointers[a] - (byte*)arguments.Pointers[0]), Is.EqualTo(arguments.OffsetOf(a)));
        }
    }

    [Test]
    public void ALauncherReusesItsBlockAndKeepsArgumentsInOrder()
    {
        using var kernel = new CudaKernel(0, "test", 0);
        Dims8 dims = default;
        kernel.Begin().Value(1).Value(dims).Value(3.0f).Value(4L);
        Assert.That(kernel.Arguments.Count, Is.EqualTo(4));
        Assert.That(new[] { 0, 1, 2, 3 }.Select(kernel.Arguments.OffsetOf), Is.EqualTo(new[] { 0, 8, 40, 48 }));

        // A new launch starts again at offset 0: nothing grows from launch to launch.
        kernel.Begin().Value(2.0);
        Assert.That((kernel.Arguments.Count, kernel.Arguments.OffsetOf(0)), Is.EqualTo((1, 0)));

        using var arguments = new CudaArguments();
        Assert.Throws<InvalidOperationException>(() => AddInt(arguments, 1, 4), "argument 1 before argument 0");
        Assert.Throws<ArgumentOutOfRangeException>(() => AddInt(arguments, 0, 3));

        static void AddInt(CudaArguments arguments, int index, int alignment)
        {
            int value = 1;
            arguments.Add(index, &value, sizeof(int), alignment);
        }
    }

    [Test]
    public void ArgumentsBeyondTheBlockAreRefusedWithTheSizesNamed()
    {
        using var arguments = new CudaArguments();
        Dims8 dims = default;
        int added = 0;
        string message = "";
        try
        {
            while (true)
            {
                arguments.Add(added, &dims, sizeof(Dims8), 8);
                added++;
            }
        }
        catch (InvalidOperationException e)
        {
            message = e.Message;
        }

        Assert.That(added, Is.EqualTo(CudaArguments.ByteCapacity / sizeof(Dims8)));
        Assert.That(message, Does.Contain($"{CudaArguments.ByteCapacity} bytes"));
    }

    [Test]
    public void TheCommandLineNamesTheTargetAndTurnsOffFusedMultiplyAdd()
    {
        Assert.That(CudaCompileOptions.For(new CudaTarget(90, MachineCode: true)), Is.EqualTo(new[] { "--gpu-architecture=sm_90", "-fmad=false" }));
        Assert.That(CudaCompileOptions.For(new CudaTarget(80, MachineCode: false)), Is.EqualTo(new[] { "--gpu-architecture=compute_80", "-fmad=false" }));
    }

    [Test]
    public void DefinitionsBecomeDefineLinesBeforeTheSource()
    {
        string program = CudaCompileOptions.Program(["SPAMP_FP64", "T=float", "T_MIN=(-2147483647-1)"], "KERNEL void k() {}");
        Assert.That(program, Is.EqualTo("#define SPAMP_FP64 1\n#define T float\n#define T_MIN (-2147483647-1)\nKERNEL void k() {}"));

        // The same definitions the OpenCL backend passes as -D options, for every variant of every family.
        foreach (string family in KernelSource.Families())
        {
            foreach (int variant in KernelVariants.For(family))
            {
                string[] definitions = KernelVariants.Definitions(family, variant, fp64: true, "test");
                Assert.That(definitions, Does.Contain("SPAMP_FP64").And.Contain("SCALAR=double"), $"{family} {variant}");
            }
        }

        Assert.That(KernelVariants.Definitions("data", 8, fp64: true, "test"), Does.Contain("E=ulong"));
        Assert.That(KernelVariants.Definitions("cast", (int)DType.BFloat16, fp64: true, "test"), Does.Contain("SRC_KIND=3"));
        Assert.That(KernelVariants.Definitions("indexing", (int)DType.BFloat16, fp64: true, "test"), Does.Contain("S_BF16"));
        Assert.Throws<NotSupportedException>(() => KernelVariants.Definitions("elementwise", (int)DType.Float64, fp64: false, "a GPU"));
    }

    [Test]
    public void KnownGpusGetMachineCodeAndNewerOnesThePtxOfTheNewestOlderArchitecture()
    {
        int[] nvrtc118 = [35, 37, 50, 52, 53, 60, 61, 62, 70, 72, 75, 80, 86, 87, 89, 90];
        Assert.That(CudaTarget.For(9, 0, nvrtc118), Is.EqualTo(new CudaTarget(90, MachineCode: true)), "H100");
        Assert.That(CudaTarget.For(8, 6, nvrtc118), Is.EqualTo(new CudaTarget(86, MachineCode: true)));
        Assert.That(CudaTarget.For(10, 0, nvrtc118), Is.EqualTo(new CudaTarget(90, MachineCode: false)), "a GPU newer than this NVRTC: compute_90 PTX, which its driver JIT-compiles");
        Assert.That(CudaTarget.For(8, 8, [80, 86, 89]), Is.EqualTo(new CudaTarget(86, MachineCode: false)));
        Assert.That(new CudaTarget(90, MachineCode: true).ToString(), Is.EqualTo("sm_90"));
        var e = Assert.Throws<NotSupportedException>(() => CudaTarget.For(3, 0, [50, 52]));
        Assert.That(e!.Message, Does.Contain("3.0").And.Contain("sm_50"));
    }

    [Test]
    public void OneDimensionalLaunchesRoundTheGridUp()
    {
        Assert.That(CudaLaunchGeometry.Blocks1D(1, 256), Is.EqualTo(1));
        Assert.That(CudaLaunchGeometry.Blocks1D(256, 256), Is.EqualTo(1));
        Assert.That(CudaLaunchGeometry.Blocks1D(257, 256), Is.EqualTo(2));
        Assert.That(CudaLaunchGeometry.Blocks1D(1000L * 64, 64), Is.EqualTo(1000), "a reduction: one block per output");
        Assert.That(CudaLaunchGeometry.Blocks1D(int.MaxValue, 1), Is.EqualTo((uint)int.MaxValue));
        Assert.Throws<NotSupportedException>(() => CudaLaunchGeometry.Blocks1D((long)int.MaxValue + 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => CudaLaunchGeometry.Blocks1D(0, 256));
    }

    [Test]
    public void ThreeDimensionalLaunchesDivideGlobalByLocal()
    {
        // The matmul launch: n and m rounded up to the tile, one z block per batch entry.
        Assert.That(CudaLaunchGeometry.Grid3D(48, 32, 7, 16, 16, 1), Is.EqualTo(((uint)3, (uint)2, (uint)7)));
        Assert.Throws<ArgumentException>(() => CudaLaunchGeometry.Grid3D(50, 32, 1, 16, 16, 1));
        var e = Assert.Throws<NotSupportedException>(() => CudaLaunchGeometry.Grid3D(16, 16, 70000, 16, 16, 1));
        Assert.That(e!.Message, Does.Contain("65535"));
    }

    [Test]
    public void AMissingDriverIsReportedClearly()
    {
        if (CudaDriver.TryLoad(out string detail))
        {
            Assert.Ignore($"the NVIDIA driver loads here ({detail}); this test is about machines without one");
        }

        Assert.That(Device.IsAvailable(DeviceKind.Cuda, out string reason), Is.False);
        Assert.That(reason, Does.Contain("libcuda.so.1").Or.Contain("nvcuda.dll"));
        Assert.That(reason, Does.Contain("no NVIDIA driver"));
        Assert.That(detail, Does.Contain("not found"));
        var e = Assert.Throws<DeviceMismatchException>(() => Tensor.Zeros(new Shape(2), device: Device.Cuda(0)));
        Assert.That(e!.Message, Does.Contain("cuda:0 is not available").And.Contain("no NVIDIA driver"));
    }

    [Test]
    public void AnAvailableDeviceDescribesItself()
    {
        if (!Device.IsAvailable(DeviceKind.Cuda, out string reason))
        {
            Assert.Ignore($"no CUDA device: {reason}");
        }

        var backend = (CudaBackend)BackendRegistry.For(Device.Cuda(0));
        TestContext.Out.WriteLine(backend.Description);
        Assert.That(backend.Description, Does.Contain("compute capability").And.Contain("NVRTC"));
        Assert.That(backend.SupportsFloat64, Is.True);
    }
}
