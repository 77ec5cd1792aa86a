using static Spamp.Backends.OpenCl.OpenClNative;

namespace Spamp.Backends.OpenCl;

/// <summary>
/// One OpenCL device with its context and in-order command queue: everything the backend enqueues
/// runs in order, so no events are needed between kernels, and only reading results waits.
/// Devices are numbered over all platforms in enumeration order.
/// </summary>
internal sealed unsafe class OpenClDevice : IDisposable
{
    private nint _context, _queue;

    private OpenClDevice(nint platform, nint device)
    {
        Platform = platform;
        Handle = device;
        Name = DeviceString(device, DeviceName);
        PlatformDescription = $"{PlatformString(platform, PlatformName)} ({PlatformString(platform, PlatformVersion)})";
        DriverVersion = OpenClNative.DeviceString(device, OpenClNative.DriverVersion);
        Extensions = DeviceString(device, DeviceExtensions);
        HasFp64 = Extensions.Contains("cl_khr_fp64", StringComparison.Ordinal);
        MaxWorkGroupSize = (int)Math.Min(DeviceValue<nuint>(device, DeviceMaxWorkGroupSize), 1024);
        int status;
        nint handle = device;
        _context = clCreateContext(null, 1, &handle, 0, 0, &status);
        Check(status, "clCreateContext");
        _queue = clCreateCommandQueue(_context, device, 0, &status);
        if (status != 0)
        {
            _ = clReleaseContext(_context);
            throw new OpenClException(status, "clCreateCommandQueue");
        }
    }

    /// <summary>The platform handle.</summary>
    public nint Platform { get; }

    /// <summary>The device handle.</summary>
    public nint Handle { get; }

    /// <summary>The context (one per device).</summary>
    public nint Context => _context;

    /// <summary>The in-order command queue.</summary>
    public nint Queue => _queue;

    /// <summary>CL_DEVICE_NAME.</summary>
    public string Name { get; }

    /// <summary>Platform name and version.</summary>
    public string PlatformDescription { get; }

    /// <summary>CL_DRIVER_VERSION (part of the compiled-binary cache key).</summary>
    public string DriverVersion { get; }

    /// <summary>CL_DEVICE_EXTENSIONS.</summary>
    public string Extensions { get; }

    /// <summary>Whether the device computes in double precision (cl_khr_fp64).</summary>
    public bool HasFp64 { get; }

    /// <summary>The largest work-group the device runs (capped at 1024: no kernel here asks for more).</summary>
    public int MaxWorkGroupSize { get; }

    /// <summary>Every (platform, device) pair, in the order <c>Device.OpenCl(i)</c> numbers them.</summary>
    public static List<(nint Platform, nint Device)> Enumerate()
    {
        var all = new List<(nint, nint)>();
        foreach (nint platform in Platforms())
        {
            foreach (nint device in Devices(platform))
            {
                all.Add((platform, device));
            }
        }

        return all;
    }

    /// <summary>
    /// Opens device <paramref name="index"/>, or says why not: no ICD loader, no platform (no vendor
    /// file), no such device, or a driver error. Never throws.
    /// </summary>
    public static OpenClDevice? TryOpen(int index, out string reason)
    {
        if (!TryLoad(out string detail))
        {
            reason = $"{detail}: no OpenCL ICD loader (install ocl-icd-libopencl1 and a driver such as pocl-opencl-icd)";
            return null;
        }

        try
        {
            var devices = Enumerate();
            if (devices.Count == 0)
            {
                reason = "the OpenCL ICD loader found no platform with a device (is a vendor file installed in /etc/OpenCL/vendors?)";
                return null;
            }

            if (index >= devices.Count)
            {
                reason = $"there are {devices.Count} OpenCL devices; opencl:{index} does not exist";
                return null;
            }

            reason = "";
            return new OpenClDevice(devices[index].Platform, devices[index].Device);
        }
        catch (OpenClException e)
        {
            reason = e.Message;
            return null;
        }
    }

    /// <summary>Releases the queue and the context (after waiting for queued work).</summary>
    public void Dispose()
    {
        if (_queue != 0)
        {
            _ = clFinish(_queue);
            _ = clReleaseCommandQueue(_queue);
            _queue = 0;
        }

        if (_context != 0)
        {
            _ = clReleaseContext(_context);
            _context = 0;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} on {PlatformDescription}, driver {DriverVersion}";
}
