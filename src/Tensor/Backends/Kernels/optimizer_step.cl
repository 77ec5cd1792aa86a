// The device-resident optimizer step (built on optimizer.cl, whose helpers and element kernels it reuses).
//
// Everything a step decides from statistics (the squared norms, the non-finite flag, SPAMP's threshold and
// exponent, clip factors, the deferred per-tensor gradient scales, step counters, the learning-rate schedule)
// lives in one scalar buffer s of SCALAR slots on the device. Small "scalar kernels" (one work-item, or one per
// layer) compute these values from earlier slots; the element kernels read their factors from the slots. So a
// step is a sequence of launches on the in-order queue and the host never waits for a value.
//
// Layout of s (offsets are chosen by the host, Optim/Core/DeviceStep.cs, and passed as arguments):
//   STEP_SLOT_*        fixed slots at the start: the skip flag of the current step, completed and skipped steps
//   norms[n]           squared norm of each gradient as the next reader will see it (StepContext's norm cache)
//   normsBefore[n]     the squared norms as the gradients arrived (for telemetry)
//   scales[n]          each gradient's pending scale (StepContext.ScaleGradient): applied by the next reader
//   updates[n]         each parameter's update count (ParameterState.Step)
//   transform and rule regions, in chain order (SPAMP: SPAMP_SLOT_* per layer, its member tables, shaped sums)
//   ring[RingSize]     the schedule's learning-rate factors, indexed by the completed-step count modulo RingSize
//   partials[n][PARTIALS]  first-stage results of the per-tensor reductions
// The host reads back only the slots before the ring, and only when it is asked for a value.
// A skipped step (non-finite gradients under NonFinitePolicy.SkipStep) is decided on the device: every kernel
// then leaves all state as it is, and the update kernels zero the gradients instead of applying them.

#define IS_SKIPPED(s) ((s)[STEP_SLOT_Skip] != (SCALAR)0)

// The values of Spamp.Optim's SpampShapeMode, SpampTauInit and SpampTauSource (a test holds them equal).
#define SPAMP_SHAPE_RestoreNorm 0
#define SPAMP_SHAPE_Rms 1
#define SPAMP_SHAPE_Raw 2
#define SPAMP_INIT_BiasCorrected 0
#define SPAMP_INIT_Zero 1
#define SPAMP_INIT_FirstNorm 2
#define SPAMP_SOURCE_Ema 0
#define SPAMP_SOURCE_Fixed 1
#define SPAMP_SOURCE_PreviousNorm 2

// A bound on |ln u| for the normalised values the power acts on (as SpampShaping.MaxLogMagnitude).
#define SPAMP_MAX_LOG_MAGNITUDE 40

// ---- the step's frame -------------------------------------------------------------------------------------

// After the norms are measured: a copy of them as they arrived, the skip decision (the sum of squared norms is
// not finite and skipNonFinite), fresh pending scales, and the schedule factor of the step being issued, written
// at ring[ringSlot].
KERNEL void step_begin(GLOBAL SCALAR* s, int norms, int normsBefore, int scales, int tensors, int skipNonFinite, int ringSlot, SCALAR factor)
{
    if (GLOBAL_ID(0) != 0)
    {
        return;
    }

    SCALAR total = 0;
    for (int i = 0; i < tensors; i++)
    {
        total += s[norms + i];
        s[normsBefore + i] = s[norms + i];
        s[scales + i] = (SCALAR)1;
    }

    int skip = skipNonFinite && !isfinite(total);
    s[STEP_SLOT_Skip] = (SCALAR)skip;
    if (skip)
    {
        s[STEP_SLOT_Skipped] += (SCALAR)1;
    }

    s[ringSlot] = factor;
}

// After the update: every parameter and the optimizer count one more completed step (unless it was skipped).
KERNEL void step_end(GLOBAL SCALAR* s, int updates, int tensors)
{
    if (GLOBAL_ID(0) != 0 || IS_SKIPPED(s))
    {
        return;
    }

    for (int i = 0; i < tensors; i++)
    {
        s[updates + i] += (SCALAR)1;
    }

    s[STEP_SLOT_Completed] += (SCALAR)1;
}

// Sets count slots from base to value unless the step is skipped (a rule's flags, such as "momentum buffer filled").
KERNEL void fill_unless_skipped(GLOBAL SCALAR* s, int base, int count, SCALAR value)
{
    if (GLOBAL_ID(0) != 0 || IS_SKIPPED(s))
    {
        return;
    }

    for (int i = 0; i < count; i++)
    {
        s[base + i] = value;
    }
}

