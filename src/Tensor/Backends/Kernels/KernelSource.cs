using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Spamp.Backends.Gpu;

namespace Spamp.Backends.Kernels;

/// <summary>The C dialect a kernel source is compiled as.</summary>
internal enum KernelDialect
{
    /// <summary>OpenCL C 1.2, through clBuildProgram.</summary>
    OpenCl,

    /// <summary>CUDA C, through NVRTC.</summary>
    Cuda,
}

/// <summary>
/// The kernel sources: one file per operation family (<c>data.cl</c>, <c>elementwise.cl</c>, ...),
/// embedded in this assembly, written once against the macros of a small per-dialect prelude.
/// A compilable unit is prelude + operation codes + <c>common.h</c> + the family's file, in which
/// <c>#include "file.h"</c> lines are replaced by that embedded file (helpers that some families
/// share, such as the Philox generator), since neither compiler is given a file system to search.
/// </summary>
internal static partial class KernelSource
{
    private static readonly ConcurrentDictionary<(KernelDialect, string), string> Assembled = new();

    // A family that extends another: its unit holds the other family's file first (helpers it reuses).
    private static readonly Dictionary<string, string> Extends = new() { ["optimizer_step"] = "optimizer" };

    /// <summary>The complete source of <paramref name="family"/> (a file name without <c>.cl</c>) for <paramref name="dialect"/>.</summary>
    public static string For(KernelDialect dialect, string family) =>
        Assembled.GetOrAdd((dialect, family), key =>
        {
            var text = new StringBuilder();
            text.Append(Resource(key.Item1 == KernelDialect.OpenCl ? "prelude_opencl.h" : "prelude_cuda.h")).Append('\n');
            text.Append(OperationCodes()).Append('\n');
            text.Append(Resource("common.h")).Append('\n');
            if (Extends.TryGetValue(key.Item2, out string? basis))
            {
                text.Append(Expanded(basis + ".cl")).Append('\n');
            }

            text.Append(Expanded(key.Item2 + ".cl"));
            return text.ToString();
        });

    /// <summary>
    /// <c>#define UNARY_Exp 3</c> and so on for every operation enum: kernels switch on the same
    /// integer values the host passes, from one definition.
    /// </summary>
    public static string OperationCodes()
    {
        var text = new StringBuilder();
        Append<UnaryOp>("UNARY");
        Append<BinaryOp>("BINARY");
        Append<CompareOp>("COMPARE");
        Append<ReduceOp>("REDUCE");
        Append<DType>("DTYPE");
        Append<ShrinkFunction>("SHRINK");
        Append<StepSlot>("STEP_SLOT");
        Append<SpampSlot>("SPAMP_SLOT");
        return text.ToString();

        void Append<TEnum>(string prefix) where TEnum : struct, Enum
        {
            foreach (TEnum value in Enum.GetValues<TEnum>())
            {
                text.Append("#define ").Append(prefix).Append('_').Append(value.ToString())
                    .Append(' ').Append(Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
            }
        }
    }

    /// <summary>The text of an embedded kernel file with its <c>#include "file.h"</c> lines replaced by those files (recursively).</summary>
    public static string Expanded(string file) =>
        Include().Replace(Resource(file), match => Expanded(match.Groups[1].Value));

    [GeneratedRegex("^[ \\t]*#include[ \\t]+\"([^\"]+)\"[ \\t]*$", RegexOptions.Multiline)]
    private static partial Regex Include();

    /// <summary>The text of an embedded kernel file.</summary>
    public static string Resource(string file)
    {
        using Stream stream = typeof(KernelSource).Assembly.GetManifestResourceStream("Kernels/" + file)
            ?? throw new InvalidOperationException($"kernel source Kernels/{file} is not embedded in {typeof(KernelSource).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>Every kernel family embedded in this assembly (the <c>*.cl</c> files, without the extension), sorted.</summary>
    public static IReadOnlyList<string> Families() =>
        [.. typeof(KernelSource).Assembly.GetManifestResourceNames()
            .Where(r => r.StartsWith("Kernels/", StringComparison.Ordinal) && r.EndsWith(".cl", StringComparison.Ordinal))
            .Select(r => r["Kernels/".Length..^".cl".Length])
            .Order(StringComparer.Ordinal)];
}
