using System.Text;
using NUnit.Framework;
using Spamp.Backends.Cuda;
using Spamp.Backends.Kernels;

namespace Spamp.Tests.Backends;

/// <summary>
/// The layer kernel families (convolution, pooling, batch and group norm) compile as CUDA C through
/// NVRTC for every element type the GPU backends specialise a family for, wherever NVRTC is
/// installed (no GPU needed): the OpenCL tests run the same source, so this keeps both dialects in
/// step. The definitions go in as #define lines after NVRTC's built-in header, which a -D T=...
/// option would rewrite.
/// </summary>
public sealed class GpuLayerKernelsCudaTests
{
    private static readonly Dictionary<string, string[]> Types = new()
    {
        ["float32"] = ["T=float", "IS_FLOAT=1"],
        ["float64"] = ["T=double", "IS_FLOAT=1"],
        ["int32"] = ["T=int", "IS_FLOAT=0", "T_MIN=(-2147483647-1)", "T_MAX=2147483647"],
        ["int64"] = ["T=i64", "IS_FLOAT=0", "T_MIN=(-9223372036854775807L-1)", "T_MAX=9223372036854775807L"],
        ["bool"] = ["T=uchar", "IS_FLOAT=0", "T_MIN=0", "T_MAX=1"],
    };

    [Test]
    public void LayerFamiliesCompileAsCuda([Values("conv", "pooling", "norm2d")] string family, [Values("float32", "float64", "int32", "int64", "bool")] string type)
    {
        Assume.That(Nvrtc.TryLoad(out string detail), Is.True, detail);
        var source = new StringBuilder();
        foreach (string definition in new[] { "SPAMP_FP64=1", "SCALAR=double" }.Concat(Types[type]))
        {
            source.Append("#define ").Append(definition.Replace('=', ' ')).Append('\n');
        }

        source.Append(KernelSource.For(KernelDialect.Cuda, family));
        byte[] ptx = Nvrtc.CompileToPtx(source.ToString(), family + ".cu", ["-fmad=false"]);
        Assert.That(Encoding.ASCII.GetString(ptx), Does.Contain(".entry"));
    }
}
