// 2-d convolution of contiguous NCHW tensors of type T (weights OIHW), in all three directions, as an implicit
// GEMM: each direction is a matrix product C = A B per (image or split, channel group) whose operands are read
// straight from the tensors through index arithmetic, so no patch matrix is ever stored and no output element
// is written by more than one work-item (no atomics: results do not depend on scheduling).
//
//   forward          y[n, g]  [C_out/g, OutPlane] = W[g] [C_out/g, PatchSize]    @ im2col(x[n, g]) [PatchSize, OutPlane]
//   backward input   dx[n, g] [C_in/g, InPlane]   = W^T[g] [C_in/g, C_out/g*taps] @ gather(dy[n, g]) [C_out/g*taps, InPlane]
//   backward weight  dW[g]    [C_out/g, PatchSize] = dy[g] [C_out/g, N*OutPlane]   @ im2col(x[g])^T [N*OutPlane, PatchSize]
//
// PatchSize = C_in/g * taps, taps = kH * kW. The input gradient gathers, for each input position and kernel tap,
// the one output position that read it through that tap (none when the stride skips it), so it needs no col2im
// scatter. The weight gradient's depth N*OutPlane is long and its output small, so the host splits the depth
// into chunks ("split-K"), each writing its own partial product, and conv_sum_splits adds them in order.
//
// Work-group: 16 x 16 work-items computing a 32 x 32 block of C, 2 x 2 elements each, staging 32 x 16 blocks of
// A and 16 x 32 blocks of B in local memory so each element read from global memory is used 32 times.

#define THREADS 16
#define TILE 32
#define TILE_K 16
#define LOADS_A (TILE * TILE_K / (THREADS * THREADS))
#define LOADS_B (TILE_K * TILE / (THREADS * THREADS))

#define CONV_FORWARD 0
#define CONV_BACKWARD_INPUT 1
#define CONV_BACKWARD_WEIGHT 2

// Every size of the convolution: the fields of Conv2dGeometry the kernels use, in this order (GpuBackend.ConvShape).
typedef struct
{
    int batch, inChannels, inHeight, inWidth;
    int outChannels, outHeight, outWidth, groups;
    int kernelHeight, kernelWidth, strideHeight, strideWidth;
    int padTop, padLeft, dilationHeight, dilationWidth;
} ConvShape;

// x[n, g*C_in/g + c, ih, iw] for unrolled row r = (c, i, j) and output position p = (oh, ow): the input element under
// tap (i, j) of the window at p, or 0 in the padding.
DEVICE T im2col(ConvShape s, GLOBAL const T* x, int n, int g, int r, int p)
{
    int taps = s.kernelHeight * s.kernelWidth;
    int c = r / taps, tap = r - c * taps;
    int i = tap / s.kernelWidth, j = tap - i * s.kernelWidth;
    int oh = p / s.outWidth, ow = p - oh * s.outWidth;
    int ih = oh * s.strideHeight - s.padTop + i * s.dilationHeight;
    int iw = ow * s.strideWidth - s.padLeft + j * s.dilationWidth;
    if ((uint)ih >= (uint)s.inHeight || (uint)iw >= (uint)s.inWidth)
    {
        return (T)0;
    }

    int channel = g * (s.inChannels / s.groups) + c;
    return x[((n * s.inChannels + channel) * s.inHeight + ih) * s.inWidth + iw];
}

// dy[n, g*C_out/g + o, oh, ow] for row k = (o, i, j) and input position q = (ih, iw): the output element whose window
// put tap (i, j) on q, or 0 when no window does (q falls between strides, or outside every window).
DEVICE T gather_output(ConvShape s, GLOBAL const T* dy, int n, int g, int k, int q)
{
    int taps = s.kernelHeight * s.kernelWidth;
    int o = k / taps, tap = k - o * taps;
    int i = tap / s.kernelWidth, j = tap - i * s.kernelWidth;
    int ih = q / s.inWidth, iw = q - ih * s.inWidth;
    int th = ih + s.padTop - i * s.dilationHeight;
    int tw = iw + s.padLeft - j * s.dilationWidth;
    if (th < 0 || tw < 0)
    {
        return (T)0;
    }

    int oh = th / s.strideHeight, ow = tw / s.strideWidth;
    if (oh * s.strideHeight != th || ow * s.strideWidth != tw || oh >= s.outHeight || ow >= s.outWidth)
    {
        return (T)0;
    }

    int channel = g * (s.outChannels / s.groups) + o;
    return dy[((n * s.outChannels + channel) * s.outHeight + oh) * s.outWidth + ow];
}

