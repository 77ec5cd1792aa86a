using System.Runtime.InteropServices;
using Spamp.Backends.Gpu;
using Spamp.Backends.Kernels;
using Spamp.Memory;
using static Spamp.Backends.Cuda.CudaDriver;

namespace Spamp.Backends.Cuda;

/// <summary>
/// The backend of one NVIDIA GPU through the CUDA driver API. The primitives are
/// <see cref="GpuBackend"/>'s; this class is the driver under them: the shared kernel sources of
/// <c>Backends/Kernels</c> compiled as CUDA C by NVRTC per variant on first use (to machine code
/// for this GPU, or PTX, see <see cref="CudaTarget"/>; cached on disk by <see cref="BinaryCache"/>),
/// loaded as modules kept in memory, and launched on one
/// non-blocking stream that is never waited for except to read values back.
/// </summary>
public sealed unsafe class CudaBackend : GpuBackend, IDisposable
{
    private readonly CudaDevice _device;
    private readonly CudaAllocator _allocator;
    private readonly CudaTarget _target;
    private readonly string _nvrtcVersion;
    private readonly Dictionary<(string Family, int Variant), nint> _modules = [];
    private readonly Dictionary<(string Family, int Variant, string Kernel), CudaKernel> _kernels = [];
    private bool _disposed;

    private CudaBackend(Device device, CudaDevice cuda)
    {
        Device = device;
        _device = cuda;
        _allocator = new CudaAllocator(cuda);
        _nvrtcVersion = Nvrtc.Version();
        _target = CudaTarget.For(cuda.ComputeMajor, cuda.ComputeMinor, Nvrtc.SupportedArchitectures());
    }

    /// <summary>
    /// The registry's factory: the backend of CUDA device <paramref name="index"/>, or null with the
    /// reason (no driver, cuInit failing, no such device, no NVRTC, a driver error).
    /// </summary>
    internal static (Backend? Backend, string Reason) Create(int index)
    {
        CudaDevice? device = CudaDevice.TryOpen(index, out string reason);
        if (device is null)
        {
            return (null, reason);
        }

        try
        {
            return (new CudaBackend(Device.Cuda(index), device), "");
        }
        catch (Exception e) when (e is CudaException or NotSupportedException)
        {
            device.Dispose();
            return (null, e.Message);
        }
        catch (EntryPointNotFoundException e)
        {
            // NVRTC 11.0 and 11.1 cannot list their architectures.
            device.Dispose();
            return (null, $"this NVRTC is too old (11.2 or newer is needed): {e.Message}");
        }
    }

    /// <inheritdoc/>
    public override Device Device { get; }

    /// <inheritdoc/>
    public override CachingAllocator Allocator => _allocator;

    /// <summary>The device, its compute capability, the driver, NVRTC and what kernels are compiled for, for logs.</summary>
    public string Description => $"{_device}, NVRTC {_nvrtcVersion}, kernels compiled for {_target}";

    /// <inheritdoc/>
    public override string DeviceName => _device.Name;

    /// <inheritdoc/>
    /// <remarks>Every GPU NVRTC can target computes in double precision (slowly on consumer parts).</remarks>
    public override bool SupportsFloat64 => true;

    private protected override int MaxGroupSize => _device.MaxThreadsPerBlock;

    private protected override void WaitForQueue()
    {
        _device.MakeCurrent();
        Check(cuStreamSynchronize(_device.Stream), "cuStreamSynchronize");
    }

    /// <summary>Releases the cached buffers, launchers, modules, stream and context. Tensors on this device are unusable afterwards.</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _device.MakeCurrent();
            _ = cuStreamSynchronize(_device.Stream);
            _allocator.EmptyCache();
            foreach (var kernel in _kernels.Values)
            {
                kernel.Dispose();
            }

            foreach (nint module in _modules.Values)
            {
                _ = cuModuleUnload(module);
            }

