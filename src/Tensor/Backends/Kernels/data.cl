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

// dst = src.index_select(axis, index): dst is contiguous [outer, count, inner]; src's outer and inner dimensions
// arrive merged with their own strides, and index (int64) picks the position along the axis.
KERNEL void index_select(GLOBAL const E* src, int srcOffset, Dims outerShape, Dims outerStrides, int outerRank,
                         int axisStride, Dims innerShape, Dims innerStrides, int innerRank, int inner,
                         GLOBAL const i64* index, int count, GLOBAL E* dst, int n)
{
    int i = GLOBAL_ID(0);
    if (i < n)
    {
        int in = i % inner;
        int rest = i / inner;
        int o = rest / count;
        int k = rest - o * count;
        dst[i] = src[srcOffset + strided(o, outerRank, outerShape, outerStrides) + (int)index[k] * axisStride
                     + strided(in, innerRank, innerShape, innerStrides)];
    }
}

// dst = src.gather(axis, index): dst is contiguous with index's shape; srcStrides has the axis's stride zeroed,
// and the index value supplies that coordinate instead.
KERNEL void gather(GLOBAL const E* src, int srcOffset, Dims srcStrides, int axisStride,
                   GLOBAL const i64* index, int indexOffset, Dims indexStrides, Dims shape, int rank, int n, GLOBAL E* dst)
{
    int i = GLOBAL_ID(0);
    if (i < n)
    {
        int picked = (int)index[indexOffset + strided(i, rank, shape, indexStrides)];
        dst[i] = src[srcOffset + strided(i, rank, shape, srcStrides) + picked * axisStride];
    }
}
