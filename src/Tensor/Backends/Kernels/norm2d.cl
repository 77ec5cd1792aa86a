// Batch norm and group norm of a contiguous [batch, channels, spatial] tensor of type T, and their gradients. Each
// statistic is the sum over one work-group's elements (a channel across the batch for batch norm, a (sample, group)
// row for group norm): every work-item folds a strided share with a compensation term (TwoSum), then the group
// combines the shares in a tree, so float32 sums keep about twice float32's precision, as the CPU backend's
// double accumulation does, and results do not depend on scheduling. Per-channel arithmetic (invstd, momentum,
// the backward's coefficients) runs in SCALAR, double where the device has it, as the CPU computes it.

#define NORM_GROUP 256

// Folds y into the compensated sum (*sum, *comp): *sum + *comp is the exact total up to the compensation's rounding.
DEVICE void add_compensated(T* sum, T* comp, T y)
{
    T s = *sum + y;
    T back = s - *sum;
    *comp += (*sum - (s - back)) + (y - back);
    *sum = s;
}

// The work-group's total of every work-item's (sum, comp), returned to all of them. The scratch arrays are free
// again when it returns.
DEVICE SCALAR group_total(LOCAL_PTR T* partial, LOCAL_PTR T* partialComp, T sum, T comp)
{
    int lid = LOCAL_ID(0);
    int size = LOCAL_SIZE(0);
    partial[lid] = sum;
    partialComp[lid] = comp;
    BARRIER();
    for (int step = size / 2; step > 0; step /= 2)
    {
        if (lid < step)
        {
            T a = partial[lid];
            T c = partialComp[lid] + partialComp[lid + step];
            add_compensated(&a, &c, partial[lid + step]);
            partial[lid] = a;
            partialComp[lid] = c;
        }

        BARRIER();
    }

    SCALAR total = (SCALAR)partial[0] + (SCALAR)partialComp[0];
    BARRIER();
    return total;
}

// ---- batch norm ------------------------------------------------------------------------------------------------

// Offset of element i of channel c, with i running over (sample, position).
DEVICE int channel_element(int i, int c, int channels, int spatial)
{
    int n = i / spatial;
    return (n * channels + c) * spatial + (i - n * spatial);
}

// One work-group per channel: the statistics (the batch's in training, else the running ones), the running update,
// the saved mean and invstd, then y = (x - mean) * (weight * invstd) + bias (centred first, so a large mean does not
// cancel).
KERNEL void batch_norm(GLOBAL const T* x, int batch, int channels, int spatial,
                       GLOBAL const T* weight, int hasWeight, GLOBAL const T* bias, int hasBias,
                       GLOBAL T* runningMean, int hasRunningMean, GLOBAL T* runningVar, int hasRunningVar,
                       int training, SCALAR momentum, SCALAR eps, GLOBAL T* y, GLOBAL T* saveMean, GLOBAL T* saveInvstd)
{
    LOCAL T partial[NORM_GROUP];
    LOCAL T partialComp[NORM_GROUP];
    int c = GROUP_ID(0);
    int lid = LOCAL_ID(0);
    int size = LOCAL_SIZE(0);
    int count = batch * spatial;

    // The batch's statistics, summed over no elements in evaluation, so the barriers inside the sums are not under
    // a branch (PoCL's work-group loops computed wrong statistics for all but work-item 0 when they were).
    int statistics = training ? count : 0;
    T sum = (T)0, comp = (T)0;
    for (int i = lid; i < statistics; i += size)
    {
        add_compensated(&sum, &comp, x[channel_element(i, c, channels, spatial)]);
    }

    SCALAR batchMean = group_total(partial, partialComp, sum, comp) / count;

    // The sum of squared deviations, a second pass, so no cancellation.
    T batchCenter = (T)batchMean;
    sum = (T)0;
    comp = (T)0;
    for (int i = lid; i < statistics; i += size)
    {
        T d = x[channel_element(i, c, channels, spatial)] - batchCenter;
        add_compensated(&sum, &comp, d * d);
    }

    SCALAR squares = group_total(partial, partialComp, sum, comp);
    SCALAR mean, invstd;
    if (training)
    {
        mean = batchMean;
        invstd = 1 / sqrt(squares / count + eps);
        if (lid == 0 && hasRunningMean)
        {
            runningMean[c] = (T)((1 - momentum) * (SCALAR)runningMean[c] + momentum * mean);
        }

        if (lid == 0 && hasRunningVar)
        {
            SCALAR unbiased = count > 1 ? squares / (count - 1) : (SCALAR)NAN;
            runningVar[c] = (T)((1 - momentum) * (SCALAR)runningVar[c] + momentum * unbiased);
        }
    }
    else
    {
        mean = (SCALAR)runningMean[c];
        invstd = 1 / sqrt((SCALAR)runningVar[c] + eps);
    }

    T center = (T)mean;
    if (lid == 0)
    {
        saveMean[c] = center;
        saveInvstd[c] = (T)invstd;
    }

    T scale = (T)((hasWeight ? (SCALAR)weight[c] : (SCALAR)1) * invstd);
    T shift = hasBias ? bias[c] : (T)0;
    for (int i = lid; i < count; i += size)
    {
        int at = channel_element(i, c, channels, spatial);
        y[at] = (x[at] - center) * scale + shift;
    }
}

