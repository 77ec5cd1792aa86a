// Casts from one source dtype (the program's SRC_KIND) to any destination dtype (a run-time code, DTYPE_*).
// Values follow the CPU's rules: float to integer truncates toward zero and saturates (NaN gives 0), integer
// narrowing wraps, anything to bool is "not zero" (NaN is true), bfloat16 rounds from float32 to nearest even.
// SRC_KIND: 0 float32, 1 float64, 2 float16, 3 bfloat16, 4 int32, 5 int64, 6 bool.

#if SRC_KIND == 1
typedef double Wide;
#elif SRC_KIND <= 3
typedef float Wide;
#else
typedef i64 Wide;
#endif

DEVICE Wide cast_load(GLOBAL const uchar* src, int at)
{
#if SRC_KIND == 0
    return ((GLOBAL const float*)src)[at];
#elif SRC_KIND == 1
    return ((GLOBAL const double*)src)[at];
#elif SRC_KIND == 2
    return vload_half(at, (GLOBAL const half*)src);
#elif SRC_KIND == 3
    return AS_FLOAT_BITS((int)((uint)((GLOBAL const ushort*)src)[at] << 16));
#elif SRC_KIND == 4
    return ((GLOBAL const int*)src)[at];
#elif SRC_KIND == 5
    return ((GLOBAL const i64*)src)[at];
#else
    return src[at] != 0 ? 1 : 0;
#endif
}

KERNEL void cast(GLOBAL const uchar* src, int srcOffset, Dims srcStrides, Dims shape, int rank, int n, GLOBAL uchar* dst, int to)
{
    int i = GLOBAL_ID(0);
    if (i >= n)
    {
        return;
    }

    Wide x = cast_load(src, srcOffset + strided(i, rank, shape, srcStrides));
    switch (to)
    {
        case DTYPE_Float32: ((GLOBAL float*)dst)[i] = (float)x; break;
#ifdef SPAMP_FP64
        case DTYPE_Float64: ((GLOBAL double*)dst)[i] = (double)x; break;
        case DTYPE_Float16: vstore_half_rte((double)x, i, (GLOBAL half*)dst); break;
#else
        case DTYPE_Float16: vstore_half_rte((float)x, i, (GLOBAL half*)dst); break;
#endif
        case DTYPE_BFloat16: ((GLOBAL ushort*)dst)[i] = float_to_bfloat16((float)x); break;
#if SRC_KIND <= 3
        case DTYPE_Int32: ((GLOBAL int*)dst)[i] = convert_int_sat_rtz(x); break;
        case DTYPE_Int64: ((GLOBAL i64*)dst)[i] = convert_long_sat_rtz(x); break;
#else
        case DTYPE_Int32: ((GLOBAL int*)dst)[i] = (int)x; break;
        case DTYPE_Int64: ((GLOBAL i64*)dst)[i] = (i64)x; break;
#endif
        default: dst[i] = x != (Wide)0 ? 1 : 0; break;
    }
}
