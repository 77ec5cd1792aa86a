namespace Spamp.Optim;

/// <summary>
/// What one optimizer step did, per layer and globally: the paper's telemetry. Produced only when
/// <see cref="Optimizer.Telemetry"/> is on (zero cost otherwise).
/// </summary>
public sealed class StepReport
{
    internal StepReport(long step, IReadOnlyList<LayerGroup> layers)
    {
        Step = step;
        Layers = [.. layers.Select(l => new LayerReport(l.Name))];
    }

    /// <summary>The 1-based step number.</summary>
    public long Step { get; }

    /// <summary>The learning rate of the first parameter group used this step (schedule and lr scaling applied).</summary>
    public double LearningRate { get; internal set; }

    /// <summary>Global L2 norm of the gradients before any transform.</summary>
    public double GlobalNormBefore { get; internal set; }

    /// <summary>Global L2 norm of the gradients handed to the update rule.</summary>
    public double GlobalNormAfter { get; internal set; }

    /// <summary>True when the step was skipped (non-finite gradients or a transform's decision).</summary>
    public bool Skipped { get; internal set; }

    /// <summary>Per-layer entries, in layer order.</summary>
    public IReadOnlyList<LayerReport> Layers { get; }

    /// <summary>Fraction of layers a transform clipped or projected this step.</summary>
    public double ClipRate => Layers.Count == 0 ? 0 : Layers.Count(l => l.Clipped) / (double)Layers.Count;
}

/// <summary>One layer's line of a <see cref="StepReport"/>.</summary>
public sealed class LayerReport
{
    internal LayerReport(string layer) => Layer = layer;

    /// <summary>The layer key.</summary>
    public string Layer { get; }

    /// <summary>||g|| before shaping.</summary>
    public double NormBefore { get; internal set; }

    /// <summary>||g~|| after shaping (what the update rule consumed).</summary>
    public double NormAfter { get; internal set; }

    /// <summary>The threshold a transform used for this layer (SPAMP's tau, a clip's max norm), if any.</summary>
    public double? Tau { get; set; }

    /// <summary>SPAMP's power exponent alpha for this layer, if any.</summary>
    public double? Alpha { get; set; }

    /// <summary>True when a transform clipped or projected this layer.</summary>
    public bool Clipped { get; set; }

    /// <summary>The update magnitude lr * ||g~||, the paper's central quantity.</summary>
    public double UpdateMagnitude { get; internal set; }
}
