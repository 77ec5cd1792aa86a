namespace Spamp.Optim;

/// <summary>
/// The optimizer step with gradient shaping in its core. <see cref="Step"/> runs, in order:
/// <list type="number">
/// <item>group the parameters that have gradients into layers (per tensor by default, per module as an option);</item>
/// <item>fire the per-layer gradient hooks registered with <see cref="AddLayerHook(Action{LayerGroup, StepContext})"/> (they may inspect or rewrite one layer's gradients);</item>
/// <item>check for non-finite gradients (<see cref="NonFinite"/> policy) from the cached norms;</item>
/// <item>Observe: every transform of the chain reads statistics (per tensor, per layer, global);</item>
/// <item>Apply: every transform rewrites gradients in place, in chain order;</item>
/// <item>Update: the base rule (<see cref="Rule"/>) turns the shaped gradients into parameter updates (or <c>p += g</c> when the chain already produced updates);</item>
/// <item>Report: a <see cref="StepReport"/> when <see cref="Telemetry"/> is on.</item>
/// </list>
/// The learning rate of step t is each group's base lr times <see cref="Schedule"/>'s factor at t-1.
/// <para>
/// When the parameters live on a GPU and the rule and every transform have device kernels (AdamW or
/// Adam with SPAMP shaping or global 2-norm clipping, SGD), the step stays on the device
/// (<see cref="DeviceResidentStep"/>): it is queued without reading any value back, and the host
/// copies of counters and transform statistics are refreshed when they are read.
/// </para>
/// </summary>
public class Optimizer
{
    private readonly List<ParameterState> _states = [];
    private readonly List<IGradientTransform> _transforms;
    private readonly List<(string? Layer, Action<LayerGroup, StepContext> Hook)> _layerHooks = [];
    private Dictionary<ParameterState, int> _positionInStep = [];
    private Dictionary<ParameterState, int> _layerInStep = [];
    private DeviceStep? _device;
    private long _stepCount;
    private long _skippedSteps;

    /// <summary>
    /// Creates an optimizer over parameter groups. Groups without their own lr or weight decay take
    /// <paramref name="lr"/> and <paramref name="weightDecay"/>.
    /// </summary>
    public Optimizer(IEnumerable<ParameterGroup> groups, double lr, double weightDecay, IUpdateRule? rule,
        IEnumerable<IGradientTransform>? transforms = null)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (!(lr >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(lr), lr, $"optimizer: invalid learning rate {lr}");
        }

        if (!(weightDecay >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, $"optimizer: invalid weight decay {weightDecay}");
        }

        Groups = [.. groups];
        var seen = new HashSet<Parameter>();
        foreach (ParameterGroup group in Groups)
        {
            group.LearningRate = group.LearningRateOverride ?? lr;
            group.WeightDecay = group.WeightDecayOverride ?? weightDecay;
            foreach (Parameter p in group.Parameters)
            {
                if (!seen.Add(p))
                {
                    throw new ArgumentException($"optimizer: parameter '{p.FullName}' of shape {p.Shape} appears in more than one group", nameof(groups));
                }

                _states.Add(new ParameterState(p, _states.Count, group, ""));
            }
        }

        if (_states.Count == 0)
        {
            throw new ArgumentException("optimizer: got an empty parameter list", nameof(groups));
        }