// One work-group per channel: sum dy and sum dy * (x - mean), then dweight = sum dy * xhat, dbias = sum dy and
// dx = a * dy + k * (x - mean) + k0 with a = weight * invstd; in training k and k0 carry the batch statistics'
// dependence on x, in evaluation they are 0. Each output is written only when present.
KERNEL void batch_norm_backward(GLOBAL const T* x, GLOBAL const T* dy, GLOBAL const T* saveMean, GLOBAL const T* saveInvstd,
                                GLOBAL const T* weight, int hasWeight, int batch, int channels, int spatial, int training,
                                GLOBAL T* dx, int hasDx, GLOBAL T* dweight, int hasDweight, GLOBAL T* dbias, int hasDbias)
{
    LOCAL T partial[NORM_GROUP];
    LOCAL T partialComp[NORM_GROUP];
    int c = GROUP_ID(0);
    int lid = LOCAL_ID(0);
    int size = LOCAL_SIZE(0);
    int count = batch * spatial;
    T center = saveMean[c];
    SCALAR invstd = (SCALAR)saveInvstd[c];
    T sumDy = (T)0, compDy = (T)0, sumDyCentered = (T)0, compDyCentered = (T)0;
    for (int i = lid; i < count; i += size)
    {
        int at = channel_element(i, c, channels, spatial);
        T g = dy[at];
        add_compensated(&sumDy, &compDy, g);
        add_compensated(&sumDyCentered, &compDyCentered, (x[at] - center) * g);
    }

    SCALAR totalDy = group_total(partial, partialComp, sumDy, compDy);
    SCALAR totalDyCentered = group_total(partial, partialComp, sumDyCentered, compDyCentered);
    if (lid == 0 && hasDweight)
    {
        dweight[c] = (T)(totalDyCentered * invstd);
    }

    if (lid == 0 && hasDbias)
    {
        dbias[c] = (T)totalDy;
    }

    if (!hasDx)
    {
        return;
    }

    SCALAR a = (hasWeight ? (SCALAR)weight[c] : (SCALAR)1) * invstd;
    T ta = (T)a;
    T k = training ? (T)(-a * invstd * invstd * totalDyCentered / count) : (T)0;
    T k0 = training ? (T)(-a * totalDy / count) : (T)0;
    for (int i = lid; i < count; i += size)
    {
        int at = channel_element(i, c, channels, spatial);
        dx[at] = ta * dy[at] + k * (x[at] - center) + k0;
    }
}

// ---- group norm ------------------------------------------------------------------------------------------------

// One work-group per (sample, group) row, which is contiguous: channels g * perGroup .. of sample n, each spatial
// long. Mean, then the variance of the centred values; y = x * scale + shift with the channel's affine folded in.
KERNEL void group_norm(GLOBAL const T* x, int channels, int spatial, int groups, GLOBAL const T* weight, int hasWeight,
                       GLOBAL const T* bias, int hasBias, SCALAR eps, GLOBAL T* y, GLOBAL T* mean, GLOBAL T* rstd)
{
    LOCAL T partial[NORM_GROUP];
    LOCAL T partialComp[NORM_GROUP];
    int row = GROUP_ID(0);
    int lid = LOCAL_ID(0);
    int size = LOCAL_SIZE(0);
    int perGroup = channels / groups;
    int length = perGroup * spatial;
    size_t base = (size_t)row * length;
    T sum = (T)0, comp = (T)0;
    for (int i = lid; i < length; i += size)
    {
        add_compensated(&sum, &comp, x[base + i]);
    }

    SCALAR m = group_total(partial, partialComp, sum, comp) / length;
    T center = (T)m;
    sum = (T)0;
    comp = (T)0;
    for (int i = lid; i < length; i += size)
    {
        T d = x[base + i] - center;
        add_compensated(&sum, &comp, d * d);
    }

    SCALAR s = 1 / sqrt(group_total(partial, partialComp, sum, comp) / length + eps);
    if (lid == 0)
    {
        mean[row] = center;
        rstd[row] = (T)s;
    }

    int c0 = row % groups * perGroup;
    for (int i = lid; i < length; i += size)
    {
        int c = c0 + i / spatial;
        SCALAR scale = hasWeight ? s * (SCALAR)weight[c] : s;
        SCALAR shift = (hasBias ? (SCALAR)bias[c] : (SCALAR)0) - m * scale;
        y[base + i] = x[base + i] * (T)scale + (T)shift;
    }
}

