using Spamp.Backends;

namespace Spamp.Optim;

/// <summary>
/// What a transform sees during one <see cref="Optimizer.Step"/>: the parameters that have
/// gradients, their layers, the step number, the scheduled learning rates, and cached gradient
/// statistics. Norms are computed once per tensor and reused by every transform until a transform
/// rewrites that tensor (<see cref="MarkModified"/>), so a chain of norm-based methods costs one
/// statistics pass, not one per method.
/// <para>
/// A context can be narrowed to a subset of its parameters (<see cref="Subset"/>, used by
/// <c>Masked</c>): the subset shares the norm cache, the learning-rate scale, the skip flag, the
/// report and the update filters of the whole step; only the numbering of tensors and layers is
/// its own.
/// </para>
/// <para>
/// In a device-resident step (<see cref="OnDevice"/> set) the norm cache and the pending scales are
/// slots on the device instead: the links of the chain queue kernels that read and write them there,
/// and the members that would hand a host value out (norms, gradients with their factor, host scales)
/// throw, because answering would mean waiting for the device.
/// </para>
/// </summary>
public sealed class StepContext
{
    private readonly double[] _squaredNorms;
    private readonly bool[] _normValid;
    private readonly StepContext? _parent;

    // Per-tensor factors that ScaleGradient has not yet written to memory: a scale-only transform
    // (clipping, SPAMP's projection) costs no pass of its own when the update rule folds the factor
    // into its single pass over the gradient; anything that reads gradient memory materialises it.
    private readonly double[] _pendingScale;
    private readonly int[]? _parentIndex;
    private readonly int[]? _parentLayerIndex;
    private readonly Dictionary<ParameterState, int>? _subsetPosition;
    private readonly List<IUpdateFilter> _updateFilters = [];

    internal StepContext(Optimizer optimizer, long step, IReadOnlyList<ParameterState> parameters, IReadOnlyList<LayerGroup> layers, StepReport? report,
        DeviceStep? onDevice = null)
    {
        Optimizer = optimizer;
        OnDevice = onDevice;
        Step = step;
        Parameters = parameters;
        Layers = layers;
        Report = report;
        _squaredNorms = new double[parameters.Count];
        _normValid = new bool[parameters.Count];
        _pendingScale = new double[parameters.Count];
        Array.Fill(_pendingScale, 1.0);
    }

    private StepContext(StepContext parent, List<ParameterState> parameters, int[] parentIndex, List<LayerGroup> layers, int[] parentLayerIndex)
    {
        Optimizer = parent.Optimizer;
        Step = parent.Step;
        Parameters = parameters;
        Layers = layers;
        Report = parent.Report;
        _parent = parent;
        _parentIndex = parentIndex;
        _parentLayerIndex = parentLayerIndex;
        _subsetPosition = new Dictionary<ParameterState, int>(parameters.Count);
        for (int i = 0; i < parameters.Count; i++)
        {
            _subsetPosition[parameters[i]] = i;
        }

        _squaredNorms = [];
        _normValid = [];
        _pendingScale = [];
    }

    /// <summary>The optimizer running the step.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>
    /// The device-resident step this context belongs to, or null on the host path. Its tensors are this
    /// context's parameters in the same order, so tensor i has its norm at <c>Norms + i</c> and its pending
    /// scale at <c>Scales + i</c>.
    /// </summary>
    internal DeviceStep? OnDevice { get; }

    /// <summary>
    /// The 1-based number of this step: <see cref="Optimizer.StepCount"/> + 1, where skipped steps
    /// (non-finite gradients, <see cref="SkipUpdate"/>) are not counted. In a device-resident step it is
    /// the number the step has if none of the steps the host has not read back was skipped.
    /// </summary>
    public long Step { get; }

    /// <summary>The parameters with a gradient this step, in optimizer order (position i is "tensor i" below).</summary>
    public IReadOnlyList<ParameterState> Parameters { get; }

    /// <summary>The layers of this step.</summary>
    public IReadOnlyList<LayerGroup> Layers { get; }

    /// <summary>The telemetry being collected, or null when telemetry is off.</summary>
    public StepReport? Report { get; }

    /// <summary>True for a context narrowed by <see cref="Subset"/>.</summary>
    public bool IsSubset => _parent is not null;

