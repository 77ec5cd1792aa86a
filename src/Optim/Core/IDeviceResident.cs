namespace Spamp.Optim;

/// <summary>
/// A link of the chain (a transform or the update rule) that has kernels for the device-resident
/// step (<see cref="DeviceStep"/>): its per-step work is queued on the device from its usual
/// <see cref="IGradientTransform.Apply"/> or <see cref="IUpdateRule.Update"/> when
/// <see cref="StepContext.OnDevice"/> is set, and whatever scalar state it carries across steps lives
/// in a region of the step's scalar buffer while the steps are resident. The host copy of that state
/// is refreshed only when someone reads it (<see cref="DeviceStep.Synchronize"/>).
/// </summary>
internal interface IDeviceResident
{
    /// <summary>Whether this configuration has device kernels (false makes the optimizer take the host path).</summary>
    bool RunsOnDevice { get; }

    /// <summary>How many scalar slots this link needs for the tensors and layers of <paramref name="step"/>.</summary>
    int SlotCount(DeviceStep step);

    /// <summary>
    /// Writes this link's host state into <paramref name="slots"/> (its region, before the first
    /// resident step after the layout or the host state changed). <paramref name="step"/> is the
    /// owner to synchronise with before the host state is read again.
    /// </summary>
    void Upload(DeviceStep step, Span<double> slots);

    /// <summary>Takes this link's state back from the values of its region (after resident steps, when the host reads it).</summary>
    void Download(DeviceStep step, ReadOnlySpan<double> slots);

    /// <summary>Fills this link's part of the telemetry of the step just run (thresholds, clip flags) from its region's values.</summary>
    void Report(DeviceStep step, ReadOnlySpan<double> slots, StepReport report)
    {
    }
}
