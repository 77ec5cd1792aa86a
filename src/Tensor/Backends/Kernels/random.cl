// The counter-based Philox4x32-10 stream of PhiloxStream.cs, reproduced exactly: one work-item per Philox
// block, which yields four elements (32-bit family: uniform float32, bernoulli) or two (pair family: uniform
// float64, normals). Keys and counters follow the contract: key (lo32(seed), hi32(seed)), counter
// (lo32(offset + block), hi32(offset + block), 0, 0). Needs fp64 (the normals evaluate Box-Muller in double).

#include "philox.h"

// 53 random bits from two words, exactly in [0, 1).
DEVICE double unit53(uint a, uint b)
{
    return ((double)(a >> 5) * 67108864.0 + (double)(b >> 6)) * (1.0 / 9007199254740992.0);
}

KERNEL void uniform_f32(GLOBAL float* dst, int n, ulong seed, ulong offset, float low, float high)
{
    int block = GLOBAL_ID(0);
    uint r[4];
    philox(seed, offset + (ulong)block, r);
    for (int w = 0; w < 4; w++)
    {
        int i = block * 4 + w;
        if (i < n)
        {
            // Three separately rounded operations (FP_CONTRACT is off): the contract's bit-exact rule.
            float x = (float)(r[w] >> 8) * (1.0f / 16777216.0f);
            float d = high - low;
            float t = d * x;
            float y = low + t;
            dst[i] = y >= high && high > low ? NEXT_DOWN(high) : y;
        }
    }
}

KERNEL void uniform_f64(GLOBAL double* dst, int n, ulong seed, ulong offset, double low, double high)
{
    int block = GLOBAL_ID(0);
    uint r[4];
    philox(seed, offset + (ulong)block, r);
    for (int w = 0; w < 2; w++)
    {
        int i = block * 2 + w;
        if (i < n)
        {
            double x = unit53(r[2 * w], r[2 * w + 1]);
            double d = high - low;
            double t = d * x;
            double y = low + t;
            dst[i] = y >= high && high > low ? NEXT_DOWN(high) : y;
        }
    }
}

KERNEL void normal_f32(GLOBAL float* dst, int n, ulong seed, ulong offset, double mean, double std)
{
    int block = GLOBAL_ID(0);
    uint r[4];
    philox(seed, offset + (ulong)block, r);
    double u1 = (double)((r[0] >> 8) + 1) * (1.0 / 16777216.0);
    double u2 = (double)(r[1] >> 8) * (1.0 / 16777216.0);
    double radius = sqrt(-2.0 * log(u1));
    double z0 = radius * cospi(2.0 * u2);
    double z1 = radius * sinpi(2.0 * u2);
    int i = block * 2;
    if (i < n)
    {
        dst[i] = (float)(mean + std * z0);
    }

    if (i + 1 < n)
    {
        dst[i + 1] = (float)(mean + std * z1);
    }
}

KERNEL void normal_f64(GLOBAL double* dst, int n, ulong seed, ulong offset, double mean, double std)
{
    int block = GLOBAL_ID(0);
    uint r[4];
    philox(seed, offset + (ulong)block, r);
    double u1 = unit53(r[0], r[1]) + 1.0 / 9007199254740992.0;
    double u2 = unit53(r[2], r[3]);
    double radius = sqrt(-2.0 * log(u1));
    double z0 = radius * cospi(2.0 * u2);
    double z1 = radius * sinpi(2.0 * u2);
    int i = block * 2;
    if (i < n)
    {
        dst[i] = mean + std * z0;
    }

    if (i + 1 < n)
    {
        dst[i + 1] = mean + std * z1;
    }
}

// bernoulli(p) as the contract's integer test (u >> 8) < threshold, threshold = ceil(p * 2^24) from the host.
#define BERNOULLI(NAME, TYPE)                                                        \
KERNEL void NAME(GLOBAL TYPE* dst, int n, ulong seed, ulong offset, uint threshold)  \
{                                                                                    \
    int block = GLOBAL_ID(0);                                                        \
    uint r[4];                                                                       \
    philox(seed, offset + (ulong)block, r);                                          \
    for (int w = 0; w < 4; w++)                                                      \
    {                                                                                \
        int i = block * 4 + w;                                                       \
        if (i < n)                                                                   \
        {                                                                            \
            dst[i] = (TYPE)((r[w] >> 8) < threshold ? 1 : 0);                        \
        }                                                                            \
    }                                                                                \
}

BERNOULLI(bernoulli_f32, float)
BERNOULLI(bernoulli_f64, double)
BERNOULLI(bernoulli_u8, uchar)