    /// <summary>
    /// A factor on every group's learning rate for this step only (inverse-norm lr scaling sets it;
    /// the schedule is not changed). Shared by every subset of the step.
    /// </summary>
    public double LearningRateScale
    {
        get => _parent?.LearningRateScale ?? field;
        set
        {
            if (_parent is not null)
            {
                _parent.LearningRateScale = value;
            }
            else
            {
                field = value;
            }
        }
    } = 1;

    /// <summary>Set by a transform to skip the update (state that the transform did not advance stays as is). Shared by every subset of the step.</summary>
    public bool SkipUpdate
    {
        get => _parent?.SkipUpdate ?? field;
        set
        {
            if (_parent is not null)
            {
                _parent.SkipUpdate = value;
            }
            else
            {
                field = value;
            }
        }
    }

    /// <summary>True when a transform registered an <see cref="IUpdateFilter"/> this step.</summary>
    public bool HasUpdateFilters => Root._updateFilters.Count > 0;

    private StepContext Root => _parent?.Root ?? this;

    /// <summary>The learning rate of <paramref name="group"/> for this step: base lr x schedule x <see cref="LearningRateScale"/>.</summary>
    public double LearningRate(ParameterGroup group) => Optimizer.ScheduledLearningRate(group) * LearningRateScale;

    /// <summary>The kernels of the device of parameter <paramref name="i"/>.</summary>
    public OptimizerKernels Kernels(int i) => OptimizerKernels.For(Parameters[i].Parameter.Device);

    /// <summary>The gradient of tensor <paramref name="i"/> (dense, contiguous, owned by its parameter).</summary>
    public Tensor Gradient(int i)
    {
        RequireHost(nameof(Gradient));
        if (_parent is not null)
        {
            return _parent.Gradient(_parentIndex![i]);
        }

        Tensor g = Parameters[i].Grad!;
        if (_pendingScale[i] != 1.0)
        {
            Kernels(i).Scale(g.Storage, g.Numel, _pendingScale[i]);
            _pendingScale[i] = 1.0;
        }

        return g;
    }

    /// <summary>
    /// For an update rule that applies the pending factor of <see cref="ScaleGradient"/> itself, in
    /// its own pass: the gradient memory as it is and the factor it still has to be multiplied by.
    /// The factor is then considered applied, so after the step that gradient's memory holds the
    /// values before the deferred scale (gradients are normally zeroed next anyway).
    /// </summary>
    public (Tensor Gradient, double Scale) TakeGradientWithPendingScale(int i)
    {
        RequireHost(nameof(TakeGradientWithPendingScale));
        if (_parent is not null)
        {
            return _parent.TakeGradientWithPendingScale(_parentIndex![i]);
        }

        double scale = _pendingScale[i];
        _pendingScale[i] = 1.0;
        return (Parameters[i].Grad!, scale);
    }

    /// <summary>sum of squares of gradient <paramref name="i"/> in double, cached.</summary>
    public double SquaredNorm(int i)
    {
        RequireHost(nameof(SquaredNorm));
        if (_parent is not null)
        {
            return _parent.SquaredNorm(_parentIndex![i]);
        }

        if (!_normValid[i])
        {
            _squaredNorms[i] = MeasureSquaredNorm(i);
            _normValid[i] = true;
        }

        return _squaredNorms[i];
    }

    /// <summary>||g_i||, cached.</summary>
    public double Norm(int i) => Math.Sqrt(SquaredNorm(i));

    /// <summary>The global L2 norm over all gradients of this context: sqrt(sum_i ||g_i||^2).</summary>
    public double GlobalNorm()
    {
        ComputeMissingNorms();
        double total = 0;
        for (int i = 0; i < Parameters.Count; i++)
        {
            total += SquaredNorm(i);
        }

        return Math.Sqrt(total);
    }

    /// <summary>
    /// Fills every missing cached norm, spreading the tensors over the cores: each tensor's norm is
    /// one memory-bound pass, usually too small to split on its own, so a step with many tensors
    /// would otherwise read all its gradients on one core.
    /// </summary>
    public void ComputeMissingNorms()
    {
        RequireHost(nameof(ComputeMissingNorms));
        if (_parent is not null)
        {
            _parent.ComputeMissingNorms();
            return;
        }

        int missing = 0;
        for (int i = 0; i < _normValid.Length; i++)
        {
            missing += _normValid[i] ? 0 : 1;
        }

        if (missing < 2)
        {
            return;
        }

        Parallel.For(0, _normValid.Length, i =>
        {
            if (!_normValid[i])
            {
                _squaredNorms[i] = MeasureSquaredNorm(i);
                _normValid[i] = true;
            }
        });
    }

