using Spamp.Backends.Gpu;
using Spamp.Backends.Kernels;
using Spamp.Memory;
using static Spamp.Backends.OpenCl.OpenClNative;

namespace Spamp.Backends.OpenCl;

/// <summary>
/// The backend of one OpenCL 1.2 device (any vendor's GPU, or PoCL on the CPU, which is how CI runs
/// these kernels for real). The primitives are <see cref="GpuBackend"/>'s; this class is the driver
/// under them: kernels from the shared sources in <c>Backends/Kernels</c>, compiled per element type
/// on first use and cached in memory and on disk (<see cref="BinaryCache"/>), launched on one in-order
/// command queue that is never waited for except to read values back.
/// </summary>
public sealed unsafe class OpenClBackend : GpuBackend, IDisposable
{
    private readonly OpenClDevice _device;
    private readonly OpenClAllocator _allocator;
    private readonly Dictionary<(string Family, int Variant), nint> _programs = [];
    private readonly Dictionary<(string Family, int Variant, string Kernel), OpenClKernel> _kernels = [];

    private OpenClBackend(Device device, OpenClDevice openCl)
    {
        Device = device;
        _device = openCl;
        _allocator = new OpenClAllocator(openCl);
    }

    /// <summary>
    /// The registry's factory: the backend of OpenCL device <paramref name="index"/>, or null with
    /// the reason (no loader, no platform, no such device).
    /// </summary>
    internal static (Backend? Backend, string Reason) Create(int index)
    {
        OpenClDevice? device = OpenClDevice.TryOpen(index, out string reason);
        return device is null ? (null, reason) : (new OpenClBackend(Device.OpenCl(index), device), "");
    }

    /// <inheritdoc/>
    public override Device Device { get; }

    /// <inheritdoc/>
    public override CachingAllocator Allocator => _allocator;

    /// <summary>The device's name, platform and driver, for logs.</summary>
    public string Description => _device.ToString();

    /// <inheritdoc/>
    public override string DeviceName => _device.Name;

    /// <inheritdoc/>
    /// <remarks>OpenCL devices compute in float64 only with the cl_khr_fp64 extension.</remarks>
    public override bool SupportsFloat64 => _device.HasFp64;

    private protected override int MaxGroupSize => _device.MaxWorkGroupSize;

    private protected override void WaitForQueue() => Check(clFinish(_device.Queue), "clFinish");

    /// <summary>Releases the cached buffers, kernels, programs, queue and context. Tensors on this device are unusable afterwards.</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            _ = clFinish(_device.Queue);
            _allocator.EmptyCache();
            foreach (var kernel in _kernels.Values)
            {
                kernel.Dispose();
            }

            foreach (nint program in _programs.Values)
            {
                _ = clReleaseProgram(program);
            }

