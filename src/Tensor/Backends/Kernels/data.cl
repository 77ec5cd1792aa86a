// Data movement by element size: E is uchar, ushort, uint or ulong, so one program serves every dtype of that
// width (half precision included: these kernels never interpret the bits).

KERNEL void copy_strided(GLOBAL const E* src, int srcOffset, Dims srcStrides,
                         GLOBAL E* dst, int dstOffset, Dims dstStrides, Dims shape, int rank, int n)
{
    int i = GLOBAL_ID(0);
    if (i < n)
    {
        dst[dstOffset + strided(i, rank, shape, dstStrides)] = src[srcOffset + strided(i, rank, shape, srcStrides)];
    }
}

KERNEL void fill_strided(GLOBAL E* dst, int dstOffset, Dims dstStrides, Dims shape, int rank, int n, E value)
{
    int i = GLOBAL_ID(0);
    if (i < n)
    {
        dst[dstOffset + strided(i, rank, shape, dstStrides)] = value;
    }
}

KERNEL void where_strided(GLOBAL const uchar* cond, int cOffset, Dims cStrides,
                          GLOBAL const E* a, int aOffset, Dims aStrides,
                          GLOBAL const E* b, int bOffset, Dims bStrides,
                          Dims shape, int rank, int n, GLOBAL E* dst)
{
    int i = GLOBAL_ID(0);
    if (i < n)
    {
        dst[i] = cond[cOffset + strided(i, rank, shape, cStrides)] != 0
            ? a[aOffset + strided(i, rank, shape, aStrides)]
            : b[bOffset + strided(i, rank, shape, bStrides)];
    }
}
