// 2-d pooling of contiguous NCHW tensors of type T and its gradients: one work-item per output element forward, one
// per input element backward. A backward work-item gathers the gradient of every window that covers its element,
// in the order of the output elements, which is the order in which the CPU backend scatters them: results match
// it exactly and need no atomics. Windows are clipped exactly as the CPU backend (and PyTorch) clip them. The
// backends pool floating-point tensors only; the file also compiles for integer T, like every family.

#if IS_FLOAT
#define T_ISNAN(x) isnan(x)
#define T_LOWEST ((T)-INFINITY)
#else
#define T_ISNAN(x) 0
#define T_LOWEST T_MIN
#endif

// Every size of the pooling (GpuBackend.PoolShape): planes = N * C.
typedef struct
{
    int planes, inHeight, inWidth, outHeight, outWidth;
    int kernelHeight, kernelWidth, strideHeight, strideWidth;
    int padHeight, padWidth, dilationHeight, dilationWidth;
} PoolShape;

// First output index o >= 0 whose window [o * stride - pad, o * stride - pad + span) can contain position i, where
// span is the window's extent; the last is min((i + pad) / stride, outSize - 1).
DEVICE int first_window(int i, int pad, int span, int stride)
{
    int reach = i + pad - span + 1;
    return reach <= 0 ? 0 : (reach + stride - 1) / stride;
}

DEVICE int last_window(int i, int pad, int stride, int outSize)
{
    return min((i + pad) / stride, outSize - 1);
}

// ---- max pooling -----------------------------------------------------------------------------------------------

KERNEL void max_pool(PoolShape s, GLOBAL const T* x, GLOBAL T* y, GLOBAL i64* indices)
{
    int o = GLOBAL_ID(0);
    int outPlane = s.outHeight * s.outWidth;
    if (o >= s.planes * outPlane)
    {
        return;
    }

    int plane = o / outPlane, at = o - plane * outPlane;
    int oh = at / s.outWidth, ow = at - oh * s.outWidth;
    // The window's first tap at or after 0 and its end, as PyTorch's max pooling clips it.
    int h0 = oh * s.strideHeight - s.padHeight, w0 = ow * s.strideWidth - s.padWidth;
    int h1 = min(h0 + (s.kernelHeight - 1) * s.dilationHeight + 1, s.inHeight);
    int w1 = min(w0 + (s.kernelWidth - 1) * s.dilationWidth + 1, s.inWidth);
    while (h0 < 0)
    {
        h0 += s.dilationHeight;
    }

    while (w0 < 0)
    {
        w0 += s.dilationWidth;
    }

    GLOBAL const T* src = x + (size_t)plane * s.inHeight * s.inWidth;
    // PyTorch starts from -inf at the window's first tap and lets NaN win.
    T best = T_LOWEST;
    int arg = h0 * s.inWidth + w0;
    for (int ih = h0; ih < h1; ih += s.dilationHeight)
    {
        for (int iw = w0; iw < w1; iw += s.dilationWidth)
        {
            int index = ih * s.inWidth + iw;
            T v = src[index];
            if (v > best || T_ISNAN(v))
            {
                best = v;
                arg = index;
            }
        }
    }

    y[o] = best;
    indices[o] = (i64)arg;
}

// dx[plane, i] = the sum of dy[plane, o] over the windows o that chose element i.
KERNEL void max_pool_backward(PoolShape s, GLOBAL const T* dy, GLOBAL const i64* indices, GLOBAL T* dx)
{
    int e = GLOBAL_ID(0);
    int inPlane = s.inHeight * s.inWidth;
    if (e >= s.planes * inPlane)
    {
        return;
    }

    int plane = e / inPlane, at = e - plane * inPlane;
    int ih = at / s.inWidth, iw = at - ih * s.inWidth;
    int spanH = (s.kernelHeight - 1) * s.dilationHeight + 1, spanW = (s.kernelWidth - 1) * s.dilationWidth + 1;
    int ohLast = last_window(ih, s.padHeight, s.strideHeight, s.outHeight);
    int owLast = last_window(iw, s.padWidth, s.strideWidth, s.outWidth);
    size_t base = (size_t)plane * s.outHeight * s.outWidth;
    T sum = (T)0;
    for (int oh = first_window(ih, s.padHeight, spanH, s.strideHeight); oh <= ohLast; oh++)
    {
        for (int ow = first_window(iw, s.padWidth, spanW, s.strideWidth); ow <= owLast; ow++)
        {
            size_t o = base + oh * s.outWidth + ow;
            if (indices[o] == (i64)at)
            {
                sum += dy[o];
            }
        }
    }

    dx[e] = sum;
}

// ---- average pooling -------------------------------------------------------------------------------------------

// The window of output (oh, ow) clipped to the input, [h0, h1) x [w0, w1), and its divisor: divisorOverride when
// positive, else the window clipped to the padded input (countIncludePad) or to the input.
DEVICE int avg_window(PoolShape s, int oh, int ow, int countIncludePad, int divisorOverride, int* h0, int* h1, int* w0, int* w1)
{
    int hs = oh * s.strideHeight - s.padHeight, ws = ow * s.strideWidth - s.padWidth;
    int he = min(hs + s.kernelHeight, s.inHeight + s.padHeight), we = min(ws + s.kernelWidth, s.inWidth + s.padWidth);
    int poolSize = (he - hs) * (we - ws);
    *h0 = max(hs, 0);
    *w0 = max(ws, 0);
    *h1 = min(he, s.inHeight);
    *w1 = min(we, s.inWidth);
    return divisorOverride > 0 ? divisorOverride : countIncludePad ? poolSize : (*h1 - *h0) * (*w1 - *w0);
}

