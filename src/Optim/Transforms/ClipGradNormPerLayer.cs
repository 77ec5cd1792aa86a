namespace Spamp.Optim;

/// <summary>
/// Per-layer norm clipping (ALGORITHMS.md 2.2): for each layer j of the step (a tensor, or a
/// module's tensors together under <see cref="LayerGrouping.PerModule"/>, the norm then taken over
/// their concatenation), <c>c_j = min(1, maxNorm / (||g_j|| + 1e-6))</c> and <c>g_j *= c_j</c>. The
/// pre-clip norms of the last step are in <see cref="LastNorms"/>. Stateless.
/// </summary>
public sealed class ClipGradNormPerLayer : IGradientTransform
{
    private double[] _lastNorms = [];

    /// <summary>Creates the transform with one max norm shared by every layer.</summary>
    public ClipGradNormPerLayer(double maxNorm = 1.0)
    {
        ClipGradNorm.Validate(maxNorm, 2.0);
        MaxNorm = maxNorm;
    }

    /// <inheritdoc/>
    public string Name => "clip_grad_norm_per_layer";

    /// <summary>The largest norm each layer keeps.</summary>
    public double MaxNorm { get; }

    /// <summary>The layer norms before clipping at the last step, in layer order.</summary>
    public IReadOnlyList<double> LastNorms => _lastNorms;

    /// <inheritdoc/>
    public void Apply(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_lastNorms.Length != context.Layers.Count)
        {
            _lastNorms = new double[context.Layers.Count];
        }

        for (int l = 0; l < context.Layers.Count; l++)
        {
            LayerGroup layer = context.Layers[l];
            double norm = context.LayerNorm(layer);
            _lastNorms[l] = norm;
            double coef = MaxNorm / (norm + ClipGradNorm.Epsilon);
            double c = double.IsNaN(coef) ? coef : Math.Min(coef, 1.0);
            if (c != 1.0)
            {
                foreach (ParameterState p in layer.Parameters)
                {
                    context.ScaleGradient(context.PositionOf(p), c);
                }
            }

            if (context.LayerReportOf(layer) is { } line)
            {
                line.Tau = MaxNorm;
                line.Clipped |= c < 1.0 || double.IsNaN(c);
            }
        }
    }
}
