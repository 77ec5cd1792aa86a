// Optimizer kernels for one element type T (float or double): gradient statistics, in-place gradient shaping
// and the fused update rules, with the per-element arithmetic of the CPU kernels (Cpu/CpuOptimizerKernels*.cs)
// in the same order, so float32 results agree to rounding. Host coefficients arrive as SCALAR (double where
// the device has fp64) and are rounded to T here, as the CPU rounds them once per call.
//
// Reductions run in two stages so that no float atomics are needed: every work-group of the first stage
// writes one partial result in SCALAR into a slot of a scalar buffer (PARTIALS slots per reduced tensor; a
// launch with fewer groups fills the rest with 0, the identity of both sums and maxima of magnitudes), and
// finish_partials folds each tensor's PARTIALS slots into one. Element loops are grid-stride loops, so a
// launch's size is bounded and a work-item may visit several elements.

#define PARTIALS 64
#define REDUCE_LOCAL 256
#define GRID_STRIDE (NUM_GROUPS(0) * LOCAL_SIZE(0))

// max that propagates NaN, as the CPU's T.Max and the reductions' MaxMagnitude.
DEVICE SCALAR nan_max(SCALAR a, SCALAR b) { return isnan(a) ? a : isnan(b) ? b : (a > b ? a : b); }
DEVICE T nan_max_t(T a, T b) { return isnan(a) ? a : isnan(b) ? b : (a > b ? a : b); }

// sign with sign(0) = sign(NaN) = 0, as the CPU lanes compute it (two comparisons).
DEVICE T sign_of(T x) { return x > (T)0 ? (T)1 : x < (T)0 ? (T)-1 : (T)0; }

// The sum (isMax = 0) or NaN-propagating maximum (isMax = 1) of value over the work-group, whose size is a
// power of two; every work-item gets the result. scratch holds LOCAL_SIZE(0) values.
DEVICE SCALAR group_fold(LOCAL_PTR SCALAR* scratch, SCALAR value, int isMax)
{
    int lid = LOCAL_ID(0);
    // The barrier first: a previous fold's readers may still be reading scratch[0].
    BARRIER();
    scratch[lid] = value;
    BARRIER();
    for (int step = LOCAL_SIZE(0) / 2; step > 0; step /= 2)
    {
        if (lid < step)
        {
            scratch[lid] = isMax ? nan_max(scratch[lid], scratch[lid + step]) : scratch[lid] + scratch[lid + step];
        }

        BARRIER();
    }

    return scratch[0];
}

// Stores this work-group's partial result; group 0 also zeroes the slots of groups the launch did not have.
DEVICE void store_partial(GLOBAL SCALAR* partials, int base, SCALAR total)
{
    if (LOCAL_ID(0) == 0)
    {
        partials[base + GROUP_ID(0)] = total;
    }

    if (GROUP_ID(0) == 0)
    {
        for (int j = NUM_GROUPS(0) + LOCAL_ID(0); j < PARTIALS; j += LOCAL_SIZE(0))
        {
            partials[base + j] = (SCALAR)0;
        }
    }
}

// Work-group j (of PARTIALS work-items) folds slots [partialBase + j*PARTIALS, +PARTIALS) into s[destBase + j]:
// one launch finishes the reductions of many tensors.
KERNEL void finish_partials(GLOBAL SCALAR* s, int partialBase, int destBase, int isMax)
{
    LOCAL SCALAR scratch[PARTIALS];
    int j = GROUP_ID(0);
    SCALAR total = group_fold(scratch, s[partialBase + j * PARTIALS + LOCAL_ID(0)], isMax);
    if (LOCAL_ID(0) == 0)
    {
        s[destBase + j] = total;
    }
}

// ---- statistics ------------------------------------------------------------------------------------------

// sum of x^2, squared in SCALAR (NaN and infinity propagate).
KERNEL void sum_squares_partials(GLOBAL const T* x, int n, GLOBAL SCALAR* partials, int base)
{
    LOCAL SCALAR scratch[REDUCE_LOCAL];
    SCALAR acc = 0;
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        SCALAR v = (SCALAR)x[i];
        acc += v * v;
    }

    store_partial(partials, base, group_fold(scratch, acc, 0));
}

