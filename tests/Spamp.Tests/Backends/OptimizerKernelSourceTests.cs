using NUnit.Framework;
using Spamp.Backends.Cuda;
using Spamp.Backends.Kernels;

namespace Spamp.Tests.Backends;

/// <summary>
/// The optimizer kernel families are written once for both dialects: here they are compiled as CUDA C
/// by NVRTC (wherever NVRTC is installed; no GPU is needed), for every element type they serve, with
/// and without fp64 scalars. The OpenCL dialect is compiled for real by the GPU optimizer tests.
/// </summary>
public sealed class OptimizerKernelSourceTests
{
    public static IEnumerable<string> Families() => ["optimizer", "select", "optimizer_step"];

    [Test]
    public void CompilesAsCudaC([ValueSource(nameof(Families))] string family, [Values("float", "double")] string type, [Values] bool fp64)
    {
        if (!Nvrtc.TryLoad(out string detail))
        {
            Assert.Ignore($"NVRTC is not installed: {detail}");
        }

        if (type == "double" && !fp64)
        {
            Assert.Ignore("float64 tensors need an fp64 device");
        }

        string[] definitions =
        [
            .. fp64 ? new[] { "SPAMP_FP64", "SCALAR=double" } : ["SCALAR=float"],
            $"T={type}", "IS_FLOAT=1", $"T_SIZE={(type == "double" ? 8 : 4)}",
        ];
        // As #define lines, not -D options: NVRTC's built-in headers (compiled first) use T as a template parameter.
        string source = string.Concat(definitions.Select(d => "#define " + d.Replace('=', ' ') + "\n")) + KernelSource.For(KernelDialect.Cuda, family);
        byte[] ptx = Nvrtc.CompileToPtx(source, family + ".cu", ["-fmad=false"]);
        Assert.That(ptx, Is.Not.Empty);
    }
}
