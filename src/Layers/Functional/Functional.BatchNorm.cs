using Spamp.Functions;

namespace Spamp.Layers;

public static partial class Functional
{
    /// <summary>
    /// Batch normalisation (torch.nn.functional.batch_norm) of [N, C, *] per channel. When
    /// <paramref name="training"/>, the batch's mean and biased variance normalise and the running
    /// statistics (when given) are updated in place with <paramref name="momentum"/> (unbiased variance);
    /// otherwise the running statistics normalise. <paramref name="weight"/> and <paramref name="bias"/>
    /// are [C] or null. One fused kernel forward and one backward.
    /// </summary>
    public static Variable BatchNorm(Variable input, Tensor? runningMean, Tensor? runningVar, Variable? weight = null, Variable? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        return BatchNormFunction.Apply(input, runningMean, runningVar, weight, bias, training, momentum, eps);
    }
}
