using Spamp.Memory;

namespace Spamp.Backends;

/// <summary>
/// The base update rules, fused: each kernel reads the parameter, its gradient and its optimizer
/// state once and writes them back once. Scalar coefficients (bias corrections, decay factors) are
/// computed in double on the host by the coefficient records below; the per-element arithmetic
/// runs in the storage type (float32 math for float32 parameters, as PyTorch does).
/// </summary>
public abstract partial class OptimizerKernels
{
    /// <summary>
    /// One Adam or AdamW step over <paramref name="count"/> elements (PyTorch's single-tensor Adam):
    /// <code>
    /// p *= decay                                   (AdamW: decay = 1 - lr*wd; Adam: 1)
    /// g  = maximize ? -grad : grad;  g += l2 * p   (Adam's coupled L2; 0 for AdamW)
    /// m  = beta1*m + (1-beta1)*g
    /// v  = beta2*v + (1-beta2)*g*g
    /// vmax = max(vmax, v)                          (amsgrad only: the max of the raw v)
    /// p -= stepSize * m / (sqrt(v or vmax)/sqrt(bc2) + eps)
    /// </code>
    /// <paramref name="maxExpAvgSq"/> is null unless amsgrad is on. The gradient is not modified.
    /// </summary>
    public abstract void AdamStep(Storage param, Storage grad, Storage expAvg, Storage expAvgSq, Storage? maxExpAvgSq, int count, in AdamCoefficients c);

    /// <summary>
    /// The Adam direction written into the gradient buffer (optax's <c>scale_by_adam</c>):
    /// <c>m = beta1*m + (1-beta1)*g; v = beta2*v + (1-beta2)*g*g; g = (m/bc1) / (sqrt(v)/sqrt(bc2) + eps)</c>.
    /// Only <see cref="AdamCoefficients.Beta1"/>, <see cref="AdamCoefficients.Beta2"/>,
    /// <see cref="AdamCoefficients.Eps"/>, <see cref="AdamCoefficients.BiasCorrection1"/> and
    /// <see cref="AdamCoefficients.BiasCorrection2Sqrt"/> are used.
    /// </summary>
    public abstract void AdamDirection(Storage grad, Storage expAvg, Storage expAvgSq, int count, in AdamCoefficients c);

    /// <summary>
    /// One SGD step (PyTorch semantics):
    /// <code>
    /// g = maximize ? -grad : grad;  g += wd * p
    /// if momentum != 0:  buf = first ? g : momentum*buf + (1-dampening)*g;  d = nesterov ? g + momentum*buf : buf
    /// else               d = g
    /// p -= lr * d
    /// </code>
    /// <paramref name="momentumBuffer"/> is null when momentum is 0. The gradient is not modified.
    /// </summary>
    public abstract void SgdStep(Storage param, Storage grad, Storage? momentumBuffer, int count, in SgdCoefficients c);

    /// <summary>
    /// The momentum direction written into the gradient buffer (optax's <c>trace</c>, PyTorch's SGD
    /// buffer): <c>buf = first ? g : momentum*buf + (1-dampening)*g; g = nesterov ? g + momentum*buf : buf</c>.
    /// Only the momentum, dampening, nesterov and first-step fields of <paramref name="c"/> are used.
    /// </summary>
    public abstract void MomentumDirection(Storage grad, Storage momentumBuffer, int count, in SgdCoefficients c);

    /// <summary>
    /// One Lion step (Chen et al. 2023):
    /// <code>
    /// p *= decay                         (1 - lr*wd)
    /// c  = beta1*m + (1-beta1)*g
    /// p -= lr * sign(c)                  (sign(0) = 0)
    /// m  = beta2*m + (1-beta2)*g
    /// </code>
    /// </summary>
    public abstract void LionStep(Storage param, Storage grad, Storage expAvg, int count, in LionCoefficients c);
}

/// <summary>The scalars of one Adam/AdamW step, computed in double on the host.</summary>
/// <param name="Beta1">First-moment decay.</param>
/// <param name="Beta2">Second-moment decay.</param>
/// <param name="Eps">Added to the bias-corrected root of the second moment.</param>
/// <param name="StepSize">lr / bc1.</param>
/// <param name="BiasCorrection1">bc1 = 1 - beta1^t.</param>
/// <param name="BiasCorrection2Sqrt">sqrt(bc2) = sqrt(1 - beta2^t).</param>
/// <param name="Decay">The factor p is multiplied by before the step (AdamW: 1 - lr*wd; Adam: 1).</param>
/// <param name="L2">The coupled L2 coefficient added to the gradient (Adam: wd; AdamW: 0).</param>
/// <param name="Maximize">Ascend instead of descend (negate the gradient).</param>
/// <param name="GradientScale">A factor on the gradient applied as it is read (a clip or projection folded into the update's pass).</param>
public readonly record struct AdamCoefficients(double Beta1, double Beta2, double Eps, double StepSize,
    double BiasCorrection1, double BiasCorrection2Sqrt, double Decay, double L2, bool Maximize, double GradientScale = 1)
{
    /// <summary>The coefficients of step <paramref name="step"/> (1-based) with the given hyperparameters.</summary>
    public static AdamCoefficients ForStep(long step, double lr, double beta1, double beta2, double eps,
        double weightDecay, bool decoupled, bool maximize)
    {
        double bc1 = 1 - Math.Pow(beta1, step);
        double bc2 = 1 - Math.Pow(beta2, step);
        return new AdamCoefficients(beta1, beta2, eps, lr / bc1, bc1, Math.Sqrt(bc2),
            decoupled ? 1 - (lr * weightDecay) : 1, decoupled ? 0 : weightDecay, maximize);
    }
}

/// <summary>The scalars of one SGD step.</summary>
/// <param name="LearningRate">lr.</param>
/// <param name="Momentum">Momentum factor (0: plain SGD, no buffer).</param>
/// <param name="Dampening">Dampening of the gradient entering the buffer (not applied on the first step).</param>
/// <param name="WeightDecay">Coupled L2 coefficient.</param>
/// <param name="Nesterov">Use the Nesterov direction g + momentum*buf.</param>
/// <param name="Maximize">Ascend instead of descend.</param>
/// <param name="FirstStep">The buffer is fresh: it is set to g (undampened).</param>
public readonly record struct SgdCoefficients(double LearningRate, double Momentum, double Dampening, double WeightDecay,
    bool Nesterov, bool Maximize, bool FirstStep);

/// <summary>The scalars of one Lion step.</summary>
/// <param name="LearningRate">lr.</param>
/// <param name="Beta1">Interpolation factor of the update direction.</param>
/// <param name="Beta2">Decay of the momentum.</param>
/// <param name="Decay">The factor p is multiplied by before the step (1 - lr*wd).</param>
public readonly record struct LionCoefficients(double LearningRate, double Beta1, double Beta2, double Decay);
