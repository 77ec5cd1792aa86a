using System.Text;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Spamp.Backends.Cuda;
using Spamp.Backends.Gpu;
using Spamp.Backends.Kernels;

namespace Spamp.Tests.Backends;

/// <summary>
/// Every embedded kernel family, in every variant the GPU backends ask for, compiled as CUDA C to PTX
/// by NVRTC exactly as <see cref="CudaBackend"/> compiles it (same prelude, definitions and options).
/// NVRTC needs no GPU, so this runs wherever libnvrtc is installed and catches CUDA-only breakage of
/// the shared sources (which the OpenCL tests on PoCL cannot see) before anything reaches a device.
/// </summary>
public sealed partial class CudaKernelCompileTests
{
    /// <summary>The fixed target: compute_80 (A100), well inside every NVRTC from 11.2 on.</summary>
    private const int Architecture = 80;

    public static IEnumerable<string> Families() => KernelSource.Families();

    [Test]
    public void EveryKernelFileIsCompiledHere()
    {
        Assert.That(Families(), Is.SupersetOf(new[] { "cast", "data", "elementwise", "indexing", "matmul", "random", "reduce", "softmax" }));
    }

    [TestCaseSource(nameof(Families))]
    public void EveryVariantCompilesToPtx(string family)
    {
        Assume.That(Nvrtc.TryLoad(out string detail), Is.True, $"NVRTC does not load ({detail}); install libnvrtc to compile-check the CUDA kernels");
        // Kernels named in the file (not those a macro names): each must be in some variant's PTX.
        string[] kernels = [.. KernelNames().Matches(KernelSource.Resource(family + ".cl")).Select(m => m.Groups[1].Value).Where(n => n.Any(char.IsLower))];
        var compiled = new HashSet<string>();
        var failures = new StringBuilder();
        var variants = KernelVariants.For(family);
        foreach (int variant in variants)
        {
            string[] definitions = KernelVariants.Definitions(family, variant, fp64: true, "NVRTC compile test");
            string source = CudaCompileOptions.Program(definitions, KernelSource.For(KernelDialect.Cuda, family));
            string[] options = CudaCompileOptions.For(Architecture);
            try
            {
                string ptx = Encoding.ASCII.GetString(Nvrtc.CompileToPtx(source, family + ".cu", options)).TrimEnd('\0');
                string[] entries = [.. PtxEntries().Matches(ptx).Select(m => m.Groups[1].Value)];
                Assert.That(entries, Is.Not.Empty, $"{family} variant {variant}: PTX entry points");
                compiled.UnionWith(entries);
                TestContext.Out.WriteLine($"{family} variant {variant}: {entries.Length} kernels, {ptx.Length} bytes of PTX ({string.Join(' ', definitions)})");
            }
            catch (CudaException e)
            {
                failures.AppendLine($"---- {family} variant {variant}, definitions {string.Join(' ', definitions)}, options {string.Join(' ', options)}\n{e.Message}");
            }
        }

        Assert.That(failures.ToString(), Is.Empty, $"NVRTC {Nvrtc.Version()} rejected {family}.cl");
        // A variant may leave kernels out by #if (the gradients of integer types), but none is lost everywhere.
        Assert.That(compiled, Is.SupersetOf(kernels), $"{family}.cl: kernels in no variant's PTX");
    }

    [Test]
    public void ACompileErrorCarriesTheLog()
    {
        Assume.That(Nvrtc.TryLoad(out string detail), Is.True, $"NVRTC does not load ({detail})");
        var e = Assert.Throws<CudaException>(() => Nvrtc.CompileToPtx(
            "extern \"C\" __global__ void broken(float* x) { x[0] = undefined_name; }", "broken.cu", CudaCompileOptions.For(Architecture)));
        Assert.That(e!.Message, Does.Contain("NVRTC_ERROR_COMPILATION"));
        Assert.That(e.Message, Does.Contain("undefined_name"), "the compiler's log is in the message");
    }

    [Test]
    public void NvrtcListsTheArchitecturesItTargets()
    {
        Assume.That(Nvrtc.TryLoad(out string detail), Is.True, $"NVRTC does not load ({detail})");
        int[] supported = Nvrtc.SupportedArchitectures();
        TestContext.Out.WriteLine($"NVRTC {Nvrtc.Version()}: compute_{string.Join(", compute_", supported)}");
        Assert.That(supported, Does.Contain(Architecture));
        Assert.That(supported, Is.Ordered);
    }

    [GeneratedRegex(@"KERNEL\s+void\s+(\w+)\s*\(")]
    private static partial Regex KernelNames();

    [GeneratedRegex(@"\.entry\s+(\w+)\s*\(")]
    private static partial Regex PtxEntries();
}