// The learning rate of this step: (base lr x schedule factor at the completed-step count) x the step's lr scale,
// in the host's order of operations.
DEVICE SCALAR scheduled_lr(GLOBAL const SCALAR* s, int ring, int ringSize, SCALAR baseLr, SCALAR lrScale)
{
    long completed = (long)s[STEP_SLOT_Completed];
    return baseLr * s[ring + (int)(completed % ringSize)] * lrScale;
}

// ---- global norm clipping ---------------------------------------------------------------------------------

// ClipGradNorm with p = 2 (PyTorch's clip_grad_norm_): c = min(maxNorm/(total + 1e-6), 1), NaN kept, recorded as
// a pending scale of every gradient. s[result] gets the total norm, s[result + 1] whether it clipped.
KERNEL void clip_global(GLOBAL SCALAR* s, int norms, int scales, int tensors, SCALAR maxNorm, int result)
{
    if (GLOBAL_ID(0) != 0 || IS_SKIPPED(s))
    {
        return;
    }

    SCALAR squared = 0;
    for (int i = 0; i < tensors; i++)
    {
        squared += s[norms + i];
    }

    SCALAR total = sqrt(squared);
    SCALAR coef = maxNorm / (total + (SCALAR)1e-6);
    SCALAR c = isnan(coef) ? coef : (coef < (SCALAR)1 ? coef : (SCALAR)1);
    if (c != (SCALAR)1)
    {
        for (int i = 0; i < tensors; i++)
        {
            s[scales + i] *= c;
            s[norms + i] *= c * c;
        }
    }

    s[result] = total;
    s[result + 1] = (SCALAR)(c < (SCALAR)1 || isnan(c));
}

// ---- SPAMP --------------------------------------------------------------------------------------------------

// Advances a layer's threshold with the norm ng (SpampShaping.AdvanceTau) and returns tau for this step.
DEVICE SCALAR spamp_advance_tau(GLOBAL SCALAR* st, SCALAR ng, SCALAR beta, SCALAR margin, SCALAR fixedTau,
                                int tauSource, int tauInit, int clippedNormInEma)
{
    SCALAR k = st[SPAMP_SLOT_K];
    if (tauSource == SPAMP_SOURCE_Fixed)
    {
        st[SPAMP_SLOT_Tau] = fixedTau;
    }
    else if (tauSource == SPAMP_SOURCE_PreviousNorm)
    {
        st[SPAMP_SLOT_Tau] = k == (SCALAR)0 ? ng : st[SPAMP_SLOT_LastNorm];
        st[SPAMP_SLOT_LastNorm] = ng;
    }
    else
    {
        SCALAR x = clippedNormInEma && k > (SCALAR)0 ? fmin(ng, margin * st[SPAMP_SLOT_Tau]) : ng;
        st[SPAMP_SLOT_TauRaw] = tauInit == SPAMP_INIT_FirstNorm && k == (SCALAR)0 ? x : (beta * st[SPAMP_SLOT_TauRaw]) + (((SCALAR)1 - beta) * x);
        st[SPAMP_SLOT_Tau] = tauInit == SPAMP_INIT_BiasCorrected ? st[SPAMP_SLOT_TauRaw] / ((SCALAR)1 - pow(beta, k + (SCALAR)1)) : st[SPAMP_SLOT_TauRaw];
    }

    st[SPAMP_SLOT_K] = k + (SCALAR)1;
    return st[SPAMP_SLOT_Tau];
}

