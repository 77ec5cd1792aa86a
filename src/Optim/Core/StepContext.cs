using Spamp.Backends;

namespace Spamp.Optim;

/// <summary>
/// What a transform sees during one <see cref="Optimizer.Step"/>: the parameters that have
/// gradients, their layers, the step number, the scheduled learning rates, and cached gradient
/// statistics. Norms are computed once per tensor and reused by every transform until a transform
/// rewrites that tensor (<see cref="MarkModified"/>), so a chain of norm-based methods costs one
/// statistics pass, not one per method.
/// </summary>
public sealed class StepContext
{
    private readonly double[] _squaredNorms;
    private readonly bool[] _normValid;

    internal StepContext(Optimizer optimizer, long step, IReadOnlyList<ParameterState> parameters, IReadOnlyList<LayerGroup> layers, StepReport? report)
    {
        Optimizer = optimizer;
        Step = step;
        Parameters = parameters;
        Layers = layers;
        Report = report;
        _squaredNorms = new double[parameters.Count];
        _normValid = new bool[parameters.Count];
    }

    /// <summary>The optimizer running the step.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The 1-based number of this step (global, counts every call including skipped ones... see <see cref="Optimizer.StepCount"/>).</summary>
    public long Step { get; }

    /// <summary>The parameters with a gradient this step, in optimizer order (position i is "tensor i" below).</summary>
    public IReadOnlyList<ParameterState> Parameters { get; }

    /// <summary>The layers of this step.</summary>
    public IReadOnlyList<LayerGroup> Layers { get; }

    /// <summary>The telemetry being collected, or null when telemetry is off.</summary>
    public StepReport? Report { get; }

    /// <summary>
    /// A factor on every group's learning rate for this step only (inverse-norm lr scaling sets it;
    /// the schedule is not changed).
    /// </summary>
    public double LearningRateScale { get; set; } = 1;

    /// <summary>Set by a transform to skip the update (state that the transform did not advance stays as is).</summary>
    public bool SkipUpdate { get; set; }

    /// <summary>The learning rate of <paramref name="group"/> for this step: base lr x schedule x <see cref="LearningRateScale"/>.</summary>
    public double LearningRate(ParameterGroup group) => Optimizer.ScheduledLearningRate(group) * LearningRateScale;

    /// <summary>The kernels of the device of parameter <paramref name="i"/>.</summary>
    public OptimizerKernels Kernels(int i) => OptimizerKernels.For(Parameters[i].Parameter.Device);

    /// <summary>The gradient of tensor <paramref name="i"/> (dense, contiguous, owned by its parameter).</summary>
    public Tensor Gradient(int i) => Parameters[i].Grad!;

    /// <summary>sum of squares of gradient <paramref name="i"/> in double, cached.</summary>
    public double SquaredNorm(int i)
    {
        if (!_normValid[i])
        {
            Tensor g = Gradient(i);
            _squaredNorms[i] = Kernels(i).SumOfSquares(g.Storage, g.Numel);
            _normValid[i] = true;
        }

        return _squaredNorms[i];
    }

    /// <summary>||g_i||, cached.</summary>
    public double Norm(int i) => Math.Sqrt(SquaredNorm(i));

    /// <summary>The global L2 norm over all gradients of the step: sqrt(sum_i ||g_i||^2).</summary>
    public double GlobalNorm()
    {
        double total = 0;
        for (int i = 0; i < Parameters.Count; i++)
        {
            total += SquaredNorm(i);
        }

        return Math.Sqrt(total);
    }

    /// <summary>||concat of the layer's gradients|| (equal to the tensor norm under per-tensor grouping).</summary>
    public double LayerNorm(LayerGroup layer)
    {
        double total = 0;
        foreach (ParameterState p in layer.Parameters)
        {
            total += SquaredNorm(PositionOf(p));
        }

        return Math.Sqrt(total);
    }

    /// <summary>Position of a parameter state in <see cref="Parameters"/>.</summary>
    public int PositionOf(ParameterState state) => Optimizer.PositionInStep(state);

    /// <summary>Tells the context that gradient <paramref name="i"/> was rewritten, invalidating its cached norm.</summary>
    public void MarkModified(int i) => _normValid[i] = false;

    /// <summary>
    /// Scales gradient <paramref name="i"/> by <paramref name="factor"/> in place, keeping the
    /// cached norm exact without another pass (the norm scales by |factor|).
    /// </summary>
    public void ScaleGradient(int i, double factor)
    {
        Tensor g = Gradient(i);
        Kernels(i).Scale(g.Storage, g.Numel, factor);
        if (_normValid[i])
        {
            _squaredNorms[i] *= factor * factor;
        }
    }

    /// <summary>The report line of the layer containing tensor <paramref name="i"/>, when telemetry is on.</summary>
    public LayerReport? LayerReportOf(int i) => Report?.Layers[Optimizer.LayerIndexInStep(Parameters[i])];

    /// <summary>The report line of <paramref name="layer"/>, when telemetry is on.</summary>
    public LayerReport? LayerReportOf(LayerGroup layer)
    {
        if (Report is null)
        {
            return null;
        }

        for (int l = 0; l < Layers.Count; l++)
        {
            if (ReferenceEquals(Layers[l], layer))
            {
                return Report.Layers[l];
            }
        }

        return null;
    }
}
