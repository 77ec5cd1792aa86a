using System.Runtime.InteropServices;
using System.Text;
using Spamp.Backends.Native;

namespace Spamp.Backends.OpenCl;

/// <summary>
/// The OpenCL 1.2 API through the ICD loader, as blittable <c>[LibraryImport]</c> declarations
/// (handles are <see cref="nint"/>, sizes <see cref="nuint"/>, booleans and enums the API's integer
/// types), plus checked helpers that turn a status code into an <see cref="OpenClException"/>
/// naming the call and the error. Call <see cref="TryLoad"/> before anything else.
/// </summary>
internal static unsafe partial class OpenClNative
{
    private const string Lib = NativeLibraries.OpenCl;

    // ---- constants used here (values from the Khronos cl.h of OpenCL 1.2) ----------------------
    public const uint PlatformName = 0x0902, PlatformVersion = 0x0901;
    public const ulong DeviceTypeAll = 0xFFFFFFFF;
    public const uint DeviceName = 0x102B, DeviceVendor = 0x102C, DriverVersion = 0x102D, DeviceVersion = 0x102F,
        DeviceExtensions = 0x1030, DeviceMaxWorkGroupSize = 0x1004, DeviceLocalMemSize = 0x1023, DeviceGlobalMemSize = 0x101F,
        DeviceType = 0x1000;
    public const ulong MemReadWrite = 1;
    public const uint ProgramBuildLog = 0x1183, ProgramBinarySizes = 0x1165, ProgramBinaries = 0x1166;
    public const uint True = 1, False = 0;

    /// <summary>Loads the ICD loader; false with the files tried when there is none.</summary>
    public static bool TryLoad(out string detail) => NativeLibraries.TryLoad(Lib, out detail);

