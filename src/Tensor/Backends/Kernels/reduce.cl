// Reductions for element type T: one work-group per output element. Each work-item folds a strided share of
// the reduced elements, then the group combines its partial results in local memory (a tree, so float sums
// add values of similar size). Float sums carry a compensation term (TwoSum) through both stages.
// REDUCE_* and the work-group size (a power of two, at most REDUCE_GROUP) come from the host.

#define REDUCE_GROUP 256

#if IS_FLOAT
#define T_ISNAN(x) isnan(x)
#else
#define T_ISNAN(x) 0
#endif

DEVICE T reduce_identity(int op)
{
    switch (op)
    {
        case REDUCE_Prod: return (T)1;
#if IS_FLOAT
        case REDUCE_Max: return (T)-INFINITY;
        case REDUCE_Min: return (T)INFINITY;
#else
        case REDUCE_Max: return T_MIN;
        case REDUCE_Min: return T_MAX;
#endif
        default: return (T)0;
    }
}

// Folds y into (acc, comp). comp is the running rounding error of a sum; other operations leave it at 0.
DEVICE void reduce_fold(int op, T* acc, T* comp, T y)
{
    T x = *acc;
    switch (op)
    {
        case REDUCE_Max: *acc = T_ISNAN(x) ? x : T_ISNAN(y) ? y : (x > y ? x : y); break;
        case REDUCE_Min: *acc = T_ISNAN(x) ? x : T_ISNAN(y) ? y : (x < y ? x : y); break;
        case REDUCE_Prod: *acc = x * y; break;
        default:
        {
#if IS_FLOAT
            // TwoSum: s + e == x + y exactly.
            T s = x + y;
            T bb = s - x;
            *comp += (x - (s - bb)) + (y - bb);
            *acc = s;
#else
            *acc = x + y;
#endif
            break;
        }
    }
}

KERNEL void reduce_axes(GLOBAL const T* src, int srcOffset, Dims keptShape, Dims keptStrides, int keptRank,
                        Dims redShape, Dims redStrides, int redRank, int redCount, GLOBAL T* dst, int op)
{
    LOCAL T partial[REDUCE_GROUP];
    LOCAL T partialComp[REDUCE_GROUP];
    int g = GROUP_ID(0);
    int lid = LOCAL_ID(0);
    int size = LOCAL_SIZE(0);
    int base = srcOffset + strided(g, keptRank, keptShape, keptStrides);
    T acc = reduce_identity(op);
    T comp = (T)0;
    for (int r = lid; r < redCount; r += size)
    {
        reduce_fold(op, &acc, &comp, src[base + strided(r, redRank, redShape, redStrides)]);
    }

    partial[lid] = acc;
    partialComp[lid] = comp;
    BARRIER();
    for (int step = size / 2; step > 0; step /= 2)
    {
        if (lid < step)
        {
            T a = partial[lid];
            T c = partialComp[lid] + partialComp[lid + step];
            reduce_fold(op, &a, &c, partial[lid + step]);
            partial[lid] = a;
            partialComp[lid] = c;
        }

        BARRIER();
    }

    if (lid == 0)
    {
        T result = partial[0] + partialComp[0];
        if (redCount == 0 && (op == REDUCE_Max || op == REDUCE_Min))
        {
            // An empty maximum has no identity; the CPU reference writes 0, and so do we.
            result = (T)0;
        }

        dst[g] = op == REDUCE_Mean ? result / (T)redCount : result;
    }
}

// Whether (x, i) beats (y, j) as the extreme: NaN beats everything, ties go to the smaller index.
DEVICE int arg_better(int isMax, T x, int i, T y, int j)
{
    if (T_ISNAN(x) || T_ISNAN(y))
    {
        return T_ISNAN(x) && (!T_ISNAN(y) || i < j);
    }

    if (x == y)
    {
        return i < j;
    }

    return isMax ? x > y : x < y;
}

KERNEL void arg_reduce(GLOBAL const T* src, int srcOffset, Dims keptShape, Dims keptStrides, int keptRank,
                       int axisSize, int axisStride, GLOBAL T* values, GLOBAL i64* indices, int isMax)
{
    LOCAL T bestValue[REDUCE_GROUP];
    LOCAL int bestIndex[REDUCE_GROUP];
    int g = GROUP_ID(0);
    int lid = LOCAL_ID(0);
    int size = LOCAL_SIZE(0);
    int base = srcOffset + strided(g, keptRank, keptShape, keptStrides);
    // Work-items with no element start from element 0, which is a valid candidate for every group.
    T best = src[base];
    int at = 0;
    for (int r = lid; r < axisSize; r += size)
    {
        T v = src[base + r * axisStride];
        if (arg_better(isMax, v, r, best, at))
        {
            best = v;
            at = r;
        }
    }

    bestValue[lid] = best;
    bestIndex[lid] = at;
    BARRIER();
    for (int step = size / 2; step > 0; step /= 2)
    {
        if (lid < step && arg_better(isMax, bestValue[lid + step], bestIndex[lid + step], bestValue[lid], bestIndex[lid]))
        {
            bestValue[lid] = bestValue[lid + step];
            bestIndex[lid] = bestIndex[lid + step];
        }

        BARRIER();
    }

    if (lid == 0)
    {
        values[g] = bestValue[0];
        indices[g] = (i64)bestIndex[0];
    }
}
