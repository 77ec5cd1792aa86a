namespace Spamp.Optim;

/// <summary>
/// Everything the optimizer keeps for one parameter tensor, shared by every transform in the chain:
/// named buffers (Adam's <c>exp_avg</c> and <c>exp_avg_sq</c>, SGD's <c>momentum_buffer</c>, ...),
/// named scalars (per-tensor statistics such as SPAMP's <c>tau_raw</c>) and the step count. A method
/// that needs another's state (SPAM reading Adam's second moment) reads it here by name, never from
/// a private copy, so the chain stays consistent and saves and loads as one.
/// </summary>
public sealed class ParameterState
{
    private readonly Dictionary<string, Tensor> _buffers = [];

    internal ParameterState(Parameter parameter, int index, ParameterGroup group, string layerKey)
    {
        Parameter = parameter;
        Index = index;
        Group = group;
        LayerKey = layerKey;
    }

    /// <summary>The parameter.</summary>
    public Parameter Parameter { get; }

    /// <summary>Position of the parameter in the optimizer (stable; the key of its saved state).</summary>
    public int Index { get; }

    /// <summary>The parameter group holding its lr and weight decay.</summary>
    public ParameterGroup Group { get; }

    /// <summary>The layer this parameter is grouped into for per-layer statistics and hooks.</summary>
    public string LayerKey { get; internal set; }

    /// <summary>Number of updates this parameter received (PyTorch's <c>state['step']</c>).</summary>
    public long Step { get; set; }

    /// <summary>The current gradient (null when the parameter got none this step).</summary>
    public Tensor? Grad => Parameter.Grad;

    /// <summary>Named per-element buffers, created lazily.</summary>
    public IReadOnlyDictionary<string, Tensor> Buffers => _buffers;

    /// <summary>Named per-tensor scalars (statistics, counters), created lazily.</summary>
    public Dictionary<string, double> Scalars { get; } = [];

    /// <summary>
    /// The buffer called <paramref name="name"/>, created as zeros shaped like the parameter, on its
    /// device, on first use. It is owned by this state (never by a <see cref="TensorScope"/>). A
    /// buffer made before the parameter moved to another device (<see cref="Parameter.MoveTo"/>)
    /// follows it here, so the update kernels always find state and parameter on one device.
    /// </summary>
    public Tensor Buffer(string name)
    {
        if (!TryGetBuffer(name, out Tensor buffer))
        {
            buffer = TensorScope.Detach(Tensor.ZerosLike(Parameter.Data));
            _buffers[name] = buffer;
        }

        return buffer;
    }

    /// <summary>The buffer called <paramref name="name"/> if it exists (moved to the parameter's device if the parameter moved).</summary>
    public bool TryGetBuffer(string name, out Tensor buffer)
    {
        if (!_buffers.TryGetValue(name, out Tensor? value))
        {
            buffer = null!;
            return false;
        }

        if (value.Device != Parameter.Device)
        {
            Tensor moved = TensorScope.Detach(value.To(Parameter.Device));
            value.Dispose();
            _buffers[name] = value = moved;
        }

        buffer = value;
        return true;
    }

    /// <summary>
    /// Replaces (or creates) a buffer with a copy of <paramref name="value"/> on the parameter's device
    /// and in its dtype, as PyTorch's <c>load_state_dict</c> casts optimizer state to its parameter
    /// (a state dict saved on one device resumes on another).
    /// </summary>
    public void SetBuffer(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (_buffers.Remove(name, out Tensor? old))
        {
            old.Dispose();
        }

        using Tensor onDevice = value.To(Parameter.Device);
        Tensor copy = onDevice.DType == Parameter.DType ? onDevice.Clone() : onDevice.To(Parameter.DType);
        _buffers[name] = TensorScope.Detach(copy);
    }

    /// <summary>Frees and forgets the buffer called <paramref name="name"/>, if there is one.</summary>
    internal void RemoveBuffer(string name)
    {
        if (_buffers.Remove(name, out Tensor? buffer))
        {
            buffer.Dispose();
        }
    }

    /// <summary>A named scalar, or <paramref name="fallback"/> when unset.</summary>
    public double Scalar(string name, double fallback = 0) => Scalars.TryGetValue(name, out double v) ? v : fallback;

    /// <summary>Frees every buffer.</summary>
    internal void Clear()
    {
        foreach (Tensor t in _buffers.Values)
        {
            t.Dispose();
        }

        _buffers.Clear();
        Scalars.Clear();
        Step = 0;
    }
}

/// <summary>Parameters that share hyperparameters (PyTorch's param_groups).</summary>
public sealed class ParameterGroup
{
    /// <summary>A group with its own learning rate and weight decay; null means the optimizer's default.</summary>
    public ParameterGroup(IEnumerable<Parameter> parameters, double? lr = null, double? weightDecay = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = [.. parameters];
        LearningRateOverride = lr;
        WeightDecayOverride = weightDecay;
    }

    /// <summary>The parameters.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Base learning rate of this group (before the schedule); set by the optimizer from its default when not given.</summary>
    public double LearningRate { get; set; }

    /// <summary>Weight decay of this group.</summary>
    public double WeightDecay { get; set; }

    internal double? LearningRateOverride { get; }

    internal double? WeightDecayOverride { get; }
}

/// <summary>How parameters are grouped into "layers" for per-layer statistics, hooks and shaping.</summary>
public enum LayerGrouping
{
    /// <summary>Every parameter tensor is its own layer (weight and bias separately): the default, as AdaGC and SPAMP-R.</summary>
    PerTensor,
    /// <summary>Parameters with the same <see cref="Parameter.Layer"/> (module path) form one layer.</summary>
    PerModule,
}

/// <summary>One layer's parameters within a step (the unit per-layer hooks receive).</summary>
/// <param name="Name">The layer key: the parameter's full name (per tensor) or the module path (per module).</param>
/// <param name="Parameters">The states of its parameters that have gradients this step.</param>
public sealed record LayerGroup(string Name, IReadOnlyList<ParameterState> Parameters);
