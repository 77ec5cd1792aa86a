using System.Text;

namespace Spamp.Backends.Cuda;

/// <summary>
/// How a kernel family variant is put to NVRTC: the command line (target virtual architecture, exact
/// floating-point contraction) and the program text, which carries the variant's definitions.
/// </summary>
/// <remarks>
/// OpenCL receives the definitions as <c>-D</c> options; NVRTC cannot, because it pre-includes its
/// built-in header (math functions, texture templates) before the program, and a <c>-DT=float</c>
/// from the command line rewrites that header's <c>template &lt;class T&gt;</c> into nonsense. The
/// same definitions as <c>#define</c> lines at the top of the program take effect after that header.
/// </remarks>
internal static class CudaCompileOptions
{
    /// <summary>
    /// The options for <paramref name="architecture"/> (80 for compute_80). <c>-fmad=false</c> because
    /// results must not depend on whether the compiler fuses a*b+c (the random stream's contract;
    /// OpenCL gets the same from FP_CONTRACT OFF).
    /// </summary>
    public static string[] For(int architecture) => [$"--gpu-architecture=compute_{architecture}", "-fmad=false"];

    /// <summary>
    /// The program NVRTC compiles: <paramref name="definitions"/> (<c>NAME=value</c>, or <c>NAME</c>,
    /// which is 1 as with <c>-D</c>) as <c>#define</c> lines, then <paramref name="source"/>.
    /// </summary>
    public static string Program(IEnumerable<string> definitions, string source)
    {
        var text = new StringBuilder();
        foreach (string definition in definitions)
        {
            int equals = definition.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? definition : definition[..equals];
            string value = equals < 0 ? "1" : definition[(equals + 1)..];
            text.Append("#define ").Append(name).Append(' ').Append(value).Append('\n');
        }

        return text.Append(source).ToString();
    }

    /// <summary>
    /// The virtual architecture to compile for on a device of compute capability
    /// <paramref name="major"/>.<paramref name="minor"/>: the device's own when this NVRTC knows it,
    /// else the newest older one it knows (PTX is forward-compatible: the driver JIT-compiles
    /// compute_90 PTX for a newer GPU). Throws when the device is older than anything NVRTC supports.
    /// </summary>
    /// <param name="major">Compute capability, major part.</param>
    /// <param name="minor">Compute capability, minor part.</param>
    /// <param name="supported">NVRTC's virtual architectures (see <see cref="Nvrtc.SupportedArchitectures"/>).</param>
    public static int Architecture(int major, int minor, IReadOnlyList<int> supported)
    {
        int device = (major * 10) + minor;
        int best = -1;
        foreach (int architecture in supported)
        {
            if (architecture <= device && architecture > best)
            {
                best = architecture;
            }
        }

        return best >= 0
            ? best
            : throw new NotSupportedException(
                $"a GPU of compute capability {major}.{minor} is older than every architecture this NVRTC compiles for ({string.Join(", ", supported.Select(a => "compute_" + a))})");
    }
}
