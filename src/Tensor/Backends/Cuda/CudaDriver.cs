using System.Runtime.InteropServices;
using Spamp.Backends.Native;

namespace Spamp.Backends.Cuda;

/// <summary>
/// The CUDA driver API (libcuda, shipped with the NVIDIA driver, not the toolkit) as blittable
/// <c>[LibraryImport]</c> declarations: handles are <see cref="nint"/>, device pointers
/// <see cref="ulong"/> (CUdeviceptr is 64-bit), results <see cref="int"/> (CUresult). The v2 entry
/// points are named explicitly, as cuda.h's macros do. Call <see cref="TryLoad"/> first.
/// </summary>
internal static unsafe partial class CudaDriver
{
    private const string Lib = NativeLibraries.Cuda;

    /// <summary>CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT.</summary>
    public const int AttributeMultiprocessorCount = 16;

    /// <summary>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR.</summary>
    public const int AttributeComputeCapabilityMajor = 75;

    /// <summary>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR.</summary>
    public const int AttributeComputeCapabilityMinor = 76;

    /// <summary>CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK.</summary>
    public const int AttributeMaxThreadsPerBlock = 1;

    /// <summary>CU_STREAM_NON_BLOCKING: the stream does not wait for (or block) the legacy default stream.</summary>
    public const uint StreamNonBlocking = 1;

    /// <summary>CU_JIT_ERROR_LOG_BUFFER: where cuModuleLoadDataEx writes the PTX assembler's errors.</summary>
    public const int JitErrorLogBuffer = 5;

    /// <summary>CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES: that buffer's size (passed as the option's pointer value).</summary>
    public const int JitErrorLogBufferSizeBytes = 6;

    /// <summary>CUDA_ERROR_OUT_OF_MEMORY: the one failure an allocator turns into "try again after emptying the cache".</summary>
    public const int ErrorOutOfMemory = 2;

    /// <summary>Loads the driver library; false with the files tried when there is no NVIDIA driver.</summary>
    public static bool TryLoad(out string detail) => NativeLibraries.TryLoad(Lib, out detail);

    [LibraryImport(Lib)] public static partial int cuInit(uint flags);
    [LibraryImport(Lib)] public static partial int cuDriverGetVersion(int* version);
    [LibraryImport(Lib)] public static partial int cuDeviceGetCount(int* count);
    [LibraryImport(Lib)] public static partial int cuDeviceGet(int* device, int ordinal);
    [LibraryImport(Lib)] public static partial int cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(Lib)] public static partial int cuDeviceGetAttribute(int* value, int attribute, int device);
    [LibraryImport(Lib, EntryPoint = "cuDeviceTotalMem_v2")] public static partial int cuDeviceTotalMem(nuint* bytes, int device);
    [LibraryImport(Lib)] public static partial int cuDevicePrimaryCtxRetain(nint* context, int device);
    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] public static partial int cuDevicePrimaryCtxRelease(int device);
    [LibraryImport(Lib)] public static partial int cuCtxSetCurrent(nint context);
    [LibraryImport(Lib, EntryPoint = "cuMemAlloc_v2")] public static partial int cuMemAlloc(ulong* pointer, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemFree_v2")] public static partial int cuMemFree(ulong pointer);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoDAsync_v2")] public static partial int cuMemcpyHtoDAsync(ulong dst, void* src, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoHAsync_v2")] public static partial int cuMemcpyDtoHAsync(void* dst, ulong src, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoDAsync_v2")] public static partial int cuMemcpyDtoDAsync(ulong dst, ulong src, nuint bytes, nint stream);
    [LibraryImport(Lib)] public static partial int cuMemsetD8Async(ulong dst, byte value, nuint count, nint stream);
    [LibraryImport(Lib)] public static partial int cuMemsetD16Async(ulong dst, ushort value, nuint count, nint stream);
    [LibraryImport(Lib)] public static partial int cuMemsetD32Async(ulong dst, uint value, nuint count, nint stream);
    [LibraryImport(Lib)] public static partial int cuStreamCreate(nint* stream, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuStreamDestroy_v2")] public static partial int cuStreamDestroy(nint stream);
    [LibraryImport(Lib)] public static partial int cuStreamSynchronize(nint stream);
    [LibraryImport(Lib)] public static partial int cuEventCreate(nint* evt, uint flags);
    [LibraryImport(Lib)] public static partial int cuEventRecord(nint evt, nint stream);
    [LibraryImport(Lib)] public static partial int cuEventSynchronize(nint evt);
    [LibraryImport(Lib, EntryPoint = "cuEventDestroy_v2")] public static partial int cuEventDestroy(nint evt);
    [LibraryImport(Lib)] public static partial int cuModuleLoadData(nint* module, void* image);
    [LibraryImport(Lib)] public static partial int cuModuleLoadDataEx(nint* module, void* image, uint numOptions, int* options, void** optionValues);
    [LibraryImport(Lib)] public static partial int cuModuleUnload(nint module);
    [LibraryImport(Lib)] public static partial int cuModuleGetFunction(nint* function, nint module, byte* name);
    [LibraryImport(Lib)]
    public static partial int cuLaunchKernel(
        nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedBytes, nint stream, void** parameters, void** extra);
    [LibraryImport(Lib)] public static partial int cuGetErrorName(int error, byte** name);
    [LibraryImport(Lib)] public static partial int cuGetErrorString(int error, byte** text);

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> unless <paramref name="result"/> is CUDA_SUCCESS.</summary>
    public static void Check(int result, string call)
    {
        if (result != 0)
        {
            throw new CudaException(result, call, DriverText(result));
        }
    }

    /// <summary>The driver's own name and description of <paramref name="result"/> (the built-in table when the driver cannot say).</summary>
    public static string DriverText(int result)
    {
        byte* name = null, text = null;
        if (cuGetErrorName(result, &name) != 0 || name is null)
        {
            return CudaException.ErrorName(result);
        }

        _ = cuGetErrorString(result, &text);
        string n = Marshal.PtrToStringUTF8((nint)name) ?? CudaException.ErrorName(result);
        return text is null ? n : $"{n}: {Marshal.PtrToStringUTF8((nint)text)}";
    }

    /// <summary>
    /// Whether a CUDA device can be used, and if not, why: no driver library, cuInit failing (driver
    /// and kernel module out of step, no device node), or no device. Never throws.
    /// </summary>
    public static bool Probe(out int deviceCount, out string reason)
    {
        deviceCount = 0;
        if (!TryLoad(out string detail))
        {
            reason = $"{detail}: no NVIDIA driver";
            return false;
        }

        int status = cuInit(0);
        if (status != 0)
        {
            reason = $"cuInit failed: {DriverText(status)}";
            return false;
        }

        int count;
        status = cuDeviceGetCount(&count);
        if (status != 0 || count == 0)
        {
            reason = status != 0 ? $"cuDeviceGetCount failed: {DriverText(status)}" : "the NVIDIA driver reports no CUDA device";
            return false;
        }

        deviceCount = count;
        reason = "";
        return true;
    }
}
