// Work-group reductions over dimension 0 for element type T: every work-item passes its partial value and
// receives the result of the whole group. The combination is a tree over `scratch` (LOCAL_SIZE(0) elements, a
// power of two), so float sums add values of similar size, and the order is fixed, so results do not vary
// between runs. Every work-item of the group must call (the tree holds barriers); scratch may be reused
// as soon as the call returns.

DEVICE T group_sum(LOCAL_PTR T* scratch, T value)
{
    int lid = LOCAL_ID(0);
    scratch[lid] = value;
    BARRIER();
    for (int step = LOCAL_SIZE(0) / 2; step > 0; step /= 2)
    {
        if (lid < step)
        {
            scratch[lid] += scratch[lid + step];
        }

        BARRIER();
    }

    T total = scratch[0];
    BARRIER();
    return total;
}

// The maximum, propagating NaN (a NaN anywhere makes the result NaN, as the CPU's TensorPrimitives.Max does).
DEVICE T group_max(LOCAL_PTR T* scratch, T value)
{
    int lid = LOCAL_ID(0);
    scratch[lid] = value;
    BARRIER();
    for (int step = LOCAL_SIZE(0) / 2; step > 0; step /= 2)
    {
        if (lid < step)
        {
            T a = scratch[lid], b = scratch[lid + step];
            scratch[lid] = isnan(a) || a >= b ? a : b;
        }

        BARRIER();
    }

    T result = scratch[0];
    BARRIER();
    return result;
}
