using System.Text;
using static Spamp.Backends.Cuda.CudaDriver;

namespace Spamp.Backends.Cuda;

/// <summary>
/// One CUDA device with its primary context and the backend's one non-blocking stream: everything
/// the backend queues runs in order on that stream, so no events are needed between kernels, and
/// only reading results waits. The primary context is the one the CUDA runtime (and so PyTorch)
/// uses, so memory and modules are shared with any other user of the device in this process.
/// </summary>
internal sealed unsafe class CudaDevice : IDisposable
{
    private nint _context, _stream;

    private CudaDevice(int ordinal)
    {
        int device;
        Check(cuDeviceGet(&device, ordinal), "cuDeviceGet");
        Handle = device;
        Ordinal = ordinal;
        Name = DeviceName(device);
        ComputeMajor = Attribute(device, AttributeComputeCapabilityMajor);
        ComputeMinor = Attribute(device, AttributeComputeCapabilityMinor);
        Multiprocessors = Attribute(device, AttributeMultiprocessorCount);
        MaxThreadsPerBlock = Math.Min(Attribute(device, AttributeMaxThreadsPerBlock), 1024);
        nuint total;
        Check(cuDeviceTotalMem(&total, device), "cuDeviceTotalMem");
        TotalMemory = (long)total;
        int version;
        Check(cuDriverGetVersion(&version), "cuDriverGetVersion");
        DriverVersion = version;

        nint context;
        Check(cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain");
        _context = context;
        try
        {
            MakeCurrent();
            nint stream;
            Check(cuStreamCreate(&stream, StreamNonBlocking), "cuStreamCreate");
            _stream = stream;
        }
        catch
        {
            _ = cuDevicePrimaryCtxRelease(device);
            _context = 0;
            throw;
        }
    }

    /// <summary>The CUdevice handle.</summary>
    public int Handle { get; }

    /// <summary>The device ordinal (<c>Device.Cuda(n)</c>).</summary>
    public int Ordinal { get; }

    /// <summary>The backend's stream.</summary>
    public nint Stream => _stream;

    /// <summary>The device's marketing name.</summary>
    public string Name { get; }

    /// <summary>Compute capability, major part (9 for an H100).</summary>
    public int ComputeMajor { get; }

    /// <summary>Compute capability, minor part.</summary>
    public int ComputeMinor { get; }

    /// <summary>Streaming multiprocessors.</summary>
    public int Multiprocessors { get; }

    /// <summary>The largest block (capped at 1024: no kernel here asks for more).</summary>
    public int MaxThreadsPerBlock { get; }

    /// <summary>Device memory in bytes.</summary>
    public long TotalMemory { get; }

    /// <summary>The driver's CUDA version as cuDriverGetVersion gives it (12040 for 12.4).</summary>
    public int DriverVersion { get; }

    /// <summary>The driver's CUDA version as "major.minor".</summary>
    public string DriverVersionText => $"{DriverVersion / 1000}.{DriverVersion % 1000 / 10}";

    /// <summary>
    /// Makes the primary context current on the calling thread. The driver keeps the current context
    /// per thread, and the backend is called from whatever thread uses a tensor, so every entry point
    /// that calls the driver does this first (it sets a thread-local, nothing more).
    /// </summary>
    public void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_context == 0, this);
        Check(cuCtxSetCurrent(_context), "cuCtxSetCurrent");
    }

    /// <summary>
    /// Opens device <paramref name="index"/>, or says why not: no driver library, cuInit failing, no
    /// such device, no NVRTC to compile the kernels with, or a driver error. Never throws.
    /// </summary>
    public static CudaDevice? TryOpen(int index, out string reason)
    {
        if (!Probe(out int count, out reason))
        {
            return null;
        }

        if (index >= count)
        {
            reason = $"there are {count} CUDA devices; cuda:{index} does not exist";
            return null;
        }

        if (!Nvrtc.TryLoad(out string nvrtc))
        {
            reason = $"the NVIDIA driver reports {count} CUDA device(s), but NVRTC, which compiles the kernels at run time, is missing ({nvrtc}): "
                + "install the CUDA toolkit's libnvrtc or put its directory on LD_LIBRARY_PATH";
            return null;
        }

        try
        {
            reason = "";
            return new CudaDevice(index);
        }
        catch (CudaException e)
        {
            reason = e.Message;
            return null;
        }
    }

    /// <summary>Destroys the stream (after waiting for it) and releases the primary context.</summary>
    public void Dispose()
    {
        if (_context == 0)
        {
            return;
        }

        _ = cuCtxSetCurrent(_context);
        if (_stream != 0)
        {
            _ = cuStreamSynchronize(_stream);
            _ = cuStreamDestroy(_stream);
            _stream = 0;
        }

        _ = cuDevicePrimaryCtxRelease(Handle);
        _context = 0;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name} (compute capability {ComputeMajor}.{ComputeMinor}, {Multiprocessors} SMs, {TotalMemory >> 20} MiB), CUDA driver {DriverVersionText}";

    private static string DeviceName(int device)
    {
        byte* name = stackalloc byte[256];
        Check(cuDeviceGetName(name, 256, device), "cuDeviceGetName");
        int length = 0;
        while (length < 256 && name[length] != 0)
        {
            length++;
        }

        return Encoding.UTF8.GetString(name, length).Trim();
    }

    private static int Attribute(int device, int attribute)
    {
        int value;
        Check(cuDeviceGetAttribute(&value, attribute, device), "cuDeviceGetAttribute");
        return value;
    }
}
