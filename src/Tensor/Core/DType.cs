namespace Spamp;

/// <summary>
/// The element type of a <see cref="Tensor"/>. A tensor's element type is data, not a generic
/// parameter, so one <see cref="Tensor"/> class serves every type and device (as in PyTorch).
/// </summary>
public enum DType : byte
{
    /// <summary>IEEE 754 single precision (torch.float32).</summary>
    Float32,
    /// <summary>IEEE 754 double precision (torch.float64).</summary>
    Float64,
    /// <summary>IEEE 754 half precision, stored as <see cref="Half"/> (torch.float16).</summary>
    Float16,
    /// <summary>Brain floating point: float32's exponent with a 7-bit mantissa, stored as <see cref="Spamp.BFloat16"/>.</summary>
    BFloat16,
    /// <summary>32-bit signed integer (torch.int32).</summary>
    Int32,
    /// <summary>64-bit signed integer (torch.int64), the type of indices and class labels.</summary>
    Int64,
    /// <summary>Boolean, one byte per element (torch.bool).</summary>
    Bool,
}

/// <summary>Facts about each <see cref="DType"/>.</summary>
public static class DTypeInfo
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(this DType dtype) => dtype switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float64 or DType.Int64 => 8,
        DType.Float16 or DType.BFloat16 => 2,
        DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>True for the floating-point types, the only ones that can carry gradients.</summary>
    public static bool IsFloatingPoint(this DType dtype) =>
        dtype is DType.Float32 or DType.Float64 or DType.Float16 or DType.BFloat16;

    /// <summary>True for the 16-bit storage types, whose arithmetic runs in float32.</summary>
    public static bool IsHalfPrecision(this DType dtype) => dtype is DType.Float16 or DType.BFloat16;

    /// <summary>True for Int32 and Int64.</summary>
    public static bool IsInteger(this DType dtype) => dtype is DType.Int32 or DType.Int64;

    /// <summary>The name PyTorch uses (<c>float32</c>, <c>int64</c>, ...), used in messages and files.</summary>
    public static string Name(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Float16 => "float16",
        DType.BFloat16 => "bfloat16",
        DType.Int32 => "int32",
        DType.Int64 => "int64",
        DType.Bool => "bool",
        _ => dtype.ToString(),
    };

    /// <summary>
    /// The type a binary operation on <paramref name="a"/> and <paramref name="b"/> computes in,
    /// following PyTorch's promotion lattice: bool &lt; int32 &lt; int64 &lt; float16/bfloat16 &lt; float32 &lt; float64,
    /// where float16 with bfloat16 promotes to float32.
    /// </summary>
    public static DType Promote(DType a, DType b)
    {
        if (a == b)
        {
            return a;
        }

        if (a.IsHalfPrecision() && b.IsHalfPrecision())
        {
            return DType.Float32;
        }

        return Rank(a) >= Rank(b) ? a : b;

        static int Rank(DType t) => t switch
        {
            DType.Bool => 0,
            DType.Int32 => 1,
            DType.Int64 => 2,
            DType.Float16 or DType.BFloat16 => 3,
            DType.Float32 => 4,
            DType.Float64 => 5,
            _ => -1,
        };
    }

    /// <summary>The CLR type that stores one element.</summary>
    public static Type ClrType(this DType dtype) => dtype switch
    {
        DType.Float32 => typeof(float),
        DType.Float64 => typeof(double),
        DType.Float16 => typeof(Half),
        DType.BFloat16 => typeof(BFloat16),
        DType.Int32 => typeof(int),
        DType.Int64 => typeof(long),
        DType.Bool => typeof(bool),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>The <see cref="DType"/> of a CLR element type.</summary>
    public static DType Of<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return DType.Float32;
        if (typeof(T) == typeof(double)) return DType.Float64;
        if (typeof(T) == typeof(Half)) return DType.Float16;
        if (typeof(T) == typeof(BFloat16)) return DType.BFloat16;
        if (typeof(T) == typeof(int)) return DType.Int32;
        if (typeof(T) == typeof(long)) return DType.Int64;
        if (typeof(T) == typeof(bool)) return DType.Bool;
        throw new ArgumentException($"{typeof(T).Name} is not a tensor element type", nameof(T));
    }
}