// A[row, k] of the direction's product for image n (unused by the weight gradient) and channel group g.
DEVICE T load_a(int direction, ConvShape s, GLOBAL const T* a, int n, int g, int row, int k)
{
    int taps = s.kernelHeight * s.kernelWidth;
    int cig = s.inChannels / s.groups, cog = s.outChannels / s.groups;
    if (direction == CONV_FORWARD)
    {
        // The group's filters, one per row: W[g*cog + row, k].
        return a[(g * cog + row) * cig * taps + k];
    }

    if (direction == CONV_BACKWARD_INPUT)
    {
        // W transposed within the group: row is the input channel, k = (o, tap).
        int o = k / taps, tap = k - o * taps;
        return a[((g * cog + o) * cig + row) * taps + tap];
    }

    // dy with k = (image, output position) running over the whole batch.
    int plane = s.outHeight * s.outWidth;
    int image = k / plane, p = k - image * plane;
    return a[(image * s.outChannels + g * cog + row) * plane + p];
}

// B[k, col] of the direction's product.
DEVICE T load_b(int direction, ConvShape s, GLOBAL const T* b, int n, int g, int k, int col)
{
    if (direction == CONV_FORWARD)
    {
        return im2col(s, b, n, g, k, col);
    }

    if (direction == CONV_BACKWARD_INPUT)
    {
        return gather_output(s, b, n, g, k, col);
    }

    int plane = s.outHeight * s.outWidth;
    int image = k / plane;
    return im2col(s, b, image, g, col, k - image * plane);
}

// One 32 x 32 block of C = A B (rows m, columns n, depth [kBegin, kEnd)) for the work-group's (outer, group):
// outer is the image for the forward and input gradient, the depth chunk for the weight gradient. The block of C
// for (outer, g) starts at (outer * groups + g) * m * n in every direction (see the file comment's shapes), and
// the forward adds bias[g*m + row] when hasBias.
DEVICE void conv_gemm(int direction, ConvShape s, GLOBAL const T* a, GLOBAL const T* b, GLOBAL const T* bias, int hasBias,
                      GLOBAL T* c, int m, int n, int kBegin, int kEnd, int z, LOCAL_PTR T* aTile, LOCAL_PTR T* bTile)
{
    int tx = LOCAL_ID(0), ty = LOCAL_ID(1);
    int lid = ty * THREADS + tx;
    int col0 = GROUP_ID(0) * TILE, row0 = GROUP_ID(1) * TILE;
    int outer = z / s.groups, g = z - outer * s.groups;
    T acc00 = (T)0, acc01 = (T)0, acc10 = (T)0, acc11 = (T)0;
    for (int k0 = kBegin; k0 < kEnd; k0 += TILE_K)
    {
        for (int e = 0; e < LOADS_A; e++)
        {
            // Consecutive work-items take consecutive k: the operands are contiguous along k.
            int at = lid + e * THREADS * THREADS;
            int row = at / TILE_K, kk = at - row * TILE_K;
            int gr = row0 + row, gk = k0 + kk;
            aTile[at] = gr < m && gk < kEnd ? load_a(direction, s, a, outer, g, gr, gk) : (T)0;
        }

        for (int e = 0; e < LOADS_B; e++)
        {
            int at = lid + e * THREADS * THREADS;
            int kk = at / TILE, cc = at - kk * TILE;
            int gk = k0 + kk, gc = col0 + cc;
            bTile[at] = gk < kEnd && gc < n ? load_b(direction, s, b, outer, g, gk, gc) : (T)0;
        }

        BARRIER();
        for (int q = 0; q < TILE_K; q++)
        {
            T a0 = aTile[ty * TILE_K + q], a1 = aTile[(ty + THREADS) * TILE_K + q];
            T b0 = bTile[q * TILE + tx], b1 = bTile[q * TILE + tx + THREADS];
            acc00 += a0 * b0;
            acc01 += a0 * b1;
            acc10 += a1 * b0;
            acc11 += a1 * b1;
        }

        BARRIER();
    }

    // Work-item (tx, ty) owns rows ty and ty + 16, columns tx and tx + 16: neighbours write neighbouring columns.
    GLOBAL T* block = c + (size_t)z * m * n;
    for (int r = 0; r < 2; r++)
    {
        int row = row0 + ty + r * THREADS;
        if (row >= m)
        {
            continue;
        }

        T shift = hasBias ? bias[g * m + row] : (T)0;
        int col = col0 + tx;
        if (col < n)
        {
            block[row * n + col] = (r == 0 ? acc00 : acc10) + shift;
        }

        if (col + THREADS < n)
        {
            block[row * n + col + THREADS] = (r == 0 ? acc01 : acc11) + shift;
        }
    }
}