    // ---- raw entry points ----------------------------------------------------------------------
    [LibraryImport(Lib)] public static partial int clGetPlatformIDs(uint numEntries, nint* platforms, uint* numPlatforms);
    [LibraryImport(Lib)] public static partial int clGetPlatformInfo(nint platform, uint param, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Lib)] public static partial int clGetDeviceIDs(nint platform, ulong type, uint numEntries, nint* devices, uint* numDevices);
    [LibraryImport(Lib)] public static partial int clGetDeviceInfo(nint device, uint param, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Lib)] public static partial nint clCreateContext(nint* properties, uint numDevices, nint* devices, nint notify, nint userData, int* errcode);
    [LibraryImport(Lib)] public static partial int clReleaseContext(nint context);
    [LibraryImport(Lib)] public static partial nint clCreateCommandQueue(nint context, nint device, ulong properties, int* errcode);
    [LibraryImport(Lib)] public static partial int clReleaseCommandQueue(nint queue);
    [LibraryImport(Lib)] public static partial nint clCreateBuffer(nint context, ulong flags, nuint size, void* host, int* errcode);
    [LibraryImport(Lib)] public static partial int clReleaseMemObject(nint memory);
    [LibraryImport(Lib)] public static partial nint clCreateProgramWithSource(nint context, uint count, byte** strings, nuint* lengths, int* errcode);
    [LibraryImport(Lib)] public static partial nint clCreateProgramWithBinary(nint context, uint numDevices, nint* devices, nuint* lengths, byte** binaries, int* binaryStatus, int* errcode);
    [LibraryImport(Lib)] public static partial int clBuildProgram(nint program, uint numDevices, nint* devices, byte* options, nint notify, nint userData);
    [LibraryImport(Lib)] public static partial int clGetProgramBuildInfo(nint program, nint device, uint param, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Lib)] public static partial int clGetProgramInfo(nint program, uint param, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Lib)] public static partial int clReleaseProgram(nint program);
    [LibraryImport(Lib)] public static partial nint clCreateKernel(nint program, byte* name, int* errcode);
    [LibraryImport(Lib)] public static partial int clReleaseKernel(nint kernel);
    [LibraryImport(Lib)] public static partial int clSetKernelArg(nint kernel, uint index, nuint size, void* value);
    [LibraryImport(Lib)] public static partial int clEnqueueNDRangeKernel(nint queue, nint kernel, uint workDim, nuint* offset, nuint* global, nuint* local, uint numEvents, nint* waitList, nint* evt);
    [LibraryImport(Lib)] public static partial int clEnqueueReadBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size, void* ptr, uint numEvents, nint* waitList, nint* evt);
    [LibraryImport(Lib)] public static partial int clEnqueueWriteBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size, void* ptr, uint numEvents, nint* waitList, nint* evt);
    [LibraryImport(Lib)] public static partial int clEnqueueCopyBuffer(nint queue, nint src, nint dst, nuint srcOffset, nuint dstOffset, nuint size, uint numEvents, nint* waitList, nint* evt);
    [LibraryImport(Lib)] public static partial int clEnqueueFillBuffer(nint queue, nint buffer, void* pattern, nuint patternSize, nuint offset, nuint size, uint numEvents, nint* waitList, nint* evt);
    [LibraryImport(Lib)] public static partial int clFlush(nint queue);
    [LibraryImport(Lib)] public static partial int clFinish(nint queue);

    // ---- checked helpers -----------------------------------------------------------------------

    /// <summary>Throws an <see cref="OpenClException"/> naming <paramref name="call"/> unless <paramref name="status"/> is CL_SUCCESS.</summary>
    public static void Check(int status, string call)
    {
        if (status != 0)
        {
            throw new OpenClException(status, call);
        }
    }

    /// <summary>Every platform's handle (empty when the loader finds none).</summary>
    public static nint[] Platforms()
    {
        uint count;
        int status = clGetPlatformIDs(0, null, &count);
        // -1001 (CL_PLATFORM_NOT_FOUND_KHR): the loader works but no vendor file is installed.
        if (status == -1001 || count == 0)
        {
            return [];
        }

        Check(status, "clGetPlatformIDs");
        var platforms = new nint[count];
        fixed (nint* p = platforms)
        {
            Check(clGetPlatformIDs(count, p, null), "clGetPlatformIDs");
        }

        return platforms;
    }

    /// <summary>Every device of <paramref name="platform"/> (empty when it has none).</summary>
    public static nint[] Devices(nint platform)
    {
        uint count;
        int status = clGetDeviceIDs(platform, DeviceTypeAll, 0, null, &count);
        if (status == -1 /* CL_DEVICE_NOT_FOUND */ || count == 0)
        {
            return [];
        }

        Check(status, "clGetDeviceIDs");
        var devices = new nint[count];
        fixed (nint* p = devices)
        {
            Check(clGetDeviceIDs(platform, DeviceTypeAll, count, p, null), "clGetDeviceIDs");
        }

        return devices;
    }

    /// <summary>A string-valued platform property.</summary>
    public static string PlatformString(nint platform, uint param)
    {
        nuint size;
        Check(clGetPlatformInfo(platform, param, 0, null, &size), "clGetPlatformInfo");
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
        {
            Check(clGetPlatformInfo(platform, param, size, p, null), "clGetPlatformInfo");
        }

        return Decode(bytes);
    }

    /// <summary>A string-valued device property.</summary>
    public static string DeviceString(nint device, uint param)
    {
        nuint size;
        Check(clGetDeviceInfo(device, param, 0, null, &size), "clGetDeviceInfo");
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
        {
            Check(clGetDeviceInfo(device, param, size, p, null), "clGetDeviceInfo");
        }

        return Decode(bytes);
    }

    /// <summary>A fixed-size device property (cl_uint, cl_ulong, size_t).</summary>
    public static T DeviceValue<T>(nint device, uint param) where T : unmanaged
    {
        T value;
        Check(clGetDeviceInfo(device, param, (nuint)sizeof(T), &value, null), "clGetDeviceInfo");
        return value;
    }

    /// <summary>The compiler's log for <paramref name="device"/> (empty when it wrote none).</summary>
    public static string BuildLog(nint program, nint device)
    {
        nuint size;
        if (clGetProgramBuildInfo(program, device, ProgramBuildLog, 0, null, &size) != 0 || size == 0)
        {
            return "";
        }

        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
        {
            return clGetProgramBuildInfo(program, device, ProgramBuildLog, size, p, null) == 0 ? Decode(bytes) : "";
        }
    }

    /// <summary>A NUL-terminated UTF-8 copy of <paramref name="text"/>, for char* arguments.</summary>
    public static byte[] Utf8Z(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    private static string Decode(byte[] bytes)
    {
        int end = Array.IndexOf(bytes, (byte)0);
        return Encoding.UTF8.GetString(bytes, 0, end < 0 ? bytes.Length : end).Trim();
    }
}
