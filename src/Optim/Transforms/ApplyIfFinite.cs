namespace Spamp.Optim;

/// <summary>
/// Runs its inner transforms only on steps whose gradients are all finite (optax's
/// <c>apply_if_finite</c>): on a step with a NaN or infinite gradient the inner transforms are not
/// called (their state stays exactly as it was), the update is skipped
/// (<see cref="StepContext.SkipUpdate"/>, so the rule's state and the step count do not advance
/// either) and the step is counted. Useful under <see cref="NonFinitePolicy.Propagate"/>, or to
/// guard a part of a chain; under the default <see cref="NonFinitePolicy.SkipStep"/> the optimizer
/// already skips such steps before the chain.
/// </summary>
public sealed class ApplyIfFinite : IGradientTransform
{
    private readonly IGradientTransform[] _inner;
    private bool _finite = true;

    /// <summary>Wraps <paramref name="inner"/>, run in this order.</summary>
    public ApplyIfFinite(params IGradientTransform[] inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = [.. inner];
    }

    /// <inheritdoc/>
    public string Name => "apply_if_finite";

    /// <summary>The wrapped transforms.</summary>
    public IReadOnlyList<IGradientTransform> Inner => _inner;

    /// <summary>Non-finite steps skipped so far.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>Non-finite steps skipped in a row up to the last step.</summary>
    public long ConsecutiveSkips { get; private set; }

    /// <inheritdoc/>
    public void Observe(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _finite = double.IsFinite(context.GlobalNorm());
        if (_finite)
        {
            foreach (IGradientTransform t in _inner)
            {
                t.Observe(context);
            }
        }
    }

    /// <inheritdoc/>
    public void Apply(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Transforms earlier in the chain may have produced the non-finite values: check again.
        if (!_finite || !double.IsFinite(context.GlobalNorm()))
        {
            SkippedSteps++;
            ConsecutiveSkips++;
            context.SkipUpdate = true;
            return;
        }

        ConsecutiveSkips = 0;
        foreach (IGradientTransform t in _inner)
        {
            t.Apply(context);
        }
    }

    /// <inheritdoc/>
    public void SaveState(StateDict state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        state[prefix + "skipped"] = SkippedSteps;
        state[prefix + "consecutive"] = ConsecutiveSkips;
        for (int k = 0; k < _inner.Length; k++)
        {
            _inner[k].SaveState(state, $"{prefix}{k}.{_inner[k].Name}.");
        }
    }

    /// <inheritdoc/>
    public void LoadState(StateDict state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        SkippedSteps = state.GetLong(prefix + "skipped");
        ConsecutiveSkips = state.GetLong(prefix + "consecutive");
        for (int k = 0; k < _inner.Length; k++)
        {
            _inner[k].LoadState(state, $"{prefix}{k}.{_inner[k].Name}.");
        }
    }
}
