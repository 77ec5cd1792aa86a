namespace Spamp.Optim;

/// <summary>
/// One link of an optimizer's chain (optax's idea): it reads the gradients of the step and may
/// rewrite them in place. The chain runs in two phases: every transform's <see cref="Observe"/>
/// first (statistics: per tensor, per layer, global, from the gradients as they arrived), then
/// every transform's <see cref="Apply"/> in chain order (in-place rewrites). Gradient shaping
/// (SPAMP, clipping, ZClip, ...) and the base rules written as chains (ScaleByAdam,
/// AddDecayedWeights, ScaleByLearningRate) are all transforms.
/// <para>
/// State lives either in the transform (per-layer or global scalars) or in the shared
/// <see cref="ParameterState"/> (per-parameter buffers), and is saved and restored through
/// <see cref="SaveState"/>/<see cref="LoadState"/> so that a resumed run continues bit for bit.
/// </para>
/// </summary>
public interface IGradientTransform
{
    /// <summary>A short name used in state keys, telemetry and messages (<c>spamp</c>, <c>clip_grad_norm</c>).</summary>
    string Name { get; }

    /// <summary>Reads gradients and records statistics; must not modify gradients. Optional.</summary>
    void Observe(StepContext context) { }

    /// <summary>Rewrites gradients in place (calling <see cref="StepContext.MarkModified"/> for each tensor it changes).</summary>
    void Apply(StepContext context);

    /// <summary>Writes this transform's state under <paramref name="prefix"/>. Optional when stateless.</summary>
    void SaveState(StateDict state, string prefix) { }

    /// <summary>Restores what <see cref="SaveState"/> wrote. Optional when stateless.</summary>
    void LoadState(StateDict state, string prefix) { }
}

/// <summary>
/// A base update rule fused into one pass per parameter (AdamW, SGD, Lion, Muon): it turns the
/// (shaped) gradients into parameter updates and applies them. An optimizer without a rule applies
/// <c>p += g</c> after its chain, which must then end with a transform producing updates
/// (<c>ScaleByLearningRate</c>).
/// </summary>
public interface IUpdateRule
{
    /// <summary>A short name (<c>adamw</c>).</summary>
    string Name { get; }

    /// <summary>Updates every parameter of the step from its gradient and shared state.</summary>
    void Update(StepContext context);

    /// <summary>
    /// True when the rule applies <see cref="StepContext.UpdateFactor"/> to its own gradient-driven
    /// update (weight decay excluded) whenever <see cref="StepContext.HasUpdateFilters"/>; false
    /// (the default) lets the optimizer correct the applied update after the rule ran (see
    /// <see cref="IUpdateFilter"/>).
    /// </summary>
    bool AppliesUpdateFilters => false;

    /// <summary>Writes rule-level state (per-parameter buffers live in <see cref="ParameterState"/> and are saved by the optimizer).</summary>
    void SaveState(StateDict state, string prefix) { }

    /// <summary>Restores rule-level state.</summary>
    void LoadState(StateDict state, string prefix) { }
}

/// <summary>
/// A flat, ordered map from dotted keys to saved values (double, long, double[] or a tensor
/// copy): the optimizer's state dict. Everything needed to continue training exactly.
/// </summary>
public sealed class StateDict : Dictionary<string, object>
{
    /// <summary>A double value, or throws naming the missing key.</summary>
    public double GetDouble(string key) => this.TryGetValue(key, out object? v) ? Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture)
        : throw new KeyNotFoundException($"optimizer state: missing key '{key}'");

    /// <summary>A long value, or throws naming the missing key.</summary>
    public long GetLong(string key) => this.TryGetValue(key, out object? v) ? Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)
        : throw new KeyNotFoundException($"optimizer state: missing key '{key}'");

    /// <summary>A tensor value, or throws naming the missing key.</summary>
    public Tensor GetTensor(string key) => this.TryGetValue(key, out object? v) && v is Tensor t ? t
        : throw new KeyNotFoundException($"optimizer state: missing tensor '{key}'");
}
