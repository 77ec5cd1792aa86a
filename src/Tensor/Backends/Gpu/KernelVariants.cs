namespace Spamp.Backends.Gpu;

/// <summary>
/// How each kernel family is specialised: the variants a GPU backend compiles it in (an element
/// type, an element width for the type-blind data family, a source dtype for casts) and the
/// preprocessor definitions of each. Kept apart from the backends so a test can compile every
/// variant a backend may ask for without a device (the CUDA sources through NVRTC).
/// </summary>
internal static class KernelVariants
{
    private static readonly int[] ElementWidths = [1, 2, 4, 8];
    private static readonly int[] Generic = Of(DType.Float32, DType.Float64, DType.Int32, DType.Int64, DType.Bool);
    private static readonly int[] Numeric = Of(DType.Float32, DType.Float64, DType.Int32, DType.Int64);
    private static readonly int[] Floating = Of(DType.Float32, DType.Float64);
    private static readonly int[] Accumulating = Of(DType.Float32, DType.Float64, DType.Int32, DType.Int64, DType.BFloat16, DType.Bool);
    private static readonly int[] AllSources = [.. Enum.GetValues<DType>().Select(d => (int)d)];

    /// <summary>
    /// The variants of <paramref name="family"/> the primitives of <see cref="GpuBackend"/> can ask for:
    /// the dtypes the CPU oracle computes that family in. A family not listed here is taken to compute
    /// in float32 and float64, as every layer and optimizer family does, so a new file is covered
    /// before it is listed; one that computes in other types must be listed.
    /// </summary>
    public static IReadOnlyList<int> For(string family) => family switch
    {
        "data" => ElementWidths,
        "random" => [0],
        "cast" => AllSources,
        "indexing" => Accumulating,
        "elementwise" => Generic,
        "reduce" => Numeric,
        _ => Floating,
    };

    /// <summary>
    /// The preprocessor definitions that specialise <paramref name="family"/> for <paramref name="variant"/>,
    /// as <c>NAME=value</c> or <c>NAME</c>: the element type <c>T</c> (or <c>E</c>, the element width of
    /// the type-blind data family), and <c>SCALAR</c>, the type host scalars arrive in (double where the
    /// device computes in double, <paramref name="fp64"/>).
    /// </summary>
    public static string[] Definitions(string family, int variant, bool fp64, string deviceName)
    {
        string[] scalar = fp64 ? ["SPAMP_FP64", "SCALAR=double"] : ["SCALAR=float"];
        string[] types = family switch
        {
            "data" => [variant switch { 1 => "E=uchar", 2 => "E=ushort", 4 => "E=uint", _ => "E=ulong" }],
            "random" => [],
            "cast" => [$"SRC_KIND={variant}"],
            "indexing" => IndexingDefinitions((DType)variant),
            "select" => [.. TypeDefinitions((DType)variant, fp64, deviceName), $"T_SIZE={((DType)variant).SizeOf()}"],
            _ => TypeDefinitions((DType)variant, fp64, deviceName),
        };
        return [.. scalar, .. types];
    }

    private static string[] TypeDefinitions(DType dtype, bool fp64, string deviceName) => dtype switch
    {
        DType.Float32 => ["T=float", "IS_FLOAT=1"],
        DType.Float64 when fp64 => ["T=double", "IS_FLOAT=1"],
        DType.Float64 => throw new NotSupportedException($"float64: device {deviceName} has no double precision"),
        DType.Int32 => ["T=int", "IS_FLOAT=0", "T_MIN=(-2147483647-1)", "T_MAX=2147483647"],
        DType.Int64 => ["T=i64", "IS_FLOAT=0", "T_MIN=(-9223372036854775807L-1)", "T_MAX=9223372036854775807L"],
        DType.Bool => ["T=uchar", "IS_FLOAT=0", "T_MIN=0", "T_MAX=1"],
        _ => throw new NotSupportedException($"{dtype.Name()}: the GPU backends compute only float32, float64, int32, int64 and bool (half types are computed in float32 by the Tensor API)"),
    };

    // The accumulating index kernels keep sums of bfloat16 in float and combine bools with "or".
    private static string[] IndexingDefinitions(DType dtype) => dtype switch
    {
        DType.Float32 => ["S=float", "A=float"],
        DType.Float64 => ["S=double", "A=double"],
        DType.Int32 => ["S=int", "A=int"],
        DType.Int64 => ["S=i64", "A=i64"],
        DType.BFloat16 => ["S=ushort", "A=float", "S_BF16"],
        DType.Bool => ["S=uchar", "A=int", "S_BOOL"],
        _ => throw new NotSupportedException($"{dtype.Name()}: accumulating index operations take float32, float64, int32, int64, bfloat16 or bool"),
    };

    private static int[] Of(params DType[] dtypes) => [.. dtypes.Select(d => (int)d)];
}
