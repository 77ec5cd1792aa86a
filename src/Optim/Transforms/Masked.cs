namespace Spamp.Optim;

/// <summary>
/// Runs a transform on the parameters a predicate selects only (optax's <c>masked</c>): the inner
/// transform sees a <see cref="StepContext.Subset"/> of the step (its own numbering of tensors and
/// layers; shared norm cache, lr scale, skip flag, report and update filters), so per-tensor state,
/// global norms and clipping all refer to the selected parameters. Typical: no shaping on biases
/// and norm gains (<c>p =&gt; p.Parameter.Rank &gt;= 2</c>), or a method per parameter group.
/// </summary>
public sealed class Masked : IGradientTransform
{
    private readonly Func<ParameterState, bool> _include;
    private StepContext? _subset;
    private StepContext? _subsetOf;

    /// <summary>Wraps <paramref name="inner"/>, applied where <paramref name="include"/> is true.</summary>
    public Masked(IGradientTransform inner, Func<ParameterState, bool> include)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(include);
        Inner = inner;
        _include = include;
    }

    /// <inheritdoc/>
    public string Name => "masked_" + Inner.Name;

    /// <summary>The wrapped transform.</summary>
    public IGradientTransform Inner { get; }

    /// <inheritdoc/>
    public void Observe(StepContext context) => Inner.Observe(SubsetOf(context));

    /// <inheritdoc/>
    public void Apply(StepContext context)
    {
        StepContext subset = SubsetOf(context);
        if (subset.Parameters.Count > 0)
        {
            Inner.Apply(subset);
        }

        _subset = null;
        _subsetOf = null;
    }

    /// <inheritdoc/>
    public void SaveState(StateDict state, string prefix) => Inner.SaveState(state, prefix);

    /// <inheritdoc/>
    public void LoadState(StateDict state, string prefix) => Inner.LoadState(state, prefix);

    /// <summary>The subset for this step, built once for Observe and Apply.</summary>
    private StepContext SubsetOf(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_subset is null || !ReferenceEquals(_subsetOf, context))
        {
            _subset = context.Subset(_include);
            _subsetOf = context;
        }

        return _subset;
    }
}