// max |x| (NaN propagates).
KERNEL void max_abs_partials(GLOBAL const T* x, int n, GLOBAL SCALAR* partials, int base)
{
    LOCAL SCALAR scratch[REDUCE_LOCAL];
    SCALAR acc = 0;
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        acc = nan_max(acc, (SCALAR)fabs(x[i]));
    }

    store_partial(partials, base, group_fold(scratch, acc, 1));
}

// sum of |x|^p, the power taken in T as the CPU does.
KERNEL void power_sum_partials(GLOBAL const T* x, int n, SCALAR p, GLOBAL SCALAR* partials, int base)
{
    LOCAL SCALAR scratch[REDUCE_LOCAL];
    T exponent = (T)p;
    SCALAR acc = 0;
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        acc += (SCALAR)pow(fabs(x[i]), exponent);
    }

    store_partial(partials, base, group_fold(scratch, acc, 0));
}

// ---- element-wise rewrites -------------------------------------------------------------------------------

KERNEL void scale(GLOBAL T* x, int n, SCALAR factor)
{
    T f = (T)factor;
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        x[i] = x[i] * f;
    }
}

KERNEL void axpy(GLOBAL T* y, GLOBAL const T* x, int n, SCALAR alpha)
{
    T a = (T)alpha;
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        y[i] = (x[i] * a) + y[i];
    }
}

// Comparisons with NaN are false, so NaN entries stay NaN.
DEVICE T clamp_to(T x, T limit) { return x > limit ? limit : x < -limit ? -limit : x; }

KERNEL void clamp_value(GLOBAL T* x, int n, SCALAR limit)
{
    T l = (T)limit;
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        x[i] = clamp_to(x[i], l);
    }
}

// SPAMP's power map v = sign(v) (|v| inverseScale)^alpha (pow(0, a) = 0; copysign keeps a signed zero), with the
// sum of squares of the results as partials.
KERNEL void power_shape(GLOBAL T* x, int n, SCALAR inverseScale, SCALAR alpha, GLOBAL SCALAR* partials, int base)
{
    LOCAL SCALAR scratch[REDUCE_LOCAL];
    T inv = (T)inverseScale, a = (T)alpha;
    SCALAR acc = 0;
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        T v = x[i];
        T w = copysign(pow(fabs(v) * inv, a), v);
        x[i] = w;
        acc += (SCALAR)w * (SCALAR)w;
    }

    store_partial(partials, base, group_fold(scratch, acc, 0));
}

// SPAM's spike clip: where g^2 > theta v, g = sign(g) sqrt(theta v). Each work-item adds its count once.
KERNEL void spike_clip(GLOBAL T* g, GLOBAL const T* v, int n, SCALAR theta, GLOBAL int* clipped)
{
    T th = (T)theta;
    int count = 0;
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        T gi = g[i];
        T bound = th * v[i];
        if (gi * gi > bound)
        {
            g[i] = copysign(sqrt(bound), gi);
            count++;
        }
    }

    if (count > 0)
    {
        ATOMIC_ADD_INT(clipped, count);
    }
}

// Stable-SPAM's AdaClip: entries with |x| > threshold are multiplied by factor.
KERNEL void ada_clip(GLOBAL T* x, int n, SCALAR threshold, SCALAR factor, GLOBAL int* clipped)
{
    T thr = (T)threshold, f = (T)factor;
    int count = 0;
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        T v = x[i];
        if (fabs(v) > thr)
        {
            x[i] = v * f;
            count++;
        }
    }

    if (count > 0)
    {
        ATOMIC_ADD_INT(clipped, count);
    }
}

// Entry-wise shrinkage y / w(y). The host derives factor (sqrt(1/2)/s for GaussGate, 1/(k s) otherwise),
// halfK2 = k^2/2 and limit = k s in double, as the CPU does before rounding them to T.
KERNEL void shrink(GLOBAL T* x, int n, int function, SCALAR factor, SCALAR halfK2, SCALAR limit)
{
    T f = (T)factor, h = (T)halfK2, l = (T)limit;
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        T v = x[i];
        if (function == SHRINK_HardClamp)
        {
            x[i] = clamp_to(v, l);
            continue;
        }

        T w = v * f;
        w = w * w;
        if (function == SHRINK_GaussGate)
        {
            // Beyond an exponent of 80 the gate is defined as exactly 0 (an infinite denominator).
            w = w - h;
            w = w > (T)80 ? (T)INFINITY : w;
            w = exp(w) + (T)1;
        }
        else if (function == SHRINK_SoftClip)
        {
            w = sqrt(w + (T)1);
        }
        else
        {
            w = w + (T)1;
        }

        x[i] = v / w;
    }
}

