using System.Text;

namespace Spamp.Backends.Cuda;

/// <summary>
/// How a kernel family variant is put to NVRTC: the command line (target architecture, exact
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
    /// The options for <paramref name="target"/>. <c>-fmad=false</c> because results must not depend on
    /// whether the compiler fuses a*b+c (the random stream's contract; OpenCL gets the same from
    /// FP_CONTRACT OFF).
    /// </summary>
    public static string[] For(CudaTarget target) => [target.Option, "-fmad=false"];

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
}
