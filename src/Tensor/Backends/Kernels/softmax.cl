// Softmax and log-softmax over the middle axis of a contiguous [outer, size, inner] tensor of type T, and their
// gradients. One work-item per (outer, inner) row: rows are independent, and a row's three passes (maximum,
// sum, write) read the same elements, which stay in cache.

KERNEL void softmax(GLOBAL const T* src, int outer, int size, int inner, int isLog, GLOBAL T* dst)
{
    int r = GLOBAL_ID(0);
    if (r >= outer * inner)
    {
        return;
    }

    int o = r / inner;
    int base = o * size * inner + (r - o * inner);
    T m = (T)-INFINITY;
    for (int j = 0; j < size; j++)
    {
        T v = src[base + j * inner];
        // NaN-propagating maximum: a NaN anywhere in the row makes the whole row NaN.
        m = isnan(m) || v <= m ? m : v;
    }

    T sum = (T)0;
    for (int j = 0; j < size; j++)
    {
        sum += exp(src[base + j * inner] - m);
    }

    T logSum = log(sum);
    for (int j = 0; j < size; j++)
    {
        T shifted = src[base + j * inner] - m;
        dst[base + j * inner] = isLog ? shifted - logSum : exp(shifted) / sum;
    }
}

KERNEL void softmax_backward(GLOBAL const T* y, GLOBAL const T* dy, int outer, int size, int inner, int isLog, GLOBAL T* dx)
{
    int r = GLOBAL_ID(0);
    if (r >= outer * inner)
    {
        return;
    }

    int o = r / inner;
    int base = o * size * inner + (r - o * inner);
    T dot = (T)0;
    for (int j = 0; j < size; j++)
    {
        int at = base + j * inner;
        dot += isLog ? dy[at] : dy[at] * y[at];
    }

    for (int j = 0; j < size; j++)
    {
        int at = base + j * inner;
        dx[at] = isLog ? dy[at] - exp(y[at]) * dot : y[at] * (dy[at] - dot);
    }
}