    /// <summary>One pass over gradient i's memory, with its pending factor applied to the result.</summary>
    private double MeasureSquaredNorm(int i)
    {
        Tensor g = Parameters[i].Grad!;
        double scale = _pendingScale[i];
        return Kernels(i).SumOfSquares(g.Storage, g.Numel) * scale * scale;
    }

    /// <summary>||concat of the layer's gradients|| (equal to the tensor norm under per-tensor grouping).</summary>
    public double LayerNorm(LayerGroup layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        double total = 0;
        foreach (ParameterState p in layer.Parameters)
        {
            total += SquaredNorm(PositionOf(p));
        }

        return Math.Sqrt(total);
    }

    /// <summary>Position of a parameter state in <see cref="Parameters"/>.</summary>
    public int PositionOf(ParameterState state) => _subsetPosition is null ? Optimizer.PositionInStep(state) : _subsetPosition[state];

    /// <summary>Tells the context that gradient <paramref name="i"/> was rewritten, invalidating its cached norm.</summary>
    public void MarkModified(int i)
    {
        RequireHost(nameof(MarkModified));
        if (_parent is not null)
        {
            _parent.MarkModified(_parentIndex![i]);
            return;
        }

        _normValid[i] = false;
    }

    /// <summary>
    /// Records that gradient <paramref name="i"/> was rewritten and its squared norm is now
    /// <paramref name="squaredNorm"/> (a kernel returned it), so no later transform needs another pass.
    /// </summary>
    public void SetSquaredNorm(int i, double squaredNorm)
    {
        RequireHost(nameof(SetSquaredNorm));
        if (_parent is not null)
        {
            _parent.SetSquaredNorm(_parentIndex![i], squaredNorm);
            return;
        }

        _squaredNorms[i] = squaredNorm;
        _normValid[i] = true;
    }

    /// <summary>
    /// Scales gradient <paramref name="i"/> by <paramref name="factor"/>, keeping the cached norm exact
    /// (it scales by |factor|). The multiplication is deferred: it happens when a transform next
    /// reads the gradient (<see cref="Gradient"/>), or inside the update rule's own pass.
    /// </summary>
    public void ScaleGradient(int i, double factor)
    {
        RequireHost(nameof(ScaleGradient));
        if (_parent is not null)
        {
            _parent.ScaleGradient(_parentIndex![i], factor);
            return;
        }

        _pendingScale[i] *= factor;
        if (_normValid[i])
        {
            _squaredNorms[i] *= factor * factor;
        }
    }

    /// <summary>The report line of the layer containing tensor <paramref name="i"/>, when telemetry is on.</summary>
    public LayerReport? LayerReportOf(int i) => _parent is not null
        ? _parent.LayerReportOf(_parentIndex![i])
        : Report?.Layers[Optimizer.LayerIndexInStep(Parameters[i])];

    /// <summary>The report line of <paramref name="layer"/>, when telemetry is on.</summary>
    public LayerReport? LayerReportOf(LayerGroup layer)
    {
        if (Report is null)
        {
            return null;
        }

        for (int l = 0; l < Layers.Count; l++)
        {
            if (ReferenceEquals(Layers[l], layer))
            {
                return _parent is not null ? _parent.LayerReportOf(_parent.Layers[_parentLayerIndex![l]]) : Report.Layers[l];
            }
        }

        return null;
    }

    /// <summary>
    /// Registers a filter on the proposed updates of this step (SPAMP's update clipping,
    /// ALGORITHMS.md 1.2 A7). Transforms call it from <see cref="IGradientTransform.Apply"/>; the
    /// registration lasts for this step only. See <see cref="IUpdateFilter"/> for who applies it.
    /// </summary>
    public void AddUpdateFilter(IUpdateFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (_parent is not null)
        {
            _parent.AddUpdateFilter(new SubsetFilter(this, filter));
            return;
        }

        _updateFilters.Add(filter);
    }

