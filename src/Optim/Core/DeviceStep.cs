using Spamp.Backends;
using Spamp.Backends.Gpu;
using Spamp.Memory;

namespace Spamp.Optim;

/// <summary>
/// The optimizer step kept on a GPU: the same <see cref="Optimizer.Step"/>, <see cref="StepContext"/>,
/// transforms and rule, but the context's norm cache and pending scales, the non-finite decision,
/// every transform's statistics and state, and the counters live in one small scalar buffer on the
/// device (optimizer_step.cl describes it). Scalar kernels compute the next factors from it and the
/// element kernels read them from it, so a step is only queued work: the host never waits for a
/// value, and <see cref="Backend.Synchronizations"/> does not move.
/// <para>
/// The host copies of what lives on the device (<see cref="Optimizer.StepCount"/>,
/// <see cref="Optimizer.SkippedSteps"/>, <see cref="ParameterState.Step"/>, SPAMP's thresholds, the last
/// clip norm) are refreshed by <see cref="Synchronize"/>, one read of the buffer, when one of them is
/// read; host state changed by the host (a loaded state dict, a step on the host path) is written
/// back before the next resident step. Telemetry is deferred the same way: with
/// <see cref="Optimizer.Telemetry"/> on, the step is still queued whole, and its report is filled from
/// one read of the state slots after it (<see cref="Report"/>).
/// </para>
/// </summary>
/// <remarks>
/// The learning rate needs the schedule at the completed-step count, which only the device knows once
/// a step may have been skipped. Each step therefore writes the schedule factor of the count it would
/// reach if none of the unread steps was skipped into a ring indexed by the count, and the device reads
/// the entry of its true count. The ring holds <see cref="RingSize"/> entries: an entry the device may
/// still need is overwritten only after that many unread steps, so with a schedule the counters are
/// read back once every <see cref="RingSize"/> resident steps (without one every entry is 1 and nothing
/// is ever read).
/// </remarks>
internal sealed class DeviceStep : IDisposable
{
    /// <summary>Entries of the schedule ring (resident steps between two reads of the counters, at most).</summary>
    internal const int RingSize = 1024;

    private readonly Optimizer _optimizer;
    private readonly List<(IDeviceResident Link, int Region, int Count)> _links = [];
    private ParameterState[] _tensors = [];
    private IReadOnlyList<LayerGroup> _layers = [];
    private Storage? _scalars;
    private GpuBackend? _backend;
    private int _stateSlots;
    private bool _hostAhead = true;
    private bool _deviceAhead;
    private long _pendingSteps;

    internal DeviceStep(Optimizer optimizer) => _optimizer = optimizer;

    /// <summary>The kernels of the device the steps run on.</summary>
    internal GpuOptimizerKernels Kernels => _backend!.OptimizerKernels;

    /// <summary>The dtype of the scalar slots (float64 where the device has it).</summary>
    internal DType ScalarType => _backend!.ScalarType;

    /// <summary>The scalar buffer of the steps.</summary>
    internal Storage Scalars => _scalars!;

    /// <summary>The tensors of the current layout, in step order (position i is "tensor i").</summary>
    internal IReadOnlyList<ParameterState> Tensors => _tensors;

    /// <summary>The layers of the current layout.</summary>
    internal IReadOnlyList<LayerGroup> Layers => _layers;

    /// <summary>The optimizer whose steps these are.</summary>
    internal Optimizer Optimizer => _optimizer;

    /// <summary>The squared norm of gradient i as its next reader will see it (the context's norm cache) is at <c>Norms + i</c>.</summary>
    internal int Norms => (int)StepSlot.Count;

    /// <summary>The squared norm of gradient i as it arrived (before the transforms) is at <c>NormsBefore + i</c>.</summary>
    internal int NormsBefore => Norms + _tensors.Length;

    /// <summary>The pending scale of gradient i is at <c>Scales + i</c>.</summary>
    internal int Scales => NormsBefore + _tensors.Length;

    /// <summary>The update count of parameter i (<see cref="ParameterState.Step"/>) is at <c>Updates + i</c>.</summary>
    internal int Updates => Scales + _tensors.Length;

    // After the regions of the links: the schedule ring and the reductions' partial results, which are
    // never read back (a synchronisation reads the slots before the ring only).
    private int Ring => _stateSlots;

    private int Partials => Ring + RingSize;

    /// <summary>The first of the <see cref="GpuOptimizerKernels.Partials"/> slots of a reduction over tensor i.</summary>
    internal int PartialsOf(int i) => Partials + (i * GpuOptimizerKernels.Partials);

    /// <summary>The first slot of the reductions' partial results (tensor 0's).</summary>
    internal int PartialsBase => Partials;

    /// <summary>The slots of tensor i an update kernel reads.</summary>
    internal GpuOptimizerKernels.TensorSlots SlotsOf(int i) => new(Scalars, Scales + i, Updates + i, Ring, RingSize);