        Rule = rule;
        _transforms = [.. transforms ?? []];
        AssignLayerKeys();
    }

    /// <summary>Creates an optimizer over one group of parameters.</summary>
    public Optimizer(IEnumerable<Parameter> parameters, double lr, double weightDecay, IUpdateRule? rule,
        IEnumerable<IGradientTransform>? transforms = null)
        : this([new ParameterGroup(parameters)], lr, weightDecay, rule, transforms)
    {
    }

    /// <summary>
    /// An optimizer written as a chain (optax's <c>chain</c>): the transforms rewrite the gradients
    /// into updates u and the step applies <c>p += u</c>. For example AdamW is
    /// <c>Optimizer.Chain(parameters, 1e-3, new ScaleByAdam(), new AddDecayedWeights(0.01), new ScaleByLearningRate())</c>.
    /// </summary>
    public static Optimizer Chain(IEnumerable<Parameter> parameters, double lr, params IGradientTransform[] transforms) =>
        new(parameters, lr, 0, null, transforms);

    /// <summary>A chain over parameter groups (see <see cref="Chain(IEnumerable{Parameter}, double, IGradientTransform[])"/>).</summary>
    public static Optimizer Chain(IEnumerable<ParameterGroup> groups, double lr, params IGradientTransform[] transforms) =>
        new(groups, lr, 0, null, transforms);

    /// <summary>The parameter groups.</summary>
    public IReadOnlyList<ParameterGroup> Groups { get; }

    /// <summary>The per-parameter states, in optimizer order (their step counts are brought up to date from the device first).</summary>
    public IReadOnlyList<ParameterState> States
    {
        get
        {
            _device?.Synchronize();
            return _states;
        }
    }

    /// <summary>The gradient transforms that run before the update, in chain order.</summary>
    public IReadOnlyList<IGradientTransform> Transforms => _transforms;

    /// <summary>The fused base rule, or null when the chain itself produces the updates.</summary>
    public IUpdateRule? Rule { get; }

    /// <summary>The learning-rate schedule (null: constant).</summary>
    public LearningRateSchedule? Schedule { get; set; }

    /// <summary>What counts as a layer for statistics, hooks and shaping.</summary>
    public LayerGrouping Grouping
    {
        get;
        set
        {
            field = value;
            AssignLayerKeys();
        }
    }

    /// <summary>What happens on NaN or infinite gradients (default: skip the step).</summary>
    public NonFinitePolicy NonFinite { get; set; } = NonFinitePolicy.SkipStep;

    /// <summary>
    /// When true, <see cref="Step"/> returns a <see cref="StepReport"/>; when false (default) no telemetry
    /// work is done. A device-resident step fills the report from one read of its device state after the
    /// step (the only synchronisation of such a step).
    /// </summary>
    public bool Telemetry { get; set; }

    /// <summary>
    /// Keep the step on the device when it can be (default true): parameters on a GPU, no layer hooks,
    /// a <see cref="NonFinite"/> policy other than Throw, and a rule and transforms with
    /// device kernels. Such a step performs no host synchronisation; a non-finite step is skipped on the
    /// device (its gradients are zeroed there rather than dropped). False always takes the host path.
    /// </summary>
    public bool DeviceResidentStep { get; set; } = true;

    /// <summary>Number of completed (not skipped) steps: the schedule's position. After device-resident steps, reading it reads the device's counter (one synchronisation).</summary>
    public long StepCount
    {
        get
        {
            _device?.Synchronize();
            return _stepCount;
        }
    }

    /// <summary>Number of steps skipped because of non-finite gradients (read from the device after device-resident steps).</summary>
    public long SkippedSteps
    {
        get
        {
            _device?.Synchronize();
            return _skippedSteps;
        }
    }

    /// <summary>True when the last <see cref="Step"/> stayed on the device.</summary>
    internal bool LastStepOnDevice { get; private set; }

    /// <summary>The step count as the host knows it (the device may be ahead: see <see cref="DeviceStep"/>).</summary>
    internal long HostStepCount => _stepCount;

    /// <summary>The skipped steps as the host knows them.</summary>
    internal long HostSkippedSteps => _skippedSteps;

    /// <summary>True when a layer hook is registered.</summary>
    internal bool HasLayerHooks => _layerHooks.Count > 0;

    /// <summary>The learning rate a group uses at the next step (base lr x schedule).</summary>
    public double ScheduledLearningRate(ParameterGroup group) => group.LearningRate * (Schedule?.Factor(StepCount) ?? 1.0);

    /// <summary>Appends a transform to the end of the chain (before the update rule).</summary>
    public void AddTransform(IGradientTransform transform)
    {
        ArgumentNullException.ThrowIfNull(transform);
        _transforms.Add(transform);
    }

    /// <summary>
    /// Registers a hook that every step calls once per layer, after gradients are complete and
    /// before the chain, with the layer's parameters (it may read or rewrite their gradients in
    /// place). Returns a handle that removes it.
    /// </summary>
    public IDisposable AddLayerHook(Action<LayerGroup, StepContext> hook) => AddHook(null, hook);

    /// <summary>Registers a hook for the layer named <paramref name="layer"/> only.</summary>
    public IDisposable AddLayerHook(string layer, Action<LayerGroup, StepContext> hook) => AddHook(layer, hook);

    private HookHandle AddHook(string? layer, Action<LayerGroup, StepContext> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        var entry = (layer, hook);
        _layerHooks.Add(entry);
        return new HookHandle(() => _layerHooks.Remove(entry));
    }

    /// <summary>Drops every parameter's gradient (set to none, as PyTorch's default).</summary>
    public void ZeroGrad()
    {
        foreach (ParameterState s in _states)
        {
            s.Parameter.ZeroGrad();
        }
    }

    /// <summary>Performs one optimizer step (see the class summary). Returns the report when <see cref="Telemetry"/> is on.</summary>
    public StepReport? Step()
    {
        var active = new List<ParameterState>(_states.Count);
        foreach (ParameterState s in _states)
        {
            if (s.Parameter.Grad is not null)
            {
                active.Add(s);
            }
        }

        List<LayerGroup> layers = BuildLayers(active);
        LastStepOnDevice = DeviceStep.CanRun(this, active);
        if (LastStepOnDevice)
        {
            return StepOnDevice(active, layers);
        }

        // The host path reads and may change what resident steps left on the device.
        _device?.Synchronize();
        _device?.Invalidate();
        StepReport? report = Telemetry ? new StepReport(_stepCount + 1, layers) : null;
        var context = new StepContext(this, _stepCount + 1, active, layers, report);

        foreach (LayerGroup layer in layers)
        {
            foreach (var (name, hook) in _layerHooks.ToArray())
            {
                if (name is null || name == layer.Name)
                {
                    hook(layer, context);
                    foreach (ParameterState p in layer.Parameters)
                    {
                        context.MarkModified(context.PositionOf(p));
                    }
                }
            }
        }

        double globalBefore = context.GlobalNorm();
        if (report is not null)
        {
            report.GlobalNormBefore = globalBefore;
            for (int l = 0; l < layers.Count; l++)
            {
                report.Layers[l].NormBefore = context.LayerNorm(layers[l]);
            }
        }

        if (!double.IsFinite(globalBefore) && NonFinite != NonFinitePolicy.Propagate)
        {
            string culprit = active.Where((s, i) => !double.IsFinite(context.SquaredNorm(i))).Select(s => s.Parameter.FullName).FirstOrDefault() ?? "?";
            if (NonFinite == NonFinitePolicy.Throw)
            {
                throw new NonFiniteGradientException($"optimizer step {_stepCount + 1}: the gradient of '{culprit}' is not finite (global norm {globalBefore})");
            }

            _skippedSteps++;
            ZeroGrad();
            if (report is not null)
            {
                report.Skipped = true;
            }

            return report;
        }

        foreach (IGradientTransform t in _transforms)
        {
            t.Observe(context);
        }

        foreach (IGradientTransform t in _transforms)
        {
            t.Apply(context);
        }

        if (report is not null)
        {
            report.GlobalNormAfter = context.GlobalNorm();
            report.LearningRate = Groups.Count > 0 ? context.LearningRate(Groups[0]) : 0;
            for (int l = 0; l < layers.Count; l++)
            {
                double after = context.LayerNorm(layers[l]);
                report.Layers[l].NormAfter = after;
                double lr = layers[l].Parameters.Count > 0 ? context.LearningRate(layers[l].Parameters[0].Group) : 0;
                report.Layers[l].UpdateMagnitude = Rule is null ? after : lr * after;
            }
        }

        if (context.SkipUpdate)
        {
            if (report is not null)
            {
                report.Skipped = true;
            }

            return report;
        }

        if (Rule is not null && context.HasUpdateFilters && !Rule.AppliesUpdateFilters)
        {
            UpdateWithCorrection(context);
        }
        else if (Rule is not null)
        {
            Rule.Update(context);
        }
        else
        {
            // The chain produced updates in the gradient buffers: p += f * u, where f is 1 unless
            // an update filter (SPAMP's update clipping) asks for less.
            for (int i = 0; i < active.Count; i++)
            {
                Tensor p = active[i].Parameter.Data, u = context.Gradient(i);
                double f = context.HasUpdateFilters ? context.UpdateFactor(i, context.Norm(i)) : 1.0;
                context.Kernels(i).Axpy(p.Storage, u.Storage, p.Numel, f);
                active[i].Step++;
            }
        }

        _stepCount++;
        return report;
    }

    /// <summary>
    /// The step on the device (see <see cref="DeviceStep"/>): the same phases as the host path, through
    /// a context whose norms and pending scales live on the device; the non-finite check is a device flag
    /// every kernel reads. With telemetry on, the report is read after the whole step was queued.
    /// </summary>
    private StepReport? StepOnDevice(List<ParameterState> active, List<LayerGroup> layers)
    {
        _device ??= new DeviceStep(this);
        long step = _device.Begin(active, layers);
        var context = new StepContext(this, step, active, layers, null, _device);
        foreach (IGradientTransform t in _transforms)
        {
            t.Observe(context);
        }

        foreach (IGradientTransform t in _transforms)
        {
            t.Apply(context);
        }

        Rule!.Update(context);
        _device.End();
        return Telemetry ? _device.Report(layers) : null;
    }

    /// <summary>Sets the counters from the device (<see cref="DeviceStep.Synchronize"/>).</summary>
    internal void SetCounters(long completed, long skipped)
    {
        _stepCount = completed;
        _skippedSteps = skipped;
    }

    /// <summary>
    /// Everything needed to resume exactly: step counters, every parameter's buffers, scalars and
    /// step, each transform's and the rule's state. Tensors are copies owned by the dict's user.
    /// </summary>
    public StateDict StateDict()
    {
        _device?.Synchronize();
        var state = new StateDict
        {
            ["step_count"] = _stepCount,
            ["skipped_steps"] = _skippedSteps,
        };
        foreach (ParameterState s in _states)
        {
            string prefix = $"param.{s.Index}.";
            state[prefix + "step"] = s.Step;
            foreach (var (name, buffer) in s.Buffers)
            {
                state[prefix + "buffer." + name] = TensorScope.Detach(buffer.Clone());
            }

            foreach (var (name, value) in s.Scalars)
            {
                state[prefix + "scalar." + name] = value;
            }
        }

        for (int k = 0; k < _transforms.Count; k++)
        {
            _transforms[k].SaveState(state, $"transform.{k}.{_transforms[k].Name}.");
        }

        Rule?.SaveState(state, $"rule.{Rule.Name}.");
        return state;
    }

    /// <summary>
    /// Restores a <see cref="StateDict"/>. Validates every buffer's shape against its parameter
    /// first, so a mismatched dict throws without changing anything.
    /// </summary>
    public void LoadStateDict(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        foreach (var (key, value) in state)
        {
            if (key.StartsWith("param.", StringComparison.Ordinal))
            {
                string[] parts = key.Split('.', 4);
                if (!int.TryParse(parts[1], out int index) || index < 0 || index >= _states.Count)
                {
                    throw new ArgumentException($"optimizer state: key '{key}' refers to parameter {parts[1]}, but the optimizer has {_states.Count}", nameof(state));
                }

                if (value is Tensor t && t.Shape != _states[index].Parameter.Shape)
                {
                    throw new ShapeMismatchException($"optimizer state: '{key}' has shape {t.Shape} but parameter {index} ('{_states[index].Parameter.FullName}') has shape {_states[index].Parameter.Shape}", nameof(state));
                }
            }
        }

        _ = state.GetLong("step_count");
        _device?.Invalidate();
        _stepCount = state.GetLong("step_count");
        _skippedSteps = state.TryGetValue("skipped_steps", out object? skipped) ? Convert.ToInt64(skipped, System.Globalization.CultureInfo.InvariantCulture) : 0;
        foreach (ParameterState s in _states)
        {
            s.Clear();
            string prefix = $"param.{s.Index}.";
            if (state.TryGetValue(prefix + "step", out object? step))
            {
                s.Step = Convert.ToInt64(step, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        foreach (var (key, value) in state)
        {
            if (!key.StartsWith("param.", StringComparison.Ordinal))
            {
                continue;
            }

            string[] parts = key.Split('.', 4);
            ParameterState s = _states[int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)];
            if (parts.Length == 4 && parts[2] == "buffer" && value is Tensor t)
            {
                s.SetBuffer(parts[3], t);
            }
            else if (parts.Length == 4 && parts[2] == "scalar")
            {
                s.Scalars[parts[3]] = Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        for (int k = 0; k < _transforms.Count; k++)
        {
            _transforms[k].LoadState(state, $"transform.{k}.{_transforms[k].Name}.");
        }

        Rule?.LoadState(state, $"rule.{Rule.Name}.");
    }

    /// <summary>
    /// Runs a rule that does not apply update filters itself, then corrects what it did (see
    /// <see cref="IUpdateFilter"/>): keep p_old, let the rule write p_new, and for each tensor set
    /// p = p_old + f * (p_new - p_old) with f from the filters given ||p_new - p_old||.
    /// </summary>
    private void UpdateWithCorrection(StepContext context)
    {
        var before = new Tensor[context.Parameters.Count];
        try
        {
            for (int i = 0; i < before.Length; i++)
            {
                before[i] = TensorScope.Detach(context.Parameters[i].Parameter.Data.Clone());
            }

            Rule!.Update(context);
            for (int i = 0; i < before.Length; i++)
            {
                Tensor p = context.Parameters[i].Parameter.Data, delta = before[i];
                var kernels = context.Kernels(i);
                // delta = p_new - p_old, in the copy's buffer.
                kernels.Scale(delta.Storage, delta.Numel, -1.0);
                kernels.Axpy(delta.Storage, p.Storage, p.Numel, 1.0);
                double f = context.UpdateFactor(i, Math.Sqrt(kernels.SumOfSquares(delta.Storage, delta.Numel)));
                if (f != 1.0)
                {
                    kernels.Axpy(p.Storage, delta.Storage, p.Numel, f - 1.0);
                }
            }
        }
        finally
        {
            foreach (Tensor? t in before)
            {
                t?.Dispose();
            }
        }
    }

    internal int PositionInStep(ParameterState state) => _positionInStep[state];

    internal int LayerIndexInStep(ParameterState state) => _layerInStep[state];

    private List<LayerGroup> BuildLayers(List<ParameterState> active)
    {
        _positionInStep = new Dictionary<ParameterState, int>(active.Count);
        _layerInStep = new Dictionary<ParameterState, int>(active.Count);
        var byKey = new Dictionary<string, List<ParameterState>>();
        var order = new List<string>();
        for (int i = 0; i < active.Count; i++)
        {
            ParameterState s = active[i];
            _positionInStep[s] = i;
            if (!byKey.TryGetValue(s.LayerKey, out var members))
            {
                members = [];
                byKey[s.LayerKey] = members;
                order.Add(s.LayerKey);
            }

            members.Add(s);
        }

        var layers = new List<LayerGroup>(order.Count);
        foreach (string key in order)
        {
            foreach (ParameterState s in byKey[key])
            {
                _layerInStep[s] = layers.Count;
            }

            layers.Add(new LayerGroup(key, byKey[key]));
        }

        return layers;
    }

    private void AssignLayerKeys()
    {
        foreach (ParameterState s in _states)
        {
            string full = s.Parameter.FullName;
            string name = string.IsNullOrEmpty(full) ? $"param{s.Index}" : full;
            s.LayerKey = Grouping == LayerGrouping.PerModule && !string.IsNullOrEmpty(s.Parameter.Layer) ? s.Parameter.Layer! : name;
        }
    }

    private sealed class HookHandle(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}
