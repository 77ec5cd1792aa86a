using NUnit.Framework;
using Spamp.Backends.Cuda;
using Spamp.Backends.Kernels;
using Spamp.Backends.Native;
using Spamp.Backends.OpenCl;

namespace Spamp.Tests.Backends;

/// <summary>Driver probing, error tables and the kernel source system: what can be checked with or without a GPU.</summary>
public sealed class GpuNativeTests
{
    [Test]
    public void EveryLogicalLibraryHasCandidatesAndNvrtcProbesSeveralMajorVersions()
    {
        Assert.That(NativeLibraries.Candidates(NativeLibraries.OpenCl), Is.Not.Empty);
        Assert.That(NativeLibraries.Candidates(NativeLibraries.Cuda), Is.Not.Empty);
        Assert.That(NativeLibraries.Candidates(NativeLibraries.Nvrtc), Has.Count.GreaterThanOrEqualTo(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeLibraries.Candidates("nonsense"));
    }

    [Test]
    public void OpenClAvailabilityIsReportedWithoutThrowing()
    {
        bool available = Device.IsAvailable(DeviceKind.OpenCl, out string reason);
        Assert.That(available || reason.Length > 0, Is.True);
        if (!available)
        {
            Assert.Ignore($"no OpenCL device here: {reason}");
        }

        var backend = (OpenClBackend)BackendRegistry.For(Device.OpenCl(0));
        Assert.That(backend.Description, Is.Not.Empty);
        TestContext.Out.WriteLine(backend.Description);
        Assert.That(Device.IsAvailable(DeviceKind.OpenCl, out _), Is.True);
    }

    [Test]
    public void ErrorCodesHaveTheirHeaderNames()
    {
        Assert.That(OpenClException.ErrorName(-5), Is.EqualTo("CL_OUT_OF_RESOURCES"));
        Assert.That(OpenClException.ErrorName(-11), Is.EqualTo("CL_BUILD_PROGRAM_FAILURE"));
        Assert.That(OpenClException.ErrorName(-1001), Is.EqualTo("CL_PLATFORM_NOT_FOUND_KHR"));
        Assert.That(OpenClException.ErrorName(-9999), Is.EqualTo("CL_UNKNOWN_ERROR"));
        Assert.That(new OpenClException(-38, "clSetKernelArg").Message, Does.Contain("clSetKernelArg failed: CL_INVALID_MEM_OBJECT (-38)"));
        Assert.That(CudaException.ErrorName(2), Is.EqualTo("CUDA_ERROR_OUT_OF_MEMORY"));
        Assert.That(CudaException.ErrorName(700), Is.EqualTo("CUDA_ERROR_ILLEGAL_ADDRESS"));
        Assert.That(Nvrtc.ErrorName(Nvrtc.ErrorCompilation), Is.EqualTo("NVRTC_ERROR_COMPILATION"));
        Assert.That(new CudaException(1, "cuMemAlloc", "CUDA_ERROR_INVALID_VALUE: invalid argument").Message,
            Is.EqualTo("cuMemAlloc failed: CUDA_ERROR_INVALID_VALUE: invalid argument (1)"));
    }

    [Test]
    public unsafe void MarshalledShapesMatchTheDriverHeaders()
    {
        // Kernel arguments are copied by size: Dims8 must be the prelude's struct { int v[8]; }.
        Assert.That(sizeof(Dims8), Is.EqualTo(32));
        Assert.That(sizeof(nint), Is.EqualTo(8), "cl_mem, CUcontext and friends are pointers");
    }

    [Test]
    public void KernelSourcesAreEmbeddedAndShareOperationCodesWithTheEnums()
    {
        foreach (string family in KernelSource.Families())
        {
            foreach (var dialect in new[] { KernelDialect.OpenCl, KernelDialect.Cuda })
            {
                string source = KernelSource.For(dialect, family);
                Assert.That(source, Does.Contain("KERNEL void"), family);
                Assert.That(source, Does.Contain("DEVICE int strided("), family);
            }
        }

        Assert.That(KernelSource.OperationCodes(), Does.Contain($"#define UNARY_GeluErf {(int)Spamp.Backends.UnaryOp.GeluErf}\n"));
        Assert.That(KernelSource.OperationCodes(), Does.Contain($"#define REDUCE_Prod {(int)Spamp.Backends.ReduceOp.Prod}\n"));
    }

    [Test]
    public void BinaryCacheKeyDependsOnEveryInput()
    {
        string key = BinaryCache.Key("src", "-D T=float", "dev", "1.0");
        Assert.That(key, Has.Length.EqualTo(64));
        Assert.That(BinaryCache.Key("src", "-D T=float", "dev", "1.0"), Is.EqualTo(key));
        Assert.That(BinaryCache.Key("src2", "-D T=float", "dev", "1.0"), Is.Not.EqualTo(key));
        Assert.That(BinaryCache.Key("src", "-D T=double", "dev", "1.0"), Is.Not.EqualTo(key));
        Assert.That(BinaryCache.Key("src", "-D T=float", "dev2", "1.0"), Is.Not.EqualTo(key));
        Assert.That(BinaryCache.Key("src", "-D T=float", "dev", "1.1"), Is.Not.EqualTo(key));
    }

    [Test]
    public void KernelDimensionsMergeWhatEveryOperandWalksAsOne()
    {
        // Contiguous [4, 5, 6] becomes one dimension of 120.
        int rank = KernelDims.Merge([4, 5, 6], [30, 6, 1], [], [], out Dims8 shape, out Dims8 strides, out _, out _);
        Assert.That((rank, shape[0], strides[0]), Is.EqualTo((1, 120, 1)));

        // A broadcast operand keeps its zero-stride dimension apart; size-1 dimensions vanish.
        rank = KernelDims.Merge([4, 1, 5, 6], [30, 30, 6, 1], [0, 0, 6, 1], [], out shape, out Dims8 a, out Dims8 b, out _);
        Assert.That(rank, Is.EqualTo(2));
        Assert.That((shape[0], shape[1], a[0], a[1], b[0], b[1]), Is.EqualTo((4, 30, 30, 1, 0, 1)));

        // A scalar is one element.
        rank = KernelDims.Merge([], [], [], [], out shape, out _, out _, out _);
        Assert.That((rank, shape[0]), Is.EqualTo((1, 1)));
    }

    [Test]
    public void AFailedBuildCarriesTheCompilerLog()
    {
        if (!Device.IsAvailable(DeviceKind.OpenCl, out string reason))
        {
            Assert.Ignore(reason);
        }

        var backend = (OpenClBackend)BackendRegistry.For(Device.OpenCl(0));
        var e = Assert.Throws<OpenClException>(() => backend.FromSource("__kernel void broken(__global float* x) { x[0] = undefined_name; }", "", "broken"));
        Assert.That(e!.Message, Does.Contain("CL_BUILD_PROGRAM_FAILURE"));
        Assert.That(e.Message, Does.Contain("undefined_name"), "the compiler's log is in the message");
    }
}
