// Accumulating index operations (index_add_, scatter_add_) without atomics: each work-item owns one destination
// element and adds, in index order, every source element that lands on it. Deterministic (the same bits on
// every run and device), and needs no float atomics, which OpenCL 1.2 lacks; the price is a scan of the index
// per destination element, fine for the sizes indexing sees outside embedding tables.
// S is the stored type, A the type sums are kept in (float for bfloat16; bool accumulates with "or").

#if defined(S_BF16)
#define LOAD_A(p, i) AS_FLOAT_BITS((int)((uint)(p)[i] << 16))
#define STORE_A(p, i, v) ((p)[i] = float_to_bfloat16(v))
#else
#define LOAD_A(p, i) ((A)(p)[i])
#if defined(S_BOOL)
#define STORE_A(p, i, v) ((p)[i] = (v) != 0 ? 1 : 0)
#else
#define STORE_A(p, i, v) ((p)[i] = (S)(v))
#endif
#endif

#if defined(S_BOOL)
#define ADD_A(a, b) ((a) | (b))
#else
#define ADD_A(a, b) ((a) + (b))
#endif

// dst (contiguous [outer, dstAxis, inner] from dstOffset) .index_add_(axis, index, src).
KERNEL void index_add(GLOBAL S* dst, int dstOffset, int outer, int dstAxis, int inner,
                      GLOBAL const S* src, int srcOffset, Dims outerShape, Dims outerStrides, int outerRank,
                      int srcAxisStride, Dims innerShape, Dims innerStrides, int innerRank,
                      GLOBAL const i64* index, int count)
{
    int t = GLOBAL_ID(0);
    if (t >= outer * dstAxis * inner)
    {
        return;
    }

    int in = t % inner;
    int rest = t / inner;
    int o = rest / dstAxis;
    int j = rest - o * dstAxis;
    int base = srcOffset + strided(o, outerRank, outerShape, outerStrides) + strided(in, innerRank, innerShape, innerStrides);
    A acc = LOAD_A(dst, dstOffset + t);
    for (int k = 0; k < count; k++)
    {
        if (index[k] == j)
        {
            acc = ADD_A(acc, LOAD_A(src, base + k * srcAxisStride));
        }
    }

    STORE_A(dst, dstOffset + t, acc);
}

// dst (contiguous, from dstOffset) .scatter_add_(axis, index, src); index and src share indexShape, which may be
// smaller than dst's shape in the other dimensions (destinations outside it are left alone).
KERNEL void scatter_add(GLOBAL S* dst, int dstOffset, Dims dstShape, int rank, int axis, int n,
                        GLOBAL const i64* index, int indexOffset, Dims indexShape, Dims indexStrides,
                        GLOBAL const S* src, int srcOffset, Dims srcStrides)
{
    int t = GLOBAL_ID(0);
    if (t >= n)
    {
        return;
    }

    int rem = t;
    int indexBase = indexOffset;
    int srcBase = srcOffset;
    int j = 0;
    for (int d = rank - 1; d >= 0; d--)
    {
        int size = dstShape.v[d];
        int c = rem % size;
        rem /= size;
        if (d == axis)
        {
            j = c;
            continue;
        }

        if (c >= indexShape.v[d])
        {
            return;
        }

        indexBase += c * indexStrides.v[d];
        srcBase += c * srcStrides.v[d];
    }

    A acc = LOAD_A(dst, dstOffset + t);
    for (int k = 0; k < indexShape.v[axis]; k++)
    {
        if (index[indexBase + k * indexStrides.v[axis]] == j)
        {
            acc = ADD_A(acc, LOAD_A(src, srcBase + k * srcStrides.v[axis]));
        }
    }

    STORE_A(dst, dstOffset + t, acc);
}