    /// <summary>
    /// The factor by which a rule must multiply its proposed gradient-driven update of tensor
    /// <paramref name="i"/>, whose norm is <paramref name="updateNorm"/>, before applying it: the
    /// product of every registered filter's factor (1 when none is registered).
    /// </summary>
    public double UpdateFactor(int i, double updateNorm)
    {
        if (_parent is not null)
        {
            return _parent.UpdateFactor(_parentIndex![i], updateNorm);
        }

        double factor = 1;
        foreach (IUpdateFilter filter in _updateFilters)
        {
            factor *= filter.UpdateFactor(this, i, updateNorm);
        }

        return factor;
    }

    /// <summary>
    /// This context narrowed to the parameters <paramref name="include"/> accepts (layers keep
    /// their names and lose the excluded members; empty layers are dropped).
    /// </summary>
    public StepContext Subset(Func<ParameterState, bool> include)
    {
        ArgumentNullException.ThrowIfNull(include);
        RequireHost(nameof(Subset));
        var parameters = new List<ParameterState>();
        var parentIndex = new List<int>();
        for (int i = 0; i < Parameters.Count; i++)
        {
            if (include(Parameters[i]))
            {
                parameters.Add(Parameters[i]);
                parentIndex.Add(i);
            }
        }

        var kept = new HashSet<ParameterState>(parameters);
        var layers = new List<LayerGroup>();
        var layerIndex = new List<int>();
        for (int l = 0; l < Layers.Count; l++)
        {
            var members = new List<ParameterState>();
            foreach (ParameterState p in Layers[l].Parameters)
            {
                if (kept.Contains(p))
                {
                    members.Add(p);
                }
            }

            if (members.Count > 0)
            {
                layers.Add(members.Count == Layers[l].Parameters.Count ? Layers[l] : new LayerGroup(Layers[l].Name, members));
                layerIndex.Add(l);
            }
        }

        return new StepContext(this, parameters, [.. parentIndex], layers, [.. layerIndex]);
    }

    /// <summary>Throws in a device-resident step, where <paramref name="member"/> would have to wait for a device value.</summary>
    private void RequireHost(string member)
    {
        if (OnDevice is not null)
        {
            throw new InvalidOperationException($"StepContext.{member}: this step is device-resident (norms and pending scales live on the device); " +
                "a transform that reads them on the host must not report IDeviceResident.RunsOnDevice");
        }
    }

    /// <summary>Position in this subset of the parent's tensor <paramref name="parentPosition"/>, or -1.</summary>
    private int FromParent(int parentPosition) => Array.IndexOf(_parentIndex!, parentPosition);

    /// <summary>A filter registered inside a subset: it sees the subset's numbering and leaves other tensors alone.</summary>
    private sealed class SubsetFilter(StepContext subset, IUpdateFilter inner) : IUpdateFilter
    {
        public double UpdateFactor(StepContext context, int i, double updateNorm)
        {
            int local = subset.FromParent(i);
            return local < 0 ? 1 : inner.UpdateFactor(subset, local, updateNorm);
        }
    }
}

/// <summary>
/// A correction of the proposed update of a step, per tensor (SPAMP's update clipping,
/// ALGORITHMS.md 1.2 A7: scale <c>Delta</c> by <c>min(1, delta_t/||Delta||)</c>). Registered for one
/// step with <see cref="StepContext.AddUpdateFilter"/>. Who applies it:
/// <list type="bullet">
/// <item>a rule whose <see cref="IUpdateRule.AppliesUpdateFilters"/> is true computes the norm of its
/// gradient-driven update (weight decay excluded), asks <see cref="StepContext.UpdateFactor"/> and
/// scales the update before writing it (the exact form of A7);</item>
/// <item>an optimizer without a rule (the chain produced the updates) scales each update tensor
/// before <c>p += u</c> (exact: the gradient buffer is the update);</item>
/// <item>for any other rule the optimizer corrects after the fact: it keeps a copy of the parameters,
/// lets the rule run, measures <c>Delta = p_new - p_old</c> and rewrites <c>p = p_old + f * Delta</c>.
/// This costs a parameter-sized copy, and <c>Delta</c> then includes whatever weight decay the rule
/// applied.</item>
/// </list>
/// </summary>
public interface IUpdateFilter
{
    /// <summary>The factor for tensor <paramref name="i"/> of <paramref name="context"/>, whose proposed update has norm <paramref name="updateNorm"/>.</summary>
    double UpdateFactor(StepContext context, int i, double updateNorm);
}
