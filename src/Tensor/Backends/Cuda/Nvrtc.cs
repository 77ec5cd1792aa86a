using System.Runtime.InteropServices;
using System.Text;
using Spamp.Backends.Native;

namespace Spamp.Backends.Cuda;

/// <summary>
/// NVRTC, the CUDA run-time compiler (CUDA C source to PTX or machine code), as blittable <c>[LibraryImport]</c>
/// declarations. Any installed major version is accepted (see <see cref="NativeLibraries.Candidates"/>).
/// </summary>
internal static unsafe partial class Nvrtc
{
    private const string Lib = NativeLibraries.Nvrtc;

    /// <summary>NVRTC_ERROR_COMPILATION: the source did not compile; the log says why.</summary>
    public const int ErrorCompilation = 6;

    /// <summary>Loads NVRTC; false with the files tried when no CUDA toolkit (or redistributable NVRTC) is installed.</summary>
    public static bool TryLoad(out string detail) => NativeLibraries.TryLoad(Lib, out detail);

    [LibraryImport(Lib)] public static partial int nvrtcVersion(int* major, int* minor);
    [LibraryImport(Lib)] public static partial int nvrtcGetNumSupportedArchs(int* count);
    [LibraryImport(Lib)] public static partial int nvrtcGetSupportedArchs(int* architectures);
    [LibraryImport(Lib)] public static partial int nvrtcCreateProgram(nint* program, byte* source, byte* name, int numHeaders, byte** headers, byte** includeNames);
    [LibraryImport(Lib)] public static partial int nvrtcDestroyProgram(nint* program);
    [LibraryImport(Lib)] public static partial int nvrtcCompileProgram(nint program, int numOptions, byte** options);
    [LibraryImport(Lib)] public static partial int nvrtcGetPTXSize(nint program, nuint* size);
    [LibraryImport(Lib)] public static partial int nvrtcGetPTX(nint program, byte* ptx);
    [LibraryImport(Lib)] public static partial int nvrtcGetCUBINSize(nint program, nuint* size);
    [LibraryImport(Lib)] public static partial int nvrtcGetCUBIN(nint program, byte* cubin);
    [LibraryImport(Lib)] public static partial int nvrtcGetProgramLogSize(nint program, nuint* size);
    [LibraryImport(Lib)] public static partial int nvrtcGetProgramLog(nint program, byte* log);

    /// <summary>The symbolic name of an nvrtcResult.</summary>
    public static string ErrorName(int result) => result switch
    {
        0 => "NVRTC_SUCCESS",
        1 => "NVRTC_ERROR_OUT_OF_MEMORY",
        2 => "NVRTC_ERROR_PROGRAM_CREATION_FAILURE",
        3 => "NVRTC_ERROR_INVALID_INPUT",
        4 => "NVRTC_ERROR_INVALID_PROGRAM",
        5 => "NVRTC_ERROR_INVALID_OPTION",
        6 => "NVRTC_ERROR_COMPILATION",
        7 => "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE",
        8 => "NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION",
        9 => "NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION",
        10 => "NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID",
        11 => "NVRTC_ERROR_INTERNAL_ERROR",
        _ => "NVRTC_ERROR_UNRECOGNIZED",
    };

    /// <summary>NVRTC's version as "major.minor" (part of the PTX cache key: another compiler writes other PTX).</summary>
    public static string Version()
    {
        int major, minor;
        Check(nvrtcVersion(&major, &minor), "nvrtcVersion");
        return $"{major}.{minor}";
    }

    /// <summary>The virtual architectures this NVRTC compiles for, as numbers (52, 60, ..., 90), ascending.</summary>
    public static int[] SupportedArchitectures()
    {
        int count;
        Check(nvrtcGetNumSupportedArchs(&count), "nvrtcGetNumSupportedArchs");
        var architectures = new int[count];
        fixed (int* a = architectures)
        {
            Check(nvrtcGetSupportedArchs(a), "nvrtcGetSupportedArchs");
        }

        Array.Sort(architectures);
        return architectures;
    }

    /// <summary>Compiles <paramref name="source"/> to NUL-terminated PTX for the virtual architecture in <paramref name="options"/> (see <see cref="Compile"/>).</summary>
    public static byte[] CompileToPtx(string source, string name, IReadOnlyList<string> options) => Compile(source, name, options, cubin: false);

    /// <summary>
    /// Compiles <paramref name="source"/> to an image for cuModuleLoadData: NUL-terminated PTX for a
    /// virtual architecture (<c>--gpu-architecture=compute_XY</c>), or, with <paramref name="cubin"/>,
    /// machine code for a real one (<c>sm_XY</c>). A failed compilation throws a
    /// <see cref="CudaException"/> whose message holds the full log.
    /// </summary>
    public static byte[] Compile(string source, string name, IReadOnlyList<string> options, bool cubin)
    {
        byte[] src = Utf8Z(source), programName = Utf8Z(name);
        byte[][] opts = [.. options.Select(Utf8Z)];
        var handles = new GCHandle[opts.Length];
        var pointers = new nint[opts.Length];
        nint program = 0;
        try
        {
            for (int i = 0; i < opts.Length; i++)
            {
                handles[i] = GCHandle.Alloc(opts[i], GCHandleType.Pinned);
                pointers[i] = handles[i].AddrOfPinnedObject();
            }

            fixed (byte* s = src, n = programName)
            {
                Check(nvrtcCreateProgram(&program, s, n, 0, null, null), "nvrtcCreateProgram");
            }

            int status;
            fixed (nint* o = pointers)
            {
                status = nvrtcCompileProgram(program, opts.Length, (byte**)o);
            }

            if (status != 0)
            {
                throw new CudaException(status, $"nvrtcCompileProgram({name})", $"{ErrorName(status)}\n{Log(program)}");
            }

            nuint size;
            Check(cubin ? nvrtcGetCUBINSize(program, &size) : nvrtcGetPTXSize(program, &size), cubin ? "nvrtcGetCUBINSize" : "nvrtcGetPTXSize");
            var image = new byte[(int)size];
            fixed (byte* p = image)
            {
                Check(cubin ? nvrtcGetCUBIN(program, p) : nvrtcGetPTX(program, p), cubin ? "nvrtcGetCUBIN" : "nvrtcGetPTX");
            }

            return image;
        }
        finally
        {
            if (program != 0)
            {
                _ = nvrtcDestroyProgram(&program);
            }

            foreach (var handle in handles)
            {
                if (handle.IsAllocated)
                {
                    handle.Free();
                }
            }
        }
    }

    private static string Log(nint program)
    {
        nuint size;
        if (nvrtcGetProgramLogSize(program, &size) != 0 || size <= 1)
        {
            return "";
        }

        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
        {
            return nvrtcGetProgramLog(program, p) == 0 ? Encoding.UTF8.GetString(bytes, 0, bytes.Length - 1) : "";
        }
    }

    private static void Check(int result, string call)
    {
        if (result != 0)
        {
            throw new CudaException(result, call, ErrorName(result));
        }
    }

    private static byte[] Utf8Z(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }
}