// One work-item per layer (group). members holds, at region + groups*SPAMP_SLOT_Stride, the group starts (groups + 1
// values) and then the tensors of each group. Decides tau, alpha and the power map's unit; a layer that passes
// through (non-finite or zero norm, zero tau, skipped step) is marked inactive.
KERNEL void spamp_begin(GLOBAL SCALAR* s, int region, int groups, int norms, SCALAR beta, SCALAR alphaMin,
                        SCALAR margin, SCALAR fixedTau, int shapeMode, int tauInit, int tauSource, int clippedNormInEma,
                        int powerShaping)
{
    int g = GLOBAL_ID(0);
    if (g >= groups)
    {
        return;
    }

    GLOBAL SCALAR* st = s + region + g * SPAMP_SLOT_Stride;
    GLOBAL const SCALAR* starts = s + region + groups * SPAMP_SLOT_Stride;
    GLOBAL const SCALAR* members = starts + groups + 1;
    st[SPAMP_SLOT_Active] = (SCALAR)0;
    st[SPAMP_SLOT_Alpha] = (SCALAR)1;
    st[SPAMP_SLOT_Projected] = (SCALAR)0;
    if (IS_SKIPPED(s))
    {
        return;
    }

    SCALAR squared = 0;
    for (int j = (int)starts[g]; j < (int)starts[g + 1]; j++)
    {
        squared += s[norms + (int)members[j]];
    }

    SCALAR ng = sqrt(squared);
    st[SPAMP_SLOT_Norm] = ng;
    if (!isfinite(ng))
    {
        // The state stays untouched and g passes (the optimizer's NonFinitePolicy decides).
        return;
    }

    SCALAR tau = spamp_advance_tau(st, ng, beta, margin, fixedTau, tauSource, tauInit, clippedNormInEma);
    if (!(ng > (SCALAR)0 && tau > (SCALAR)0))
    {
        return;
    }

    SCALAR r = ng / (margin * tau);
    SCALAR alpha = !powerShaping || r <= (SCALAR)1 ? (SCALAR)1 : alphaMin + (((SCALAR)1 - alphaMin) / r);
    if (fabs((SCALAR)1 - alpha) * (SCALAR)SPAMP_MAX_LOG_MAGNITUDE < st[SPAMP_SLOT_Precision])
    {
        // A ratio above 1 only by rounding: the power would move no value by more than the gradient's rounding.
        alpha = (SCALAR)1;
    }

    st[SPAMP_SLOT_Alpha] = alpha;
    st[SPAMP_SLOT_Unit] = shapeMode == SPAMP_SHAPE_Raw ? (SCALAR)1 : ng / sqrt(st[SPAMP_SLOT_Elements]);
    st[SPAMP_SLOT_Active] = (SCALAR)1;
}

// The power map of one tensor of the layer at st (a no-op unless the layer is active with alpha != 1), with the
// tensor's pending scale applied first as StepContext.Gradient would; partials of the squared result.
KERNEL void spamp_power(GLOBAL T* x, int n, GLOBAL SCALAR* s, int layer, int scaleSlot, int partialBase)
{
    LOCAL SCALAR scratch[REDUCE_LOCAL];
    GLOBAL const SCALAR* st = s + layer;
    if (st[SPAMP_SLOT_Active] == (SCALAR)0 || st[SPAMP_SLOT_Alpha] == (SCALAR)1)
    {
        return;
    }

    T pending = (T)s[scaleSlot];
    T inv = (T)((SCALAR)1 / st[SPAMP_SLOT_Unit]), a = (T)st[SPAMP_SLOT_Alpha];
    SCALAR acc = 0;
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        T v = x[i] * pending;
        T w = copysign(pow(fabs(v) * inv, a), v);
        x[i] = w;
        acc += (SCALAR)w * (SCALAR)w;
    }

    store_partial(s, partialBase, group_fold(scratch, acc, 0));
}

// One work-item per layer, after the power maps' sums of squares were finished into shaped[n]: brings the
// magnitude back (ShapeMode), projects onto the ball of radius margin*tau, and records the factor as a pending
// scale of each member, keeping the norm cache exact.
KERNEL void spamp_finish(GLOBAL SCALAR* s, int region, int groups, int norms, int scales, int shaped, SCALAR margin, int shapeMode)
{
    int g = GLOBAL_ID(0);
    if (g >= groups)
    {
        return;
    }

    GLOBAL SCALAR* st = s + region + g * SPAMP_SLOT_Stride;
    GLOBAL const SCALAR* starts = s + region + groups * SPAMP_SLOT_Stride;
    GLOBAL const SCALAR* members = starts + groups + 1;
    if (st[SPAMP_SLOT_Active] == (SCALAR)0)
    {
        return;
    }

    int first = (int)starts[g], end = (int)starts[g + 1];
    SCALAR ng = st[SPAMP_SLOT_Norm], bound = margin * st[SPAMP_SLOT_Tau];
    SCALAR factor = 1, ns = ng;
    if (st[SPAMP_SLOT_Alpha] != (SCALAR)1)
    {
        SCALAR sumW = 0;
        for (int j = first; j < end; j++)
        {
            int i = (int)members[j];
            sumW += s[shaped + i];
            // The memory now holds the shaped values: the pending scale is applied and the norm is theirs.
            s[norms + i] = s[shaped + i];
            s[scales + i] = (SCALAR)1;
        }

        SCALAR normW = sqrt(sumW), unit = st[SPAMP_SLOT_Unit];
        if (shapeMode == SPAMP_SHAPE_RestoreNorm)
        {
            factor = normW > (SCALAR)0 ? ng / normW : (SCALAR)0;
        }
        else if (shapeMode == SPAMP_SHAPE_Rms)
        {
            factor = unit;
            ns = unit * normW;
        }
        else
        {
            ns = normW;
        }
    }

    if (ns > bound)
    {
        factor *= bound / ns;
        st[SPAMP_SLOT_Projected] = (SCALAR)1;
    }

    if (factor != (SCALAR)1)
    {
        for (int j = first; j < end; j++)
        {
            int i = (int)members[j];
            s[scales + i] *= factor;
            s[norms + i] *= factor * factor;
        }
    }
}