// y = conv(x, w) + bias, for images and groups z = zBase + GROUP_ID(2) = n * groups + g.
KERNEL void conv_forward(ConvShape s, GLOBAL const T* x, GLOBAL const T* w, GLOBAL const T* bias, int hasBias, GLOBAL T* y, int zBase)
{
    LOCAL T aTile[TILE * TILE_K];
    LOCAL T bTile[TILE_K * TILE];
    int cig = s.inChannels / s.groups;
    int patch = cig * s.kernelHeight * s.kernelWidth;
    conv_gemm(CONV_FORWARD, s, w, x, bias, hasBias, y, s.outChannels / s.groups, s.outHeight * s.outWidth,
              0, patch, zBase + GROUP_ID(2), aTile, bTile);
}

// dx from dy and w, for images and groups z = zBase + GROUP_ID(2) = n * groups + g.
KERNEL void conv_backward_input(ConvShape s, GLOBAL const T* dy, GLOBAL const T* w, GLOBAL T* dx, int zBase)
{
    LOCAL T aTile[TILE * TILE_K];
    LOCAL T bTile[TILE_K * TILE];
    int cog = s.outChannels / s.groups;
    int depth = cog * s.kernelHeight * s.kernelWidth;
    conv_gemm(CONV_BACKWARD_INPUT, s, w, dy, dy, 0, dx, s.inChannels / s.groups, s.inHeight * s.inWidth,
              0, depth, zBase + GROUP_ID(2), aTile, bTile);
}

// The partial weight gradients of depth chunks [split * chunk, (split + 1) * chunk) of (image, output position),
// for z = zBase + GROUP_ID(2) = split * groups + g: partial[split] is a whole [C_out, PatchSize] gradient.
KERNEL void conv_backward_weight(ConvShape s, GLOBAL const T* x, GLOBAL const T* dy, GLOBAL T* partial, int chunk, int zBase)
{
    LOCAL T aTile[TILE * TILE_K];
    LOCAL T bTile[TILE_K * TILE];
    int z = zBase + GROUP_ID(2);
    int split = z / s.groups;
    int depth = s.batch * s.outHeight * s.outWidth;
    int kBegin = split * chunk;
    int kEnd = min(kBegin + chunk, depth);
    int patch = (s.inChannels / s.groups) * s.kernelHeight * s.kernelWidth;
    conv_gemm(CONV_BACKWARD_WEIGHT, s, dy, x, dy, 0, partial, s.outChannels / s.groups, patch, kBegin, kEnd, z, aTile, bTile);
}

// dst[e] = the sum over splits, in order, of partial[split * count + e].
KERNEL void conv_sum_splits(GLOBAL const T* partial, int splits, int count, GLOBAL T* dst)
{
    int e = GLOBAL_ID(0);
    if (e >= count)
    {
        return;
    }

    T sum = partial[e];
    for (int split = 1; split < splits; split++)
    {
        sum += partial[(size_t)split * count + e];
    }

    dst[e] = sum;
}
