namespace Spamp.Optim;

/// <summary>
/// Muon (MomentUm Orthogonalized by Newton-Schulz; K. Jordan et al.) for hidden weight matrices,
/// and AdamW for every other parameter. For a Muon parameter P (conv filters viewed as
/// (out, in*kh*kw)) with gradient g, momentum buffer B, scheduled lr and weight decay wd:
/// <code>
/// B = beta*B + (1-beta)*g                        momentum_buffer, an EMA (the scale is removed by NS)
/// U = nesterov ? (1-beta)*g + beta*B : B
/// O = NewtonSchulz5(U viewed as (shape[0], -1))  an approximate orthogonalisation, UV^T of U's SVD
/// P = P * (1 - lr*wd)                            decoupled decay with the unadjusted lr
/// P = P - lr * scale(shape) * O                  Keller: sqrt(max(1, rows/cols)); see <see cref="MuonShapeScaling"/>
/// </code>
/// Which parameters use Muon is decided by <see cref="UsesMuon"/> (default <see cref="IsHiddenMatrix"/>);
/// the rest take one step of <see cref="Auxiliary"/> (AdamW) with their own group's lr and weight decay.
/// Newton-Schulz runs in float32 through <see cref="Tensor.MatMul(Tensor, Tensor)"/> (float64 parameters stay float64).
/// </summary>
public sealed class MuonRule : IUpdateRule
{
    /// <summary>Keller's quintic coefficients (a, b, c): sigma -> a*sigma + b*sigma^3 + c*sigma^5.</summary>
    public const double A = 3.4445, B = -4.7750, C = 2.0315;

    /// <summary>Creates the rule; throws <see cref="ArgumentOutOfRangeException"/> for a momentum outside [0, 1), fewer than 1 Newton-Schulz step or a negative eps.</summary>
    public MuonRule(double momentum = 0.95, bool nesterov = true, int nsSteps = 5, MuonShapeScaling scaling = MuonShapeScaling.Keller,
        MuonNormalization normalization = MuonNormalization.Keller, double eps = 1e-7, Func<Parameter, bool>? usesMuon = null,
        AdamRule? auxiliary = null)
    {
        RuleValidation.Beta("Muon", momentum, 0, nameof(momentum));
        RuleValidation.Epsilon("Muon", eps, nameof(eps));
        if (nsSteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(nsSteps), nsSteps, $"Muon: invalid number of Newton-Schulz steps: {nsSteps} (expected >= 1)");
        }