            _kernels.Clear();
            _programs.Clear();
            _device.Dispose();
        }
    }

    // ---- memory --------------------------------------------------------------------------------

    private protected override void WriteBytes(Storage dst, long byteOffset, void* source, long bytes) =>
        Check(clEnqueueWriteBuffer(_device.Queue, Buf(dst).Memory, True, (nuint)byteOffset, (nuint)bytes, source, 0, null, null), "clEnqueueWriteBuffer");

    private protected override void ReadBytes(Storage src, long byteOffset, void* destination, long bytes) =>
        Check(clEnqueueReadBuffer(_device.Queue, Buf(src).Memory, True, (nuint)byteOffset, (nuint)bytes, destination, 0, null, null), "clEnqueueReadBuffer");

    private protected override void CopyBytes(Storage src, long srcByteOffset, Storage dst, long dstByteOffset, long bytes) =>
        Check(clEnqueueCopyBuffer(_device.Queue, Buf(src).Memory, Buf(dst).Memory, (nuint)srcByteOffset, (nuint)dstByteOffset, (nuint)bytes, 0, null, null), "clEnqueueCopyBuffer");

    private protected override void FillBytes(Storage dst, long byteOffset, void* pattern, int patternSize, long bytes) =>
        Check(clEnqueueFillBuffer(_device.Queue, Buf(dst).Memory, pattern, (nuint)patternSize, (nuint)byteOffset, (nuint)bytes, 0, null, null), "clEnqueueFillBuffer");

    // ---- kernels -------------------------------------------------------------------------------

    /// <inheritdoc/>
    private protected override GpuKernel Kernel(string family, int variant, string kernel)
    {
        if (_kernels.TryGetValue((family, variant, kernel), out var launcher))
        {
            return launcher;
        }

        nint program = Program(family, variant);
        byte[] name = Utf8Z(kernel);
        int status;
        nint handle;
        fixed (byte* n = name)
        {
            handle = clCreateKernel(program, n, &status);
        }

        if (status != 0)
        {
            throw new OpenClException(status, "clCreateKernel", $"kernel {kernel} of {family}.cl");
        }

        launcher = new OpenClKernel(handle, kernel, _device.Queue);
        _kernels[(family, variant, kernel)] = launcher;
        return launcher;
    }

    private nint Program(string family, int variant)
    {
        if (_programs.TryGetValue((family, variant), out nint program))
        {
            return program;
        }

        string source = KernelSource.For(KernelDialect.OpenCl, family);
        string options = Options(family, variant);
        string key = BinaryCache.Key(source, options, _device.Name + "|" + _device.PlatformDescription, _device.DriverVersion);
        program = 0;
        if (BinaryCache.TryRead(key) is { } binary)
        {
            program = FromBinary(binary, options);
            if (program == 0)
            {
                BinaryCache.Forget(key);
            }
        }

        if (program == 0)
        {
            program = FromSource(source, options, family);
            if (StoredBinary(program) is { } built)
            {
                BinaryCache.Write(key, built);
            }
        }

        _programs[(family, variant)] = program;
        return program;
    }

    // OpenCL C 1.2 with the family's definitions as -D options.
    private string Options(string family, int variant) =>
        "-cl-std=CL1.2 " + string.Join(' ', Definitions(family, variant).Select(d => "-D " + d));

    /// <summary>Compiles an OpenCL program from source for this device; a failure carries the options and the compiler's full log.</summary>
    internal nint FromSource(string source, string options, string family)
    {
        byte[] text = Utf8Z(source);
        int status;
        nint program;
        fixed (byte* s = text)
        {
            byte* strings = s;
            program = clCreateProgramWithSource(_device.Context, 1, &strings, null, &status);
        }

        Check(status, "clCreateProgramWithSource");
        if (Build(program, options) is { } failure)
        {
            string log = BuildLog(program, _device.Handle);
            _ = clReleaseProgram(program);
            throw new OpenClException(failure, $"clBuildProgram({family}.cl)", $"options: {options}\ncompiler log:\n{log}");
        }

        return program;
    }

    // A program from a cached binary, or 0 when the driver rejects it (then the source is compiled).
    private nint FromBinary(byte[] binary, string options)
    {
        int status, binaryStatus;
        nint program;
        nint device = _device.Handle;
        nuint length = (nuint)binary.Length;
        fixed (byte* b = binary)
        {
            byte* pointer = b;
            program = clCreateProgramWithBinary(_device.Context, 1, &device, &length, &pointer, &binaryStatus, &status);
        }

        if (status != 0 || binaryStatus != 0)
        {
            if (program != 0)
            {
                _ = clReleaseProgram(program);
            }

            return 0;
        }

        if (Build(program, options) is not null)
        {
            _ = clReleaseProgram(program);
            return 0;
        }

        return program;
    }

    private int? Build(nint program, string options)
    {
        byte[] opts = Utf8Z(options);
        nint device = _device.Handle;
        fixed (byte* o = opts)
        {
            int status = clBuildProgram(program, 1, &device, o, 0, 0);
            return status == 0 ? null : status;
        }
    }

    private static byte[]? StoredBinary(nint program)
    {
        nuint size;
        if (clGetProgramInfo(program, ProgramBinarySizes, (nuint)sizeof(nuint), &size, null) != 0 || size == 0)
        {
            return null;
        }

        var binary = new byte[(int)size];
        fixed (byte* b = binary)
        {
            byte* pointer = b;
            return clGetProgramInfo(program, ProgramBinaries, (nuint)sizeof(nint), &pointer, null) == 0 ? binary : null;
        }
    }

    private static OpenClBuffer Buf(Storage storage) => (OpenClBuffer)storage.Buffer;

}
