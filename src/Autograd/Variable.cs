namespace Spamp;

/// <summary>
/// A tensor in the autograd graph: its value (<see cref="Data"/>), the gradient accumulated for it
/// by <see cref="Backward"/> (<see cref="Grad"/>, for leaves), and the <see cref="Node"/> that made
/// it (null for leaves). Operations on variables run eagerly and record the graph as they go
/// (define-by-run), unless inside <see cref="Autograd.NoGrad"/>.
/// </summary>
public partial class Variable : IDisposable
{
    private List<Func<Tensor, Tensor?>>? _leafHooks;

    /// <summary>A leaf variable over <paramref name="data"/> (the variable owns it from now on).</summary>
    public Variable(Tensor data, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (requiresGrad && !data.DType.IsFloatingPoint())
        {
            throw new DTypeMismatchException($"variable: only floating-point tensors can require gradients, got {data.DType.Name()} of shape {data.Shape}", nameof(data));
        }

        Data = data;
        RequiresGrad = requiresGrad;
    }

    internal Variable(Tensor data, Node gradFn)
    {
        Data = data;
        GradFn = gradFn;
        RequiresGrad = true;
    }

    /// <summary>The value.</summary>
    public Tensor Data { get; private set; }

    /// <summary>
    /// The gradient of the last backward pass(es) with respect to this leaf, accumulated (+=) until
    /// <see cref="ZeroGrad"/>; null before the first backward. Owned by the variable.
    /// </summary>
    public Tensor? Grad { get; internal set; }

    /// <summary>True when gradients flow to (or through) this variable.</summary>
    public bool RequiresGrad { get; }

    /// <summary>The node that created this variable, or null for a leaf.</summary>
    public Node? GradFn { get; }

    /// <summary>True for a variable not created by a recorded operation.</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>Shape of <see cref="Data"/>.</summary>
    public Shape Shape => Data.Shape;

    /// <summary>Element type of <see cref="Data"/>.</summary>
    public DType DType => Data.DType;

    /// <summary>Device of <see cref="Data"/>.</summary>
    public Device Device => Data.Device;

    /// <summary>Number of dimensions.</summary>
    public int Rank => Data.Rank;

    /// <summary>Number of elements.</summary>
    public int Numel => Data.Numel;

    /// <summary>
    /// Computes the gradient of this variable with respect to every leaf that requires one and
    /// accumulates it into their <see cref="Grad"/>. <paramref name="gradient"/> defaults to 1 and
    /// is required when this variable is not a scalar. Saved tensors are freed afterwards unless
    /// <paramref name="retainGraph"/>, so a second backward through the same graph needs it.
    /// </summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false) => BackwardEngine.Run(this, gradient, retainGraph);

    /// <summary>
    /// Registers a hook called with the gradient with respect to this variable when backward
    /// computes it (the total over all its uses). It may return a replacement gradient (a new
    /// tensor, which the engine then owns) or null to keep it. Returns a handle that removes it.
    /// </summary>
    public IDisposable RegisterHook(Func<Tensor, Tensor?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!RequiresGrad)
        {
            throw new InvalidOperationException($"register_hook: a variable of shape {Shape} that does not require grad has no gradient to hook");
        }

        List<Func<Tensor, Tensor?>> list = GradFn?.Hooks ?? (_leafHooks ??= []);
        list.Add(hook);
        return new HookHandle(list, hook);
    }

    internal List<Func<Tensor, Tensor?>>? LeafHooks => _leafHooks;

    /// <summary>A new leaf sharing this variable's data but cut from the graph (PyTorch's detach()).</summary>
    public Variable Detach() => new(Data.Alias());

    /// <summary>Drops the accumulated gradient (PyTorch's zero_grad with set_to_none=True): the next backward allocates afresh.</summary>
    public void ZeroGrad()
    {
        Grad?.Dispose();
        Grad = null;
    }

    /// <summary>
    /// Replaces the value in place with <paramref name="value"/> (same shape), outside the graph:
    /// for initialisation and loading weights. The variable keeps its storage.
    /// </summary>
    public void SetData(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Shape != Shape)
        {
            throw new ShapeMismatchException($"set_data: new value has shape {value.Shape}, variable has {Shape}", nameof(value));
        }

        Data.CopyFrom(value);
    }

    /// <summary>Swaps in a new value tensor (owned from now on), disposing the old one.</summary>
    internal void ReplaceData(Tensor data)
    {
        Tensor old = Data;
        Data = data;
        old.Dispose();
    }

    /// <summary>Disposes the value and gradient.</summary>
    public void Dispose()
    {
        Data.Dispose();
        Grad?.Dispose();
        Grad = null;
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        Data.ToString().TrimEnd(')') + (GradFn is not null ? $", grad_fn={GradFn})" : RequiresGrad ? ", requires_grad=True)" : ")");

    private sealed class HookHandle(List<Func<Tensor, Tensor?>> list, Func<Tensor, Tensor?> hook) : IDisposable
    {
        public void Dispose() => list.Remove(hook);
    }
}
