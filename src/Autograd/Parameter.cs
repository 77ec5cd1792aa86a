namespace Spamp;

/// <summary>
/// A trainable leaf variable: created with <see cref="Variable.RequiresGrad"/> on, owned by a layer,
/// updated by an optimizer. <see cref="Layer"/> names the owning module's path so the optimizer can
/// group gradients per layer without knowing about modules; <see cref="GradReady"/> fires as soon
/// as the parameter's gradient for a backward pass is complete, which is where per-layer gradient
/// hooks (and overlapping communication) attach.
/// </summary>
public sealed class Parameter : Variable
{
    /// <summary>Wraps <paramref name="data"/> (which the parameter owns) as a trainable parameter.</summary>
    public Parameter(Tensor data, string? name = null, string? layer = null) : base(TensorScope.Detach(data), requiresGrad: true)
    {
        Name = name;
        Layer = layer;
    }

    /// <summary>The parameter's own name within its module (<c>weight</c>, <c>bias</c>), if known.</summary>
    public string? Name { get; set; }

    /// <summary>The owning module's dotted path (<c>blocks.3.attn</c>), if known; the optimizer's default layer key.</summary>
    public string? Layer { get; set; }

    /// <summary>The full dotted name, <c>Layer.Name</c>.</summary>
    public string FullName => string.IsNullOrEmpty(Layer) ? Name ?? "" : $"{Layer}.{Name}";

    /// <summary>Raised once per backward pass when this parameter's gradient is fully accumulated into <see cref="Variable.Grad"/>.</summary>
    public event Action<Parameter>? GradReady;

    internal void RaiseGradReady() => GradReady?.Invoke(this);

    /// <summary>
    /// Moves the value to <paramref name="device"/> in place: the same parameter object (which
    /// optimizers and modules refer to) now holds a copy on the new device; the gradient is dropped.
    /// </summary>
    public void MoveTo(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (Data.Device == device)
        {
            return;
        }

        Tensor moved = TensorScope.Detach(Data.To(device));
        ReplaceData(moved);
        ZeroGrad();
    }
}