// ---- update rules -------------------------------------------------------------------------------------------

// Zeroes a gradient: what a skipped step leaves (the host path drops it).
DEVICE void zero_gradient(GLOBAL T* g, int n)
{
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        g[i] = (T)0;
    }
}

// Adam/AdamW with the coefficients of AdamCoefficients.ForStep computed here from the device's step count
// (updates[i] + 1), the scheduled learning rate and the pending gradient scale of the tensor.
KERNEL void adam_resident(GLOBAL T* p, GLOBAL T* g, GLOBAL T* m, GLOBAL T* v, GLOBAL T* vmax, int n, int amsgrad,
                          int maximize, int decoupled, GLOBAL const SCALAR* s, int scaleSlot, int updateSlot, int ring,
                          int ringSize, SCALAR baseLr, SCALAR lrScale, SCALAR weightDecay, SCALAR beta1, SCALAR beta2, SCALAR eps)
{
    if (IS_SKIPPED(s))
    {
        zero_gradient(g, n);
        return;
    }

    SCALAR lr = scheduled_lr(s, ring, ringSize, baseLr, lrScale);
    SCALAR t = s[updateSlot] + (SCALAR)1;
    SCALAR bc1 = (SCALAR)1 - pow(beta1, t), bc2 = (SCALAR)1 - pow(beta2, t);
    SCALAR decay = decoupled ? (SCALAR)1 - (lr * weightDecay) : (SCALAR)1;
    SCALAR l2 = decoupled ? (SCALAR)0 : weightDecay;
    SCALAR scale = s[scaleSlot];
    int flags = (decay != (SCALAR)1 ? ADAM_DECOUPLED : 0) | (l2 != (SCALAR)0 ? ADAM_COUPLED : 0)
        | (maximize ? ADAM_MAXIMIZE : 0) | (scale != (SCALAR)1 ? ADAM_SCALED : 0) | (amsgrad ? ADAM_AMSGRAD : 0);
    T b1 = (T)beta1, c1 = (T)((SCALAR)1 - beta1), b2 = (T)beta2, c2 = (T)((SCALAR)1 - beta2), e = (T)eps;
    T negStepSize = (T)(-(lr / bc1)), bc2Sqrt = (T)sqrt(bc2);
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        adam_element(p, g, m, v, vmax, i, flags, b1, c1, b2, c2, e, negStepSize, bc2Sqrt, (T)decay, (T)l2, (T)scale);
    }
}

// SGD with the scheduled learning rate and the pending gradient scale; the buffer is fresh while s[readySlot] is 0.
KERNEL void sgd_resident(GLOBAL T* p, GLOBAL T* g, GLOBAL T* buffer, int n, int hasBuffer, int nesterov, int maximize,
                         GLOBAL const SCALAR* s, int scaleSlot, int readySlot, int ring, int ringSize, SCALAR baseLr,
                         SCALAR lrScale, SCALAR momentum, SCALAR oneMinusDampening, SCALAR weightDecay)
{
    if (IS_SKIPPED(s))
    {
        zero_gradient(g, n);
        return;
    }

    SCALAR lr = scheduled_lr(s, ring, ringSize, baseLr, lrScale);
    SCALAR scale = s[scaleSlot];
    int flags = (weightDecay != (SCALAR)0 ? SGD_DECAY : 0) | (nesterov ? SGD_NESTEROV : 0) | (maximize ? SGD_MAXIMIZE : 0)
        | (hasBuffer ? SGD_MOMENTUM : 0) | (hasBuffer && s[readySlot] == (SCALAR)0 ? SGD_FIRST : 0)
        | (scale != (SCALAR)1 ? SGD_SCALED : 0);
    for (int i = GLOBAL_ID(0); i < n; i += GRID_STRIDE)
    {
        sgd_element(p, g, buffer, i, flags, (T)(-lr), (T)momentum, (T)oneMinusDampening, (T)weightDecay, (T)scale);
    }
}