// ---- SPAM / Stable-SPAM Adam halves ----------------------------------------------------------------------

// m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2 (vmax = max(vmax, v) when hasVmax); partials of the squared norm
// of the proposed update stepSize m/(sqrt(v) denomScale + eps). 1 - b is taken in T, as the CPU does here.
KERNEL void spam_moments(GLOBAL const T* g, GLOBAL T* m, GLOBAL T* v, GLOBAL T* vmax, int hasVmax, int n,
                         SCALAR beta1, SCALAR beta2, SCALAR stepSize, SCALAR denomScale, SCALAR eps,
                         GLOBAL SCALAR* partials, int base)
{
    LOCAL SCALAR scratch[REDUCE_LOCAL];
    T b1 = (T)beta1, b2 = (T)beta2, ss = (T)stepSize, ds = (T)denomScale, e = (T)eps;
    T c1 = (T)1 - b1, c2 = (T)1 - b2;
    SCALAR acc = 0;
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        T gi = g[i];
        T mi = (b1 * m[i]) + (c1 * gi);
        T vi = (b2 * v[i]) + (c2 * gi * gi);
        m[i] = mi;
        v[i] = vi;
        if (hasVmax)
        {
            vi = nan_max_t(vmax[i], vi);
            vmax[i] = vi;
        }

        SCALAR u = (SCALAR)(ss * mi / ((sqrt(vi) * ds) + e));
        acc += u * u;
    }

    store_partial(partials, base, group_fold(scratch, acc, 0));
}

KERNEL void spam_apply_update(GLOBAL T* p, GLOBAL const T* m, GLOBAL const T* v, int n, SCALAR stepSize, SCALAR denomScale, SCALAR eps)
{
    T ss = (T)stepSize, ds = (T)denomScale, e = (T)eps;
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        p[i] -= ss * m[i] / ((sqrt(v[i]) * ds) + e);
    }
}

// ---- base rules --------------------------------------------------------------------------------------------

#define ADAM_DECOUPLED 1
#define ADAM_COUPLED 2
#define ADAM_MAXIMIZE 4
#define ADAM_SCALED 8
#define ADAM_AMSGRAD 16

// One Adam/AdamW element; the coefficients are already in T. Shared with the device-resident step.
DEVICE void adam_element(GLOBAL T* p, GLOBAL const T* g, GLOBAL T* m, GLOBAL T* v, GLOBAL T* vmax, int i, int flags,
                         T beta1, T oneMinusBeta1, T beta2, T oneMinusBeta2, T eps, T negStepSize, T bc2Sqrt,
                         T decay, T l2, T gradientScale)
{
    T pi = p[i];
    T gi = g[i];
    if (flags & ADAM_SCALED)
    {
        // The same multiply a separate scaling pass would do, so results are identical.
        gi *= gradientScale;
    }

    if (flags & ADAM_DECOUPLED)
    {
        pi *= decay;
    }

    if (flags & ADAM_MAXIMIZE)
    {
        gi = -gi;
    }

    if (flags & ADAM_COUPLED)
    {
        gi += l2 * pi;
    }

    T mi = (m[i] * beta1) + (gi * oneMinusBeta1);
    T vi = (v[i] * beta2) + (oneMinusBeta2 * gi * gi);
    m[i] = mi;
    v[i] = vi;
    if (flags & ADAM_AMSGRAD)
    {
        // AMSGrad keeps the max of the raw second moment and divides by the current bias correction.
        vi = nan_max_t(vmax[i], vi);
        vmax[i] = vi;
    }

    T denom = (sqrt(vi) / bc2Sqrt) + eps;
    p[i] = pi + (negStepSize * (mi / denom));
}

KERNEL void adam_step(GLOBAL T* p, GLOBAL const T* g, GLOBAL T* m, GLOBAL T* v, GLOBAL T* vmax, int n, int flags,
                      SCALAR beta1, SCALAR oneMinusBeta1, SCALAR beta2, SCALAR oneMinusBeta2, SCALAR eps,
                      SCALAR negStepSize, SCALAR bc2Sqrt, SCALAR decay, SCALAR l2, SCALAR gradientScale)
{
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        adam_element(p, g, m, v, vmax, i, flags, (T)beta1, (T)oneMinusBeta1, (T)beta2, (T)oneMinusBeta2, (T)eps,
                     (T)negStepSize, (T)bc2Sqrt, (T)decay, (T)l2, (T)gradientScale);
    }
}