// One work-group per (sample, channel) plane: sums[plane] = sum dy and sums[planes + plane] = sum dy * x, which both
// the input gradient (per row) and the affine gradients (per channel) are made of.
KERNEL void group_norm_backward_sums(GLOBAL const T* x, GLOBAL const T* dy, int spatial, int planes, GLOBAL SCALAR* sums)
{
    LOCAL T partial[NORM_GROUP];
    LOCAL T partialComp[NORM_GROUP];
    int plane = GROUP_ID(0);
    int lid = LOCAL_ID(0);
    int size = LOCAL_SIZE(0);
    size_t base = (size_t)plane * spatial;
    T sumDy = (T)0, compDy = (T)0, sumDyX = (T)0, compDyX = (T)0;
    for (int i = lid; i < spatial; i += size)
    {
        T g = dy[base + i];
        add_compensated(&sumDy, &compDy, g);
        add_compensated(&sumDyX, &compDyX, g * x[base + i]);
    }

    SCALAR totalDy = group_total(partial, partialComp, sumDy, compDy);
    SCALAR totalDyX = group_total(partial, partialComp, sumDyX, compDyX);
    if (lid == 0)
    {
        sums[plane] = totalDy;
        sums[planes + plane] = totalDyX;
    }
}

// One work-group per (sample, group) row: dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = weight * dy,
// rewritten as (rstd * weight_c) * dy + a * x + b, whose row coefficients a and b come from the channels' sums.
KERNEL void group_norm_backward_input(GLOBAL const T* x, GLOBAL const T* dy, GLOBAL const T* mean, GLOBAL const T* rstd,
                                      GLOBAL const T* weight, int hasWeight, int channels, int spatial, int groups, int planes,
                                      GLOBAL const SCALAR* sums, GLOBAL T* dx)
{
    int row = GROUP_ID(0);
    int lid = LOCAL_ID(0);
    int size = LOCAL_SIZE(0);
    int perGroup = channels / groups;
    int length = perGroup * spatial;
    int n = row / groups, c0 = row % groups * perGroup;
    SCALAR m = (SCALAR)mean[row], s = (SCALAR)rstd[row];

    // Every work-item forms the row's coefficients itself: perGroup terms, against length / size elements each.
    SCALAR sumG = 0, sumGX = 0;
    for (int k = 0; k < perGroup; k++)
    {
        int nc = n * channels + c0 + k;
        SCALAR sd = sums[nc], sdx = sums[planes + nc];
        SCALAR w = hasWeight ? (SCALAR)weight[c0 + k] : (SCALAR)1;
        sumG += w * sd;
        sumGX += w * s * (sdx - m * sd);
    }

    SCALAR meanG = sumG / length, meanGX = sumGX / length;
    T a = (T)(-s * s * meanGX);
    T b = (T)(s * (m * s * meanGX - meanG));
    size_t base = (size_t)row * length;
    for (int i = lid; i < length; i += size)
    {
        int c = c0 + i / spatial;
        T scale = (T)(s * (hasWeight ? (SCALAR)weight[c] : (SCALAR)1));
        dx[base + i] = dy[base + i] * scale + x[base + i] * a + b;
    }
}

// One work-item per channel: dweight = sum over samples of (sum dy*x - mean * sum dy) * rstd, dbias = sum of sum dy.
KERNEL void group_norm_backward_affine(GLOBAL const T* mean, GLOBAL const T* rstd, int batch, int channels, int groups, int planes,
                                       GLOBAL const SCALAR* sums, GLOBAL T* dweight, int hasDweight, GLOBAL T* dbias, int hasDbias)
{
    int c = GLOBAL_ID(0);
    if (c >= channels)
    {
        return;
    }

    int perGroup = channels / groups;
    SCALAR w = 0, b = 0;
    for (int n = 0; n < batch; n++)
    {
        int nc = n * channels + c;
        int row = n * groups + c / perGroup;
        w += (sums[planes + nc] - (SCALAR)mean[row] * sums[nc]) * (SCALAR)rstd[row];
        b += sums[nc];
    }

    if (hasDweight)
    {
        dweight[c] = (T)w;
    }

    if (hasDbias)
    {
        dbias[c] = (T)b;
    }
}
