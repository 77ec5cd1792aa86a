// Shared by every kernel family (appended after the dialect's prelude).

// Storage offset of the i-th element, in row-major order, of a view with the given shape and strides.
// Rank 1 (what the host's dimension merging makes of every contiguous or evenly strided view) skips the
// divisions, so the contiguous case costs one multiply.
DEVICE int strided(int i, int rank, Dims shape, Dims strides)
{
    if (rank == 1)
    {
        return i * strides.v[0];
    }

    int offset = 0;
    for (int d = rank - 1; d >= 0; d--)
    {
        int size = shape.v[d];
        int q = i / size;
        offset += (i - q * size) * strides.v[d];
        i = q;
    }

    return offset;
}

// float32 to bfloat16 bits, rounding to nearest even; NaN stays a quiet NaN (as BFloat16.cs does).
DEVICE ushort float_to_bfloat16(float value)
{
    uint bits = (uint)AS_INT_BITS(value);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u)
    {
        return (ushort)((bits >> 16) | 0x0040u);
    }

    return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}
