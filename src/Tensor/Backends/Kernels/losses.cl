// The fused cross-entropy (log-softmax + negative log-likelihood with class weights, ignore_index and label
// smoothing) over logits of type T laid out [outer, classes, inner]: sample (o, i) reads its classes at stride
// inner. One work-group per sample (a power of two, at most LOSS_GROUP work-items, from the host); each
// work-item folds a strided share of the classes and the group combines the shares (group.h). The weight is
// optional (hasWeight); the targets are i64, each either ignoreIndex or a class.

#include "group.h"

#define LOSS_GROUP 256

// loss = w[t] (1 - e) (lse - x[t]) + (e / C) sum_c w[c] (lse - x[c]) (0 when ignored), with the log-sum-exp
// and w[t] (0 when ignored) saved per sample.
KERNEL void cross_entropy(GLOBAL const T* logits, int classes, int inner, GLOBAL const i64* target, GLOBAL const T* weight,
                          int hasWeight, i64 ignoreIndex, SCALAR smoothing, GLOBAL T* loss, GLOBAL T* logSumExp, GLOBAL T* sampleWeight)
{
    LOCAL T scratch[LOSS_GROUP];
    int sample = GROUP_ID(0);
    int lid = LOCAL_ID(0);
    int size = LOCAL_SIZE(0);
    int o = sample / inner;
    GLOBAL const T* xs = logits + o * classes * inner + (sample - o * inner);
    T e = (T)smoothing;

    T mx = (T)-INFINITY;
    for (int c = lid; c < classes; c += size)
    {
        T v = xs[c * inner];
        mx = isnan(mx) || mx >= v ? mx : v;
    }

    mx = group_max(scratch, mx);
    T sum = (T)0;
    T weighted = (T)0;
    T total = (T)0;
    for (int c = lid; c < classes; c += size)
    {
        T v = xs[c * inner];
        T w = hasWeight ? weight[c] : (T)1;
        sum += exp(v - mx);
        weighted += w * v;
        total += w;
    }

    T lse = mx + log(group_sum(scratch, sum));
    if (e != (T)0)
    {
        // Only smoothing needs sum_c w[c] x[c] and W = sum_c w[c].
        weighted = group_sum(scratch, weighted);
        total = group_sum(scratch, total);
    }

    if (lid == 0)
    {
        i64 t = target[sample];
        int ignored = t == ignoreIndex;
        T wt = ignored ? (T)0 : hasWeight ? weight[t] : (T)1;
        logSumExp[sample] = lse;
        sampleWeight[sample] = wt;
        loss[sample] = ignored ? (T)0 : wt * ((T)1 - e) * (lse - xs[t * inner]) + e / (T)classes * (total * lse - weighted);
    }
}

// dx[c] = gl ((w[t] (1 - e) + e W / C) p[c] - (e / C) w[c]) - gl w[t] (1 - e) [c = t] with p = exp(x - lse) and
// gl the sample's upstream gradient; 0 for an ignored sample.
KERNEL void cross_entropy_backward(GLOBAL const T* logits, int classes, int inner, GLOBAL const i64* target, GLOBAL const T* weight,
                                   int hasWeight, i64 ignoreIndex, SCALAR smoothing, GLOBAL const T* logSumExp, GLOBAL const T* gradLoss,
                                   GLOBAL T* gradLogits)
{
    LOCAL T scratch[LOSS_GROUP];
    int sample = GROUP_ID(0);
    int lid = LOCAL_ID(0);
    int size = LOCAL_SIZE(0);
    int o = sample / inner;
    int start = o * classes * inner + (sample - o * inner);
    GLOBAL const T* xs = logits + start;
    GLOBAL T* d = gradLogits + start;
    T e = (T)smoothing;
    T total = (T)classes;
    if (hasWeight && e != (T)0)
    {
        T partial = (T)0;
        for (int c = lid; c < classes; c += size)
        {
            partial += weight[c];
        }

        total = group_sum(scratch, partial);
    }

    i64 t = target[sample];
    if (t == ignoreIndex)
    {
        for (int c = lid; c < classes; c += size)
        {
            d[c * inner] = (T)0;
        }

        return;
    }

    T gl = gradLoss[sample];
    T wt = hasWeight ? weight[t] : (T)1;
    T scaleP = gl * (wt * ((T)1 - e) + e * total / (T)classes);
    T perClass = -gl * e / (T)classes;
    T hit = gl * wt * ((T)1 - e);
    T lse = logSumExp[sample];
    for (int c = lid; c < classes; c += size)
    {
        T v = scaleP * exp(xs[c * inner] - lse) + perClass * (hasWeight ? weight[c] : (T)1);
        d[c * inner] = c == t ? v - hit : v;
    }
}