            _kernels.Clear();
            _modules.Clear();
            _device.Dispose();
        }
    }

    // ---- memory --------------------------------------------------------------------------------

    private protected override void WriteBytes(Storage dst, long byteOffset, void* source, long bytes)
    {
        _device.MakeCurrent();
        Check(cuMemcpyHtoDAsync(Pointer(dst, byteOffset), source, (nuint)bytes, _device.Stream), "cuMemcpyHtoDAsync");
        // The caller may free its span on return: from pageable memory the driver stages the bytes
        // before returning, but only the stream's completion is documented to mean the copy is done.
        Check(cuStreamSynchronize(_device.Stream), "cuStreamSynchronize");
    }

    private protected override void ReadBytes(Storage src, long byteOffset, void* destination, long bytes)
    {
        _device.MakeCurrent();
        Check(cuMemcpyDtoHAsync(destination, Pointer(src, byteOffset), (nuint)bytes, _device.Stream), "cuMemcpyDtoHAsync");
        Check(cuStreamSynchronize(_device.Stream), "cuStreamSynchronize");
    }

    private protected override void CopyBytes(Storage src, long srcByteOffset, Storage dst, long dstByteOffset, long bytes)
    {
        _device.MakeCurrent();
        Check(cuMemcpyDtoDAsync(Pointer(dst, dstByteOffset), Pointer(src, srcByteOffset), (nuint)bytes, _device.Stream), "cuMemcpyDtoDAsync");
    }

    private protected override void FillBytes(Storage dst, long byteOffset, void* pattern, int patternSize, long bytes)
    {
        _device.MakeCurrent();
        ulong at = Pointer(dst, byteOffset);
        // The memsets count elements of their width; offsets are whole elements of a 256-byte aligned
        // allocation, so each destination is aligned as cuMemsetD16/D32 require.
        switch (patternSize)
        {
            case 1: Check(cuMemsetD8Async(at, *(byte*)pattern, (nuint)bytes, _device.Stream), "cuMemsetD8Async"); break;
            case 2: Check(cuMemsetD16Async(at, *(ushort*)pattern, (nuint)(bytes / 2), _device.Stream), "cuMemsetD16Async"); break;
            case 4: Check(cuMemsetD32Async(at, *(uint*)pattern, (nuint)(bytes / 4), _device.Stream), "cuMemsetD32Async"); break;
            case 8: FillWords(dst, byteOffset, *(ulong*)pattern, bytes / 8); break;
            default: throw new ArgumentOutOfRangeException(nameof(patternSize), patternSize, "fill patterns are 1, 2, 4 or 8 bytes");
        }
    }

    // The driver has no 64-bit memset: the data family's fill kernel, over a contiguous range.
    private void FillWords(Storage dst, long byteOffset, ulong bits, long count)
    {
        Dims8 shape = default, strides = default;
        shape[0] = checked((int)count);
        strides[0] = 1;
        Kernel("data", sizeof(ulong), "fill_strided").Begin()
            .Buffer(dst).Value(checked((int)(byteOffset / sizeof(ulong)))).Value(strides).Value(shape).Value(1).Value((int)count).Value(bits)
            .Launch1D(count, GroupSize);
    }

    private static ulong Pointer(Storage storage, long byteOffset) => ((CudaBuffer)storage.Buffer).Pointer + (ulong)byteOffset;

    // ---- kernels -------------------------------------------------------------------------------

    /// <inheritdoc/>
    private protected override GpuKernel Kernel(string family, int variant, string kernel)
    {
        _device.MakeCurrent();
        if (_kernels.TryGetValue((family, variant, kernel), out var launcher))
        {
            return launcher;
        }

        nint module = Module(family, variant);
        byte[] name = Utf8Z(kernel);
        nint function;
        int result;
        fixed (byte* n = name)
        {
            result = cuModuleGetFunction(&function, module, n);
        }

        if (result != 0)
        {
            throw new CudaException(result, $"cuModuleGetFunction({kernel} of {family}.cl)", DriverText(result));
        }

        launcher = new CudaKernel(function, kernel, _device.Stream);
        _kernels[(family, variant, kernel)] = launcher;
        return launcher;
    }

    private nint Module(string family, int variant)
    {
        if (_modules.TryGetValue((family, variant), out nint module))
        {
            return module;
        }

        string source = CudaCompileOptions.Program(Definitions(family, variant), KernelSource.For(KernelDialect.Cuda, family));
        string[] options = CudaCompileOptions.For(_target);
        string key = BinaryCache.Key(
            source, string.Join(' ', options),
            $"{_device.Name}|sm_{_device.ComputeMajor}{_device.ComputeMinor}",
            $"CUDA driver {_device.DriverVersion}|NVRTC {_nvrtcVersion}");
        module = 0;
        if (BinaryCache.TryRead(key) is { } cached)
        {
            module = Loadable(cached) ? Load(cached, out _, out _) : 0;
            if (module == 0)
            {
                BinaryCache.Forget(key);
            }
        }

        if (module == 0)
        {
            byte[] image = Nvrtc.Compile(source, family + ".cu", options, _target.MachineCode);
            module = Load(image, out int result, out string log);
            if (module == 0)
            {
                throw new CudaException(result, $"cuModuleLoadData({family}.cl for {_target})", $"{DriverText(result)}{LoadHint(result)}\n{log}");
            }

            BinaryCache.Write(key, image);
        }

        _modules[(family, variant)] = module;
        return module;
    }

    // A cached image fit to hand to the driver: an ELF cubin, or PTX, which the driver reads up to
    // its NUL (a truncated file must not send it reading past the end).
    private bool Loadable(byte[] image) => _target.MachineCode
        ? image is [0x7F, (byte)'E', (byte)'L', (byte)'F', ..]
        : image is [.., 0];

    // Loads a cubin, or PTX the driver JIT-compiles for this GPU; 0 with the result and the driver's
    // log when it rejects the image.
    private static nint Load(byte[] image, out int result, out string log)
    {
        const int LogSize = 8192;
        byte* buffer = stackalloc byte[LogSize];
        buffer[0] = 0;
        int* options = stackalloc int[2] { JitErrorLogBuffer, JitErrorLogBufferSizeBytes };
        void** values = stackalloc void*[2] { buffer, (void*)LogSize };
        nint module;
        fixed (byte* pointer = image)
        {
            result = cuModuleLoadDataEx(&module, pointer, 2, options, values);
        }

        log = Marshal.PtrToStringUTF8((nint)buffer) ?? "";
        return result == 0 ? module : 0;
    }

    private string LoadHint(int result) => result == 222 /* CUDA_ERROR_UNSUPPORTED_PTX_VERSION */
        ? $" (NVRTC {_nvrtcVersion} writes PTX newer than CUDA driver {_device.DriverVersionText} reads: use an NVRTC no newer than the driver)"
        : "";

    private static byte[] Utf8Z(string text)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(text) + 1];
        System.Text.Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }
}
