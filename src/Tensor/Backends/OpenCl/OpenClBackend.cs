using Spamp.Backends.Kernels;
using Spamp.Memory;
using static Spamp.Backends.OpenCl.OpenClNative;

namespace Spamp.Backends.OpenCl;

/// <summary>
/// The backend of one OpenCL 1.2 device (any vendor's GPU, or PoCL on the CPU, which is how CI runs
/// these kernels for real). Kernels come from the shared sources in <c>Backends/Kernels</c>,
/// compiled per element type on first use, cached in memory and on disk (<see cref="BinaryCache"/>).
/// Work is enqueued on one in-order queue and never waited for, except when values are read back
/// (<see cref="Download{T}"/>) or <see cref="Synchronize"/> is called: both count in
/// <see cref="Synchronizations"/>.
/// </summary>
public sealed unsafe partial class OpenClBackend : Backend, IDisposable
{
    private const int GroupSize = 256;

    private readonly OpenClDevice _device;
    private readonly OpenClAllocator _allocator;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Family, int Variant), nint> _programs = [];
    private readonly Dictionary<(string Family, int Variant, string Kernel), OpenClKernel> _kernels = [];
    private long _synchronizations;

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

    /// <inheritdoc/>
    public override long Synchronizations => Interlocked.Read(ref _synchronizations);

    /// <summary>The device's name, platform and driver, for logs.</summary>
    public string Description => _device.ToString();

    /// <summary>Whether the device computes in float64 (cl_khr_fp64); without it Float64 tensors cannot be computed on.</summary>
    public bool SupportsFloat64 => _device.HasFp64;

    /// <summary>Waits until every queued command has finished (counts as a synchronisation).</summary>
    public void Synchronize()
    {
        Interlocked.Increment(ref _synchronizations);
        Check(clFinish(_device.Queue), "clFinish");
    }

    /// <summary>Releases the cached buffers, kernels, programs, queue and context. Tensors on this device are unusable afterwards.</summary>
    public void Dispose()
    {
        lock (_gate)
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

    // ---- kernels -------------------------------------------------------------------------------

    /// <summary>The launcher of <paramref name="kernel"/> in <paramref name="family"/> for <paramref name="variant"/> (a dtype, or an element size for the data family). Call under <see cref="_gate"/>.</summary>
    private OpenClKernel Kernel(string family, int variant, string kernel)
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

        launcher = new OpenClKernel(handle, kernel);
        _kernels[(family, variant, kernel)] = launcher;
        return launcher;
    }

    private OpenClKernel Kernel(string family, DType dtype, string kernel) => Kernel(family, (int)dtype, kernel);

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

    private string Options(string family, int variant)
    {
        string scalar = _device.HasFp64 ? "-D SPAMP_FP64 -D SCALAR=double" : "-D SCALAR=float";
        string types = family == "data"
            ? variant switch { 1 => "-D E=uchar", 2 => "-D E=ushort", 4 => "-D E=uint", _ => "-D E=ulong" }
            : family == "random" ? ""
            : family == "cast" ? $"-D SRC_KIND={variant}"
            : family == "indexing" ? IndexingOptions((DType)variant)
            : TypeOptions((DType)variant);
        return $"-cl-std=CL1.2 {scalar} {types}";
    }

    private string TypeOptions(DType dtype) => dtype switch
    {
        DType.Float32 => "-D T=float -D IS_FLOAT=1",
        DType.Float64 when _device.HasFp64 => "-D T=double -D IS_FLOAT=1",
        DType.Float64 => throw new NotSupportedException($"float64: OpenCL device {_device.Name} has no double precision (cl_khr_fp64)"),
        DType.Int32 => "-D T=int -D IS_FLOAT=0 -D T_MIN=(-2147483647-1) -D T_MAX=2147483647",
        DType.Int64 => "-D T=i64 -D IS_FLOAT=0 -D T_MIN=(-9223372036854775807L-1) -D T_MAX=9223372036854775807L",
        DType.Bool => "-D T=uchar -D IS_FLOAT=0 -D T_MIN=0 -D T_MAX=1",
        _ => throw new NotSupportedException($"{dtype.Name()}: the OpenCL backend computes only float32, float64, int32, int64 and bool (half types are computed in float32 by the Tensor API)"),
    };

    // The accumulating index kernels keep sums of bfloat16 in float and combine bools with "or".
    private static string IndexingOptions(DType dtype) => dtype switch
    {
        DType.Float32 => "-D S=float -D A=float",
        DType.Float64 => "-D S=double -D A=double",
        DType.Int32 => "-D S=int -D A=int",
        DType.Int64 => "-D S=i64 -D A=i64",
        DType.BFloat16 => "-D S=ushort -D A=float -D S_BF16",
        DType.Bool => "-D S=uchar -D A=int -D S_BOOL",
        _ => throw new NotSupportedException($"{dtype.Name()}: accumulating index operations take float32, float64, int32, int64, bfloat16 or bool"),
    };

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

    private static int ElementSize(DType dtype) => dtype.SizeOf();
}
