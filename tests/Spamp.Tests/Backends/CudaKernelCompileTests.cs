using System.Text;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Spamp.Backends.Cuda;
using Spamp.Backends.Gpu;
using Spamp.Backends.Kernels;

namespace Spamp.Tests.Backends;

/// <summary>
/// Every embedded kernel family, in every variant the GPU backends ask for, compiled as CUDA C by
/// NVRTC exactly as <see cref="CudaBackend"/> compiles it (same prelude, definitions and options),
/// both as PTX for a virtual architecture and as machine code for an H100 (what the backend loads
/// there; this also runs the PTX assembler). NVRTC needs no GPU, so this runs wherever libnvrtc is
/// installed and catches CUDA-only breakage of the shared sources (which the OpenCL tests on PoCL
/// cannot see) before anything reaches a device.
/// </summary>
public sealed partial class CudaKernelCompileTests
{
    /// <summary>A fixed virtual architecture: compute_80 (A100), inside every NVRTC from 11.2 on.</summary>
    private static readonly CudaTarget Ptx = new(80, MachineCode: false);

    /// <summary>The H100's machine code, what <see cref="CudaTarget.For"/> picks there.</summary>
    private static readonly CudaTarget H100 = new(90, MachineCode: true);

    public static IEnumerable<TestCaseData> FamiliesAndTargets() =>
        from family in KernelSource.Families()
        from target in new[] { Ptx, H100 }
        select new TestCaseData(family, target.Architecture, target.MachineCode).SetArgDisplayNames(family, target.ToString());

    public static IEnumerable<string> Families() => KernelSource.Families();

    [Test]
    public void EveryKernelFileIsCompiledHere()
    {
        Assert.That(Families(), Is.SupersetOf(new[] { "cast", "data", "elementwise", "indexing", "matmul", "random", "reduce", "softmax" }));
    }

    [TestCaseSource(nameof(FamiliesAndTargets))]
    public void EveryVariantCompiles(string family, int architecture, bool machineCode)
    {
        var target = new CudaTarget(architecture, machineCode);
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
            string[] options = CudaCompileOptions.For(target);
            try
            {
                byte[] image = Nvrtc.Compile(source, family + ".cu", options, target.MachineCode);
                string[] entries = target.MachineCode ? CubinSymbols(image, kernels) : PtxEntries(image);
                Assert.That(entries, Is.Not.Empty, $"{family} variant {variant}: entry points");
                compiled.UnionWith(entries);
                TestContext.Out.WriteLine($"{family} variant {variant} for {target}: {entries.Length} kernels, {image.Length} bytes ({string.Join(' ', definitions)})");
            }
            catch (CudaException e)
            {
                failures.AppendLine($"---- {family} variant {variant}, definitions {string.Join(' ', definitions)}, options {string.Join(' ', options)}\n{e.Message}");
            }
        }

        Assert.That(failures.ToString(), Is.Empty, $"NVRTC {Nvrtc.Version()} rejected {family}.cl for {target}");
        // A variant may leave kernels out by #if (the gradients of integer types), but none is lost everywhere.
        Assert.That(compiled, Is.SupersetOf(kernels), $"{family}.cl: kernels in no variant's output");
    }

    [Test]
    public void ACompileErrorCarriesTheLog()
    {
        Assume.That(Nvrtc.TryLoad(out string detail), Is.True, $"NVRTC does not load ({detail})");
        var e = Assert.Throws<CudaException>(() => Nvrtc.Compile(
            "extern \"C\" __global__ void broken(float* x) { x[0] = undefined_name; }", "broken.cu", CudaCompileOptions.For(Ptx), cubin: false));
        Assert.That(e!.Message, Does.Contain("NVRTC_ERROR_COMPILATION"));
        Assert.That(e.Message, Does.Contain("undefined_name"), "the compiler's log is in the message");
    }

    [Test]
    public void NvrtcListsTheArchitecturesItTargets()
    {
        Assume.That(Nvrtc.TryLoad(out string detail), Is.True, $"NVRTC does not load ({detail})");
        int[] supported = Nvrtc.SupportedArchitectures();
        TestContext.Out.WriteLine($"NVRTC {Nvrtc.Version()}: compute_{string.Join(", compute_", supported)}");
        Assert.That(supported, Does.Contain(Ptx.Architecture).And.Contain(H100.Architecture));
        Assert.That(supported, Is.Ordered);
    }

    // The kernels a PTX module defines.
    private static string[] PtxEntries(byte[] ptx) =>
        [.. PtxEntry().Matches(Encoding.ASCII.GetString(ptx)).Select(m => m.Groups[1].Value)];

    // The named kernels whose symbols a cubin's string table holds (its symbols are C names: the kernels are extern "C").
    private static string[] CubinSymbols(byte[] cubin, string[] kernels)
    {
        Assert.That(cubin[..4], Is.EqualTo("\u007fELF"u8.ToArray()), "a cubin is an ELF file");
        string text = Encoding.ASCII.GetString(cubin);
        return [.. kernels.Where(k => text.Contains($".text.{k}\0", StringComparison.Ordinal))];
    }

    [GeneratedRegex(@"KERNEL\s+void\s+(\w+)\s*\(")]
    private static partial Regex KernelNames();

    [GeneratedRegex(@"\.entry\s+(\w+)\s*\(")]
    private static partial Regex PtxEntry();
}
