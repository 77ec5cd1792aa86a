namespace Spamp.Optim;

/// <summary>
/// Value clipping with PyTorch's <c>clip_grad_value_</c> semantics (ALGORITHMS.md 2.1): every
/// gradient entry is clamped to <c>[-clipValue, clipValue]</c>; NaN stays NaN. Stateless.
/// </summary>
public sealed class ClipGradValue : IGradientTransform
{
    /// <summary>Creates the transform; <paramref name="clipValue"/> must be &gt;= 0.</summary>
    public ClipGradValue(double clipValue)
    {
        if (!(clipValue >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, $"clip_grad_value: the clip value must be >= 0, got {clipValue}");
        }

        ClipValue = clipValue;
    }

    /// <inheritdoc/>
    public string Name => "clip_grad_value";

    /// <summary>The largest magnitude an entry keeps.</summary>
    public double ClipValue { get; }

    /// <inheritdoc/>
    public void Apply(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (int i = 0; i < context.Parameters.Count; i++)
        {
            Tensor g = context.Gradient(i);
            context.Kernels(i).ClampValue(g.Storage, g.Numel, ClipValue);
            context.MarkModified(i);
        }
    }
}