    /// <summary>The first slot of <paramref name="link"/>'s region.</summary>
    internal int RegionOf(IDeviceResident link)
    {
        foreach (var (candidate, region, _) in _links)
        {
            if (ReferenceEquals(candidate, link))
            {
                return region;
            }
        }

        throw new InvalidOperationException($"device step: {link.GetType().Name} has no region in this step's layout");
    }

    /// <summary>
    /// Whether <paramref name="optimizer"/>'s step over <paramref name="active"/> can stay on the device:
    /// resident steps are on, no layer hooks or throwing policy are asked for, the rule and
    /// every transform have device kernels in their configuration, and every parameter and gradient is
    /// a float tensor on one GPU.
    /// </summary>
    internal static bool CanRun(Optimizer optimizer, IReadOnlyList<ParameterState> active)
    {
        if (!optimizer.DeviceResidentStep || optimizer.NonFinite == NonFinitePolicy.Throw
            || optimizer.HasLayerHooks || active.Count == 0 || optimizer.Rule is not IDeviceResident { RunsOnDevice: true })
        {
            return false;
        }

        foreach (IGradientTransform transform in optimizer.Transforms)
        {
            if (transform is not IDeviceResident { RunsOnDevice: true })
            {
                return false;
            }
        }

        Device device = active[0].Parameter.Device;
        if (device.Kind == DeviceKind.Cpu || BackendRegistry.For(device) is not GpuBackend)
        {
            return false;
        }

        foreach (ParameterState state in active)
        {
            Tensor p = state.Parameter.Data, g = state.Grad!;
            if (p.Device != device || g.Device != device || p.DType is not (DType.Float32 or DType.Float64) || g.DType != p.DType)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Queues the start of a step over <paramref name="active"/>: (re)lays out and uploads the state if
    /// needed, measures every gradient's squared norm into the norm cache, decides the skip and records
    /// the schedule factor. Returns the step number the step has if no unread step was skipped.
    /// </summary>
    internal long Begin(List<ParameterState> active, IReadOnlyList<LayerGroup> layers)
    {
        if (_scalars is null || !SameLayout(active, layers))
        {
            Relayout(active, layers);
        }

        if (_hostAhead)
        {
            Upload();
        }

        long completed = _optimizer.HostStepCount + _pendingSteps;
        double factor = _optimizer.Schedule?.Factor(completed) ?? 1.0;
        for (int i = 0; i < _tensors.Length; i++)
        {
            Tensor g = _tensors[i].Grad!;
            Kernels.SquaredNormPartials(g.Storage, g.Numel, Scalars, PartialsOf(i));
        }

        Kernels.FinishPartials(Scalars, ScalarType, Partials, Norms, _tensors.Length, isMax: false);
        Kernels.StepBegin(Scalars, Norms, NormsBefore, Scales, _tensors.Length, _optimizer.NonFinite == NonFinitePolicy.SkipStep,
            Ring + (int)(completed % RingSize), factor);
        return completed + 1;
    }

    /// <summary>Queues the end of a step: the counters advance on the device unless it was skipped.</summary>
    internal void End()
    {
        Kernels.StepEnd(Scalars, Updates, _tensors.Length);
        _deviceAhead = true;
        if (++_pendingSteps >= RingSize && _optimizer.Schedule is not null)
        {
            Synchronize();
        }
    }

    /// <summary>
    /// Brings the host copies up to date after resident steps: one read of the state slots (a
    /// synchronisation), then the counters, the parameters' update counts and every link's state.
    /// Does nothing when no resident step ran since the last call.
    /// </summary>
    internal void Synchronize() => ReadBack();

    /// <summary>
    /// The telemetry of the step just run (the host path's <see cref="StepReport"/>, value for value),
    /// from the state slots that <see cref="Synchronize"/> reads: norms before and after the transforms,
    /// each link's thresholds and flags, the learning rate and update magnitudes, or the skip.
    /// </summary>
    internal StepReport Report(IReadOnlyList<LayerGroup> layers)
    {
        double[] slots = ReadBack() ?? throw new InvalidOperationException("device step: no step ran since the last read");
        bool skipped = slots[(int)StepSlot.Skip] != 0;
        long completed = (long)slots[(int)StepSlot.Completed];

        // The host path numbers its report StepCount + 1 before the step counts.
        long before = skipped ? completed : completed - 1;
        var report = new StepReport(before + 1, layers);
        report.GlobalNormBefore = GlobalNorm(slots, NormsBefore);
        for (int l = 0; l < layers.Count; l++)
        {
            report.Layers[l].NormBefore = LayerNorm(slots, NormsBefore, layers[l]);
        }

        if (skipped)
        {
            report.Skipped = true;
            return report;
        }

        foreach (var (link, region, count) in _links)
        {
            link.Report(this, slots.AsSpan(region, count), report);
        }

        double factor = _optimizer.Schedule?.Factor(before) ?? 1.0;
        report.GlobalNormAfter = GlobalNorm(slots, Norms);
        report.LearningRate = _optimizer.Groups.Count > 0 ? _optimizer.Groups[0].LearningRate * factor : 0;
        for (int l = 0; l < layers.Count; l++)
        {
            double after = LayerNorm(slots, Norms, layers[l]);
            report.Layers[l].NormAfter = after;
            report.Layers[l].UpdateMagnitude = layers[l].Parameters[0].Group.LearningRate * factor * after;
        }

        return report;
    }

    /// <summary>sqrt of the sum of the squared norms at <paramref name="first"/>, in tensor order (as <see cref="StepContext.GlobalNorm"/>).</summary>
    private double GlobalNorm(double[] slots, int first)
    {
        double total = 0;
        for (int i = 0; i < _tensors.Length; i++)
        {
            total += slots[first + i];
        }

        return Math.Sqrt(total);
    }

    /// <summary>The layer's norm from the squared norms at <paramref name="first"/> (as <see cref="StepContext.LayerNorm"/>).</summary>
    private double LayerNorm(double[] slots, int first, LayerGroup layer)
    {
        double total = 0;
        foreach (ParameterState p in layer.Parameters)
        {
            total += slots[first + Array.IndexOf(_tensors, p)];
        }

        return Math.Sqrt(total);
    }

    /// <summary>The read behind <see cref="Synchronize"/>: the state slots, or null when the host copies are current.</summary>
    private double[]? ReadBack()
    {
        if (!_deviceAhead)
        {
            return null;
        }

        double[] slots = Kernels.ReadScalars(Scalars, 0, _stateSlots);
        _optimizer.SetCounters((long)slots[(int)StepSlot.Completed], (long)slots[(int)StepSlot.Skipped]);
        for (int i = 0; i < _tensors.Length; i++)
        {
            _tensors[i].Step = (long)slots[Updates + i];
        }

        foreach (var (link, region, count) in _links)
        {
            link.Download(this, slots.AsSpan(region, count));
        }

        _deviceAhead = false;
        _pendingSteps = 0;
        return slots;
    }

    /// <summary>The host changed state the device holds (a loaded state dict, a step on the host path): upload it before the next resident step.</summary>
    internal void Invalidate()
    {
        _hostAhead = true;
        _deviceAhead = false;
        _pendingSteps = 0;
    }

    /// <summary>Returns the scalar buffer to the device's pool.</summary>
    public void Dispose()
    {
        _scalars?.Release();
        _scalars = null;
    }

    private bool SameLayout(List<ParameterState> active, IReadOnlyList<LayerGroup> layers)
    {
        if (active.Count != _tensors.Length || layers.Count != _layers.Count || active[0].Parameter.Device != _backend!.Device)
        {
            return false;
        }

        for (int i = 0; i < active.Count; i++)
        {
            if (!ReferenceEquals(active[i], _tensors[i]))
            {
                return false;
            }
        }

        for (int l = 0; l < layers.Count; l++)
        {
            if (layers[l].Name != _layers[l].Name || !layers[l].Parameters.SequenceEqual(_layers[l].Parameters))
            {
                return false;
            }
        }

        return true;
    }

    private void Relayout(List<ParameterState> active, IReadOnlyList<LayerGroup> layers)
    {
        // The old layout's state goes back to the host first; the new one is uploaded from there.
        Synchronize();
        Dispose();
        _tensors = [.. active];
        _layers = layers;
        _backend = (GpuBackend)BackendRegistry.For(active[0].Parameter.Device);
        _links.Clear();
        int next = Updates + _tensors.Length;
        IEnumerable<IGradientTransform> transforms = _optimizer.Transforms;
        foreach (IDeviceResident link in transforms.Cast<IDeviceResident>().Append((IDeviceResident)_optimizer.Rule!))
        {
            int count = link.SlotCount(this);
            _links.Add((link, next, count));
            next += count;
        }

        _stateSlots = next;
        _scalars = Storage.Allocate(_backend, ScalarType, PartialsOf(_tensors.Length));
        _hostAhead = true;
    }

    private void Upload()
    {
        var slots = new double[_stateSlots + RingSize];
        slots[(int)StepSlot.Completed] = _optimizer.HostStepCount;
        slots[(int)StepSlot.Skipped] = _optimizer.HostSkippedSteps;
        for (int i = 0; i < _tensors.Length; i++)
        {
            slots[Updates + i] = _tensors[i].Step;
        }

        foreach (var (link, region, count) in _links)
        {
            link.Upload(this, slots.AsSpan(region, count));
        }

        if (ScalarType == DType.Float64)
        {
            _backend!.Upload<double>(slots, Scalars, 0);
        }
        else
        {
            _backend!.Upload<float>(Array.ConvertAll(slots, v => (float)v), Scalars, 0);
        }

        _hostAhead = false;
        _deviceAhead = false;
        _pendingSteps = 0;
    }
}