        Momentum = momentum;
        Nesterov = nesterov;
        NsSteps = nsSteps;
        Scaling = scaling;
        Normalization = normalization;
        Eps = eps;
        UsesMuon = usesMuon ?? IsHiddenMatrix;
        Auxiliary = auxiliary ?? new AdamRule(0.9, 0.95, 1e-10, decoupledWeightDecay: true);
    }

    /// <summary>The momentum buffer's name.</summary>
    public const string MomentumBuffer = "momentum_buffer";

    /// <inheritdoc/>
    public string Name => "muon";

    /// <summary>EMA factor of the momentum buffer.</summary>
    public double Momentum { get; }

    /// <summary>Orthogonalise the Nesterov look-ahead (1-beta)*g + beta*B instead of B.</summary>
    public bool Nesterov { get; }

    /// <summary>Newton-Schulz iterations.</summary>
    public int NsSteps { get; }

    /// <summary>How the orthogonalised update is scaled by the matrix's shape.</summary>
    public MuonShapeScaling Scaling { get; }

    /// <summary>How the matrix is normalised before Newton-Schulz.</summary>
    public MuonNormalization Normalization { get; }

    /// <summary>The normalisation's epsilon.</summary>
    public double Eps { get; }

    /// <summary>Decides which parameters Muon updates; the others go to <see cref="Auxiliary"/>.</summary>
    public Func<Parameter, bool> UsesMuon { get; }

    /// <summary>The AdamW rule for the parameters Muon does not handle (Keller's defaults: betas (0.9, 0.95), eps 1e-10).</summary>
    public AdamRule Auxiliary { get; }

    /// <summary>
    /// The default selection, after Keller's advice: parameters with at least 2 dimensions, except
    /// embeddings and output heads (a name or module path containing "embed", or a module whose
    /// last path segment is "head", ends in "_head", or is "classifier").
    /// </summary>
    public static bool IsHiddenMatrix(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (parameter.Shape.Rank < 2)
        {
            return false;
        }

        string full = parameter.FullName;
        if (full.Contains("embed", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string layer = parameter.Layer ?? "";
        string last = layer[(layer.LastIndexOf('.') + 1)..];
        return !(last.Equals("head", StringComparison.OrdinalIgnoreCase) || last.EndsWith("_head", StringComparison.OrdinalIgnoreCase)
            || last.Equals("classifier", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The factor on the orthogonalised update for a parameter of shape <paramref name="shape"/> (ALGORITHMS.md 9b step 6).</summary>
    public static double ShapeScale(Shape shape, MuonShapeScaling scaling)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Rank < 2)
        {
            throw new ShapeMismatchException($"Muon: shape scaling needs a parameter with at least 2 dimensions, got {shape}");
        }

        return scaling switch
        {
            // Keller uses the ORIGINAL gradient's last two sizes (kh/kw for a 4-D conv filter).
            MuonShapeScaling.Keller => Math.Sqrt(Math.Max(1.0, shape[-2] / (double)shape[-1])),
            MuonShapeScaling.PyTorchOriginal => Math.Sqrt(Math.Max(1.0, shape[0] / (double)shape[1])),
            MuonShapeScaling.MatchRmsAdamW => 0.2 * Math.Sqrt(Math.Max(shape[0], shape[1])),
            _ => throw new ArgumentOutOfRangeException(nameof(scaling), scaling, "Muon: unknown shape scaling"),
        };
    }

    /// <summary>
    /// Newton-Schulz 5: an approximate UV^T of <paramref name="matrix"/>'s SVD (a 2-D tensor, float32
    /// or float64, computed in its own type). Works on the wide orientation (transposes when rows &gt;
    /// cols), normalises by the Frobenius norm, then repeats <paramref name="steps"/> times
    /// <c>A = X X^T; B = b*A + c*A*A; X = a*X + B*X</c>. Each singular value goes through
    /// <c>a*s + b*s^3 + c*s^5</c>, landing roughly in [0.68, 1.14]. Returns a new contiguous tensor.
    /// </summary>
    public static Tensor NewtonSchulz(Tensor matrix, int steps = 5, MuonNormalization normalization = MuonNormalization.Keller, double eps = 1e-7)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (matrix.Rank != 2)
        {
            throw new ShapeMismatchException($"Muon: Newton-Schulz needs a 2-D matrix, got shape {matrix.Shape}");
        }

        Tensor result;
        using (TensorScope.Begin())
        {
            Tensor x = matrix.Contiguous();
            double norm = Math.Sqrt(Backends.OptimizerKernels.For(x.Device).SumOfSquares(x.Storage, x.Numel));
            double divisor = normalization == MuonNormalization.Keller ? norm + eps : Math.Max(norm, eps);
            bool transposed = matrix.Shape[0] > matrix.Shape[1];
            x = (transposed ? x.T : x) / divisor;
            for (int k = 0; k < steps; k++)
            {
                Tensor a = x.MatMul(x.T);
                Tensor b = (B * a) + (C * a.MatMul(a));
                x = (A * x) + b.MatMul(x);
            }

            result = TensorScope.Detach((transposed ? x.T : x).Contiguous());
        }

        return result;
    }

    /// <inheritdoc/>
    public void Update(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (int i = 0; i < context.Parameters.Count; i++)
        {
            ParameterState state = context.Parameters[i];
            double lr = context.LearningRate(state.Group), wd = state.Group.WeightDecay;
            if (UsesMuon(state.Parameter))
            {
                UpdateMatrix(context, i, lr, wd);
            }
            else
            {
                Auxiliary.UpdateParameter(context, i, lr, wd);
            }
        }
    }

    private void UpdateMatrix(StepContext context, int i, double lr, double weightDecay)
    {
        ParameterState state = context.Parameters[i];
        Tensor p = state.Parameter.Data, g = context.Gradient(i);
        if (p.Rank < 2)
        {
            throw new ShapeMismatchException($"Muon: parameter '{state.Parameter.FullName}' has shape {p.Shape}; Muon needs at least 2 dimensions (route it to the AdamW part with usesMuon)");
        }

        var kernels = context.Kernels(i);
        Tensor buffer = state.Buffer(MomentumBuffer);
        kernels.Scale(buffer.Storage, buffer.Numel, Momentum);
        kernels.Axpy(buffer.Storage, g.Storage, g.Numel, 1 - Momentum);
        using Tensor update = Nesterov ? g.Clone() : buffer.Alias();
        if (Nesterov)
        {
            kernels.Scale(update.Storage, update.Numel, 1 - Momentum);
            kernels.Axpy(update.Storage, buffer.Storage, buffer.Numel, Momentum);
        }

        using Tensor matrix = update.Reshape(p.Shape[0], -1);
        using Tensor orthogonal = NewtonSchulz(matrix, NsSteps, Normalization, Eps);
        kernels.Scale(p.Storage, p.Numel, 1 - (lr * weightDecay));
        kernels.Axpy(p.Storage, orthogonal.Storage, p.Numel, -lr * ShapeScale(p.Shape, Scaling));
        state.Step++;
    }
}

/// <summary>How Muon scales the orthogonalised update by the parameter's shape.</summary>
public enum MuonShapeScaling
{
    /// <summary>Keller: sqrt(max(1, rows/cols)) of the gradient's last two sizes.</summary>
    Keller,
    /// <summary>PyTorch adjust_lr_fn "original": sqrt(max(1, A/B)) with (A, B) = shape[:2].</summary>
    PyTorchOriginal,
    /// <summary>PyTorch adjust_lr_fn "match_rms_adamw": 0.2*sqrt(max(A, B)), so AdamW's lr and weight decay carry over.</summary>
    MatchRmsAdamW,
}

/// <summary>How Muon normalises the matrix before Newton-Schulz (they differ only when ||X|| is below about 1e-6).</summary>
public enum MuonNormalization
{
    /// <summary>X / (||X||_F + eps).</summary>
    Keller,
    /// <summary>X / max(||X||_F, eps).</summary>
    PyTorch,
}