// optax's scale_by_adam: the direction (m/bc1)/(sqrt(v)/sqrt(bc2) + eps) is written into the gradient.
KERNEL void adam_direction(GLOBAL T* g, GLOBAL T* m, GLOBAL T* v, int n, SCALAR beta1, SCALAR oneMinusBeta1,
                           SCALAR beta2, SCALAR oneMinusBeta2, SCALAR eps, SCALAR bc1, SCALAR bc2Sqrt)
{
    T b1 = (T)beta1, c1 = (T)oneMinusBeta1, b2 = (T)beta2, c2 = (T)oneMinusBeta2, e = (T)eps, d1 = (T)bc1, d2 = (T)bc2Sqrt;
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        T gi = g[i];
        T mi = (m[i] * b1) + (gi * c1);
        T vi = (v[i] * b2) + (c2 * gi * gi);
        m[i] = mi;
        v[i] = vi;
        g[i] = mi / d1 / ((sqrt(vi) / d2) + e);
    }
}

#define SGD_DECAY 1
#define SGD_NESTEROV 2
#define SGD_MAXIMIZE 4
#define SGD_FIRST 8
#define SGD_MOMENTUM 16
#define SGD_SCALED 32

// One SGD element (PyTorch semantics; the first step copies g into the buffer, undampened).
DEVICE void sgd_element(GLOBAL T* p, GLOBAL const T* g, GLOBAL T* buffer, int i, int flags,
                        T negLr, T momentum, T oneMinusDampening, T weightDecay, T gradientScale)
{
    T pi = p[i];
    T gi = g[i];
    if (flags & SGD_SCALED)
    {
        gi *= gradientScale;
    }

    if (flags & SGD_MAXIMIZE)
    {
        gi = -gi;
    }

    if (flags & SGD_DECAY)
    {
        gi += weightDecay * pi;
    }

    T d = gi;
    if (flags & SGD_MOMENTUM)
    {
        T buf = (flags & SGD_FIRST) ? gi : (buffer[i] * momentum) + (gi * oneMinusDampening);
        buffer[i] = buf;
        d = (flags & SGD_NESTEROV) ? gi + (buf * momentum) : buf;
    }

    p[i] = pi + (d * negLr);
}

KERNEL void sgd_step(GLOBAL T* p, GLOBAL const T* g, GLOBAL T* buffer, int n, int flags,
                     SCALAR negLr, SCALAR momentum, SCALAR oneMinusDampening, SCALAR weightDecay)
{
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        sgd_element(p, g, buffer, i, flags, (T)negLr, (T)momentum, (T)oneMinusDampening, (T)weightDecay, (T)1);
    }
}

// The momentum direction written into the gradient (optax's trace).
KERNEL void momentum_direction(GLOBAL T* g, GLOBAL T* buffer, int n, int flags, SCALAR momentum, SCALAR oneMinusDampening)
{
    T mu = (T)momentum, c = (T)oneMinusDampening;
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        T gi = g[i];
        T buf = (flags & SGD_FIRST) ? gi : (buffer[i] * mu) + (gi * c);
        buffer[i] = buf;
        g[i] = (flags & SGD_NESTEROV) ? gi + (buf * mu) : buf;
    }
}

// Lion: p = p decay - lr sign(b1 m + (1-b1) g); then the momentum moves with beta2.
KERNEL void lion_step(GLOBAL T* p, GLOBAL const T* g, GLOBAL T* m, int n, SCALAR negLr, SCALAR decay,
                      SCALAR beta1, SCALAR oneMinusBeta1, SCALAR beta2, SCALAR oneMinusBeta2)
{
    T lr = (T)negLr, d = (T)decay, b1 = (T)beta1, c1 = (T)oneMinusBeta1, b2 = (T)beta2, c2 = (T)oneMinusBeta2;
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        T gi = g[i];
        T mi = m[i];
        T direction = sign_of((mi * b1) + (gi * c1));
        p[i] = (p[i] * d) + (direction * lr);
        m[i] = (mi * b2) + (gi * c2);
    }
}