KERNEL void avg_pool(PoolShape s, GLOBAL const T* x, GLOBAL T* y, int countIncludePad, int divisorOverride)
{
    int o = GLOBAL_ID(0);
    int outPlane = s.outHeight * s.outWidth;
    if (o >= s.planes * outPlane)
    {
        return;
    }

    int plane = o / outPlane, at = o - plane * outPlane;
    int oh = at / s.outWidth, ow = at - oh * s.outWidth;
    int h0, h1, w0, w1;
    int divisor = avg_window(s, oh, ow, countIncludePad, divisorOverride, &h0, &h1, &w0, &w1);
    if (h0 >= h1 || w0 >= w1)
    {
        y[o] = (T)0;
        return;
    }

    GLOBAL const T* src = x + (size_t)plane * s.inHeight * s.inWidth;
    T sum = (T)0;
    for (int ih = h0; ih < h1; ih++)
    {
        for (int iw = w0; iw < w1; iw++)
        {
            sum += src[ih * s.inWidth + iw];
        }
    }

    y[o] = sum / (T)divisor;
}

// dx[plane, i] = the sum of dy[plane, o] / divisor(o) over the windows o that contain element i.
KERNEL void avg_pool_backward(PoolShape s, GLOBAL const T* dy, GLOBAL T* dx, int countIncludePad, int divisorOverride)
{
    int e = GLOBAL_ID(0);
    int inPlane = s.inHeight * s.inWidth;
    if (e >= s.planes * inPlane)
    {
        return;
    }

    int plane = e / inPlane, at = e - plane * inPlane;
    int ih = at / s.inWidth, iw = at - ih * s.inWidth;
    int ohLast = last_window(ih, s.padHeight, s.strideHeight, s.outHeight);
    int owLast = last_window(iw, s.padWidth, s.strideWidth, s.outWidth);
    size_t base = (size_t)plane * s.outHeight * s.outWidth;
    T sum = (T)0;
    for (int oh = first_window(ih, s.padHeight, s.kernelHeight, s.strideHeight); oh <= ohLast; oh++)
    {
        for (int ow = first_window(iw, s.padWidth, s.kernelWidth, s.strideWidth); ow <= owLast; ow++)
        {
            int h0, h1, w0, w1;
            int divisor = avg_window(s, oh, ow, countIncludePad, divisorOverride, &h0, &h1, &w0, &w1);
            sum += dy[base + oh * s.outWidth + ow] / (T)divisor;
        }
    }

    dx[e] = sum;
}

// ---- adaptive average pooling ----------------------------------------------------------------------------------

// PyTorch's window of output o over an input of size n split into outSize: [floor(o*n/outSize), ceil((o+1)*n/outSize)).
DEVICE int adaptive_start(int o, int n, int outSize)
{
    return (int)((i64)o * n / outSize);
}

DEVICE int adaptive_end(int o, int n, int outSize)
{
    return (int)(((i64)(o + 1) * n + outSize - 1) / outSize);
}

KERNEL void adaptive_avg_pool(PoolShape s, GLOBAL const T* x, GLOBAL T* y)
{
    int o = GLOBAL_ID(0);
    int outPlane = s.outHeight * s.outWidth;
    if (o >= s.planes * outPlane)
    {
        return;
    }

    int plane = o / outPlane, at = o - plane * outPlane;
    int oh = at / s.outWidth, ow = at - oh * s.outWidth;
    int h0 = adaptive_start(oh, s.inHeight, s.outHeight), h1 = adaptive_end(oh, s.inHeight, s.outHeight);
    int w0 = adaptive_start(ow, s.inWidth, s.outWidth), w1 = adaptive_end(ow, s.inWidth, s.outWidth);
    GLOBAL const T* src = x + (size_t)plane * s.inHeight * s.inWidth;
    T sum = (T)0;
    for (int ih = h0; ih < h1; ih++)
    {
        for (int iw = w0; iw < w1; iw++)
        {
            sum += src[ih * s.inWidth + iw];
        }
    }

    y[o] = sum / (T)((h1 - h0) * (w1 - w0));
}

// dx[plane, i] = the sum of dy[plane, o] / |window o| over the windows o that contain element i. Windows start and
// end monotonically, so the first is the smallest o whose window ends after i, floor(i * outSize / n), and the
// walk stops at the first window that starts after i.
KERNEL void adaptive_avg_pool_backward(PoolShape s, GLOBAL const T* dy, GLOBAL T* dx)
{
    int e = GLOBAL_ID(0);
    int inPlane = s.inHeight * s.inWidth;
    if (e >= s.planes * inPlane)
    {
        return;
    }

    int plane = e / inPlane, at = e - plane * inPlane;
    int ih = at / s.inWidth, iw = at - ih * s.inWidth;
    size_t base = (size_t)plane * s.outHeight * s.outWidth;
    T sum = (T)0;
    for (int oh = (int)((i64)ih * s.outHeight / s.inHeight); oh < s.outHeight && adaptive_start(oh, s.inHeight, s.outHeight) <= ih; oh++)
    {
        int rows = adaptive_end(oh, s.inHeight, s.outHeight) - adaptive_start(oh, s.inHeight, s.outHeight);
        for (int ow = (int)((i64)iw * s.outWidth / s.inWidth); ow < s.outWidth && adaptive_start(ow, s.inWidth, s.outWidth) <= iw; ow++)
        {
            int cols = adaptive_end(ow, s.inWidth, s.outWidth) - adaptive_start(ow, s.inWidth, s.outWidth);
            sum += dy[base + oh * s.outWidth + ow] / (T)(rows * cols);
        }
    }

    dx[e] = sum;
}
