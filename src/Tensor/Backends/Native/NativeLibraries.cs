using System.Reflection;
using System.Runtime.InteropServices;

namespace Spamp.Backends.Native;

/// <summary>
/// Finds the GPU drivers' shared libraries. The <c>[LibraryImport]</c> declarations name logical
/// libraries (<see cref="OpenCl"/>, <see cref="Cuda"/>, <see cref="Nvrtc"/>); one resolver for the
/// whole assembly (.NET allows only one) maps each to the first file of its candidate list that
/// loads, so a missing driver is found by <see cref="TryLoad"/> with a readable reason instead of
/// surfacing as a <see cref="DllNotFoundException"/> from the middle of a tensor operation.
/// </summary>
internal static class NativeLibraries
{
    /// <summary>Logical name of the OpenCL ICD loader.</summary>
    public const string OpenCl = "spamp-opencl";

    /// <summary>Logical name of the CUDA driver API.</summary>
    public const string Cuda = "spamp-cuda";

    /// <summary>Logical name of the CUDA run-time compiler.</summary>
    public const string Nvrtc = "spamp-nvrtc";

    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, (nint Handle, string Detail)> Loaded = [];
    private static bool _resolverSet;

    /// <summary>The files tried for a logical library on this operating system, in order.</summary>
    public static IReadOnlyList<string> Candidates(string library)
    {
        bool windows = OperatingSystem.IsWindows(), mac = OperatingSystem.IsMacOS();
        return library switch
        {
            OpenCl when windows => ["OpenCL.dll"],
            OpenCl when mac => ["/System/Library/Frameworks/OpenCL.framework/OpenCL"],
            OpenCl => ["libOpenCL.so.1", "libOpenCL.so"],
            Cuda when windows => ["nvcuda.dll"],
            Cuda => ["libcuda.so.1", "libcuda.so"],
            // NVRTC's soname carries the toolkit's major version; any installed one will do, newest first.
            Nvrtc when windows => ["nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll", "nvrtc64_111_0.dll", "nvrtc64_110_0.dll"],
            Nvrtc => ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so.11.1", "libnvrtc.so.11.0", "libnvrtc.so"],
            _ => throw new ArgumentOutOfRangeException(nameof(library), library, "unknown native library"),
        };
    }

    /// <summary>
    /// Loads <paramref name="library"/> (once; the answer is remembered). On success
    /// <paramref name="detail"/> is the file that loaded; otherwise it says which files were tried.
    /// </summary>
    public static bool TryLoad(string library, out string detail)
    {
        lock (Gate)
        {
            if (!_resolverSet)
            {
                NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
                _resolverSet = true;
            }

            if (!Loaded.TryGetValue(library, out var entry))
            {
                entry = (0, "");
                var candidates = Candidates(library);
                foreach (string file in candidates)
                {
                    if (NativeLibrary.TryLoad(file, out nint handle))
                    {
                        entry = (handle, file);
                        break;
                    }
                }

                if (entry.Handle == 0)
                {
                    entry = (0, $"{string.Join(", ", candidates)} not found");
                }

                Loaded[library] = entry;
            }

            detail = entry.Detail;
            return entry.Handle != 0;
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name is not (OpenCl or Cuda or Nvrtc))
        {
            return 0;
        }

        return TryLoad(name, out _) ? Loaded[name].Handle : 0;
    }
}
