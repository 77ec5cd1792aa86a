using System.Globalization;
using System.Runtime.CompilerServices;

namespace Spamp;

/// <summary>
/// A brain floating-point number: the upper 16 bits of an IEEE float32 (sign, 8-bit exponent,
/// 7-bit mantissa). It has float32's range with about three significant decimal digits, which is
/// why it is the storage type of choice for activations and weights in mixed precision.
/// Conversion from float rounds to nearest, ties to even, as PyTorch and the hardware do.
/// </summary>
public readonly struct BFloat16 : IEquatable<BFloat16>, IComparable<BFloat16>, IFormattable
{
    private BFloat16(ushort bits) => Bits = bits;

    /// <summary>The raw 16-bit pattern.</summary>
    public ushort Bits { get; }

    /// <summary>Wraps a raw bit pattern.</summary>
    public static BFloat16 FromBits(ushort bits) => new(bits);

    /// <summary>Rounds a float32 to the nearest bfloat16 (ties to even); NaN stays a quiet NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static explicit operator BFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFFu) > 0x7F80_0000u)
        {
            // NaN: keep the sign, force a quiet NaN so truncation cannot turn it into infinity.
            return new BFloat16((ushort)((bits >> 16) | 0x0040u));
        }

        // Adding 0x7FFF plus the lowest kept bit rounds to nearest with ties to even.
        uint roundingBias = 0x7FFFu + ((bits >> 16) & 1u);
        return new BFloat16((ushort)((bits + roundingBias) >> 16));
    }

    /// <summary>Exact widening to float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static explicit operator float(BFloat16 value) => BitConverter.UInt32BitsToSingle((uint)value.Bits << 16);

    /// <summary>Widening to float64 (exact).</summary>
    public static explicit operator double(BFloat16 value) => (float)value;

    /// <summary>Rounds a double through float32.</summary>
    public static explicit operator BFloat16(double value) => (BFloat16)(float)value;

    /// <summary>True when the value is NaN.</summary>
    public static bool IsNaN(BFloat16 value) => float.IsNaN((float)value);

    /// <inheritdoc/>
    public bool Equals(BFloat16 other) => (float)this == (float)other;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is BFloat16 other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => ((float)this).GetHashCode();

    /// <inheritdoc/>
    public int CompareTo(BFloat16 other) => ((float)this).CompareTo((float)other);

    /// <summary>Equality by value (NaN is unequal to itself).</summary>
    public static bool operator ==(BFloat16 left, BFloat16 right) => left.Equals(right);

    /// <summary>Inequality by value.</summary>
    public static bool operator !=(BFloat16 left, BFloat16 right) => !left.Equals(right);

    /// <summary>Ordering by value.</summary>
    public static bool operator <(BFloat16 left, BFloat16 right) => (float)left < (float)right;

    /// <summary>Ordering by value.</summary>
    public static bool operator >(BFloat16 left, BFloat16 right) => (float)left > (float)right;

    /// <summary>Ordering by value.</summary>
    public static bool operator <=(BFloat16 left, BFloat16 right) => (float)left <= (float)right;

    /// <summary>Ordering by value.</summary>
    public static bool operator >=(BFloat16 left, BFloat16 right) => (float)left >= (float)right;

    /// <inheritdoc/>
    public override string ToString() => ((float)this).ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public string ToString(string? format, IFormatProvider? formatProvider) => ((float)this).ToString(format, formatProvider);
}
