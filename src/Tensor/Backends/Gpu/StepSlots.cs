namespace Spamp.Backends.Gpu;

/// <summary>
/// The fixed slots at the start of a device-resident optimizer step's scalar buffer, shared with the
/// kernels as <c>STEP_SLOT_*</c> (optimizer_step.cl describes the whole buffer).
/// </summary>
internal enum StepSlot
{
    /// <summary>1 while the current step is skipped (non-finite gradients under the skip policy), else 0.</summary>
    Skip,

    /// <summary>The steps completed on the device: the optimizer's step count, the schedule's position.</summary>
    Completed,

    /// <summary>The steps skipped on the device for non-finite gradients.</summary>
    Skipped,

    /// <summary>How many fixed slots there are.</summary>
    Count,
}

/// <summary>
/// The slots of one SPAMP layer (group) in a device-resident step, shared with the kernels as
/// <c>SPAMP_SLOT_*</c>: the state SPAMP carries across steps, two constants of the layer, and what
/// this step decided.
/// </summary>
internal enum SpampSlot
{
    /// <summary>The raw EMA of the layer's norm.</summary>
    TauRaw,

    /// <summary>The threshold of the last step.</summary>
    Tau,

    /// <summary>The last norm (the "previous norm" threshold source).</summary>
    LastNorm,

    /// <summary>How many finite norms the EMA has seen.</summary>
    K,

    /// <summary>The layer's element count (constant).</summary>
    Elements,

    /// <summary>The relative rounding of the layer's gradient type (constant).</summary>
    Precision,

    /// <summary>This step's norm of the layer.</summary>
    Norm,

    /// <summary>This step's power exponent.</summary>
    Alpha,

    /// <summary>This step's unit of the power map.</summary>
    Unit,

    /// <summary>1 when this step shapes or projects the layer.</summary>
    Active,

    /// <summary>1 when this step projected the layer.</summary>
    Projected,

    /// <summary>Slots per layer.</summary>
    Stride,
}
