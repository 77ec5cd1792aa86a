// Layer norm and RMS norm over the rows of a contiguous [rows, cols] tensor of type T, and their gradients.
// The row kernels run one work-group per row (a power of two, at most NORM_GROUP work-items, from the host):
// each work-item folds a strided share of the row and the group combines the shares (group.h). Optional
// operands (weight, bias, mean) arrive as flags with some buffer standing in, never read.

#include "group.h"

#define NORM_GROUP 256

// The weight and bias gradients sum over rows, so a work-group owns AFFINE_COLUMNS adjacent columns (read
// together from each row) and splits the rows between LOCAL_SIZE(1) <= AFFINE_LANES lanes.
#define AFFINE_COLUMNS 32
#define AFFINE_LANES 8

// mean (when hasMean) and rstd are per row; RMS norm (rms = 1) does not centre the row.
KERNEL void layer_norm(GLOBAL const T* x, int cols, GLOBAL const T* weight, int hasWeight, GLOBAL const T* bias, int hasBias,
                       SCALAR eps, int rms, GLOBAL T* y, GLOBAL T* mean, int hasMean, GLOBAL T* rstd)
{
    LOCAL T scratch[NORM_GROUP];
    int row = GROUP_ID(0);
    int lid = LOCAL_ID(0);
    int size = LOCAL_SIZE(0);
    GLOBAL const T* xr = x + row * cols;
    GLOBAL T* yr = y + row * cols;

    // Two passes (mean, then squares of the centred values) rather than E[x^2] - E[x]^2, which cancels badly
    // when the mean is large next to the spread.
    T m = (T)0;
    if (!rms)
    {
        T sum = (T)0;
        for (int j = lid; j < cols; j += size)
        {
            sum += xr[j];
        }

        m = group_sum(scratch, sum) / (T)cols;
    }

    T squares = (T)0;
    for (int j = lid; j < cols; j += size)
    {
        T c = xr[j] - m;
        squares += c * c;
    }

    T s = (T)1 / sqrt(group_sum(scratch, squares) / (T)cols + (T)eps);
    if (lid == 0)
    {
        if (hasMean)
        {
            mean[row] = m;
        }

        rstd[row] = s;
    }

    for (int j = lid; j < cols; j += size)
    {
        T v = (xr[j] - m) * s;
        if (hasWeight)
        {
            v *= weight[j];
        }

        if (hasBias)
        {
            v += bias[j];
        }

        yr[j] = v;
    }
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * weight and xhat = (x - mean) * rstd
// (RMS norm, rms = 1: no mean, no mean(g) term), one work-group per row.
KERNEL void layer_norm_backward_input(GLOBAL const T* x, GLOBAL const T* dy, GLOBAL const T* mean, GLOBAL const T* rstd,
                                      GLOBAL const T* weight, int hasWeight, int cols, int rms, GLOBAL T* dx)
{
    LOCAL T scratch[NORM_GROUP];
    int row = GROUP_ID(0);
    int lid = LOCAL_ID(0);
    int size = LOCAL_SIZE(0);
    GLOBAL const T* xr = x + row * cols;
    GLOBAL const T* dyr = dy + row * cols;
    T s = rstd[row];
    T m = rms ? (T)0 : mean[row];
    T sumG = (T)0;
    T sumGX = (T)0;
    for (int j = lid; j < cols; j += size)
    {
        T g = hasWeight ? dyr[j] * weight[j] : dyr[j];
        sumG += g;
        sumGX += g * ((xr[j] - m) * s);
    }

    sumG = group_sum(scratch, sumG);
    sumGX = group_sum(scratch, sumGX);
    T a = -s * sumGX / (T)cols;
    T b = rms ? (T)0 : -s * sumG / (T)cols;
    GLOBAL T* dxr = dx + row * cols;
    for (int j = lid; j < cols; j += size)
    {
        T g = hasWeight ? dyr[j] * weight[j] : dyr[j];
        dxr[j] = g * s + (xr[j] - m) * s * a + b;
    }
}

// dweight[c] = sum over rows of dy * xhat, dbias[c] = sum over rows of dy. Each lane sums its rows in order and
// lane 0 adds the lanes in order: no atomics, the same result on every run.
KERNEL void layer_norm_backward_affine(GLOBAL const T* x, GLOBAL const T* dy, GLOBAL const T* mean, GLOBAL const T* rstd,
                                       int rows, int cols, int rms, GLOBAL T* dweight, int wantWeight, GLOBAL T* dbias, int wantBias)
{
    LOCAL T partialWeight[AFFINE_LANES][AFFINE_COLUMNS];
    LOCAL T partialBias[AFFINE_LANES][AFFINE_COLUMNS];
    int cx = LOCAL_ID(0);
    int lane = LOCAL_ID(1);
    int lanes = LOCAL_SIZE(1);
    int col = GROUP_ID(0) * AFFINE_COLUMNS + cx;
    T w = (T)0;
    T b = (T)0;
    if (col < cols)
    {
        for (int r = lane; r < rows; r += lanes)
        {
            T g = dy[r * cols + col];
            T m = rms ? (T)0 : mean[r];
            w += g * ((x[r * cols + col] - m) * rstd[r]);
            b += g;
        }
    }

    partialWeight[lane][cx] = w;
    partialBias[lane][cx] = b;
    BARRIER();
    if (lane == 0 && col < cols)
    {
        for (int k = 1; k < lanes; k++)
        {
            w += partialWeight[k][cx];
            b += partialBias[k][cx];
        }

        if (wantWeight)
        {
            dweight[col] = w;
        }

        if (wantBias)
        {
            dbias[col] = b;
        }
    }
}
