namespace Spamp.Functions;

/// <summary>
/// Element-wise binary cross-entropy on logits, in the stable form PyTorch uses: with
/// L = 1 + (pos_weight - 1) y (L = 1 without pos_weight),
/// loss = (1 - y) x + L (log(1 + exp(-|x|)) + max(-x, 0)), which never exponentiates a positive number.
/// Derivatives: dloss/dx = L sigmoid(x) - pos_weight y (= sigmoid(x) - y without pos_weight),
/// dloss/dy = -x + (pos_weight - 1) softplus(-x). Unreduced; the caller weights and reduces.
/// </summary>
internal sealed class BinaryCrossEntropyWithLogitsFunction : Node
{
    private Tensor? _x;
    private Tensor? _y;
    private Tensor? _posWeight;

    public override string Name => "binary_cross_entropy_with_logits";

    public static Variable Apply(Variable input, Variable target, Tensor? posWeight)
    {
        Tensor x = input.Data, y = target.Data;
        using Tensor softplusNeg = SoftplusOfNegative(x);
        using Tensor oneMinusY = 1.0 - y;
        using Tensor linear = oneMinusY * x;
        Tensor loss;
        if (posWeight is null)
        {
            loss = linear + softplusNeg;
        }
        else
        {
            using Tensor scale = LogWeight(y, posWeight);
            using Tensor weighted = scale * softplusNeg;
            loss = linear + weighted;
        }

        var node = new BinaryCrossEntropyWithLogitsFunction();
        if (Autograd.IsGradEnabled && (input.RequiresGrad || target.RequiresGrad))
        {
            node._x = node.Save(x);
            node._y = node.Save(y);
            node._posWeight = posWeight is null ? null : node.Save(posWeight);
        }

        return node.Record(loss, input, target);
    }

    /// <summary>log(1 + exp(-x)) = log(1 + exp(-|x|)) + max(-x, 0), finite for every x.</summary>
    private static Tensor SoftplusOfNegative(Tensor x)
    {
        using Tensor magnitude = x.Abs();
        using Tensor negMagnitude = -magnitude;
        using Tensor e = negMagnitude.Exp();
        using Tensor onePlus = e + 1.0;
        using Tensor log = onePlus.Log();
        using Tensor negX = -x;
        using Tensor relu = negX.Relu();
        return log + relu;
    }

    /// <summary>L = 1 + (pos_weight - 1) y.</summary>
    private static Tensor LogWeight(Tensor y, Tensor posWeight)
    {
        using Tensor pwMinusOne = posWeight - 1.0;
        using Tensor product = pwMinusOne * y;
        return product + 1.0;
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        Tensor x = _x!, y = _y!;
        Tensor? dx = null, dy = null;
        if (NeedsGrad(0))
        {
            using Tensor sigmoid = x.Sigmoid();
            Tensor local;
            if (_posWeight is null)
            {
                local = sigmoid - y;
            }
            else
            {
                using Tensor scale = LogWeight(y, _posWeight);
                using Tensor scaled = scale * sigmoid;
                using Tensor pwY = _posWeight * y;
                local = scaled - pwY;
            }

            dx = local * gradOutput;
            local.Dispose();
        }

        if (NeedsGrad(1))
        {
            using Tensor negX = -x;
            Tensor local;
            if (_posWeight is null)
            {
                local = negX.Alias();
            }
            else
            {
                using Tensor softplusNeg = SoftplusOfNegative(x);
                using Tensor pwMinusOne = _posWeight - 1.0;
                using Tensor term = pwMinusOne * softplusNeg;
                local = negX + term;
            }

            dy = local * gradOutput;
            local.Dispose();
        }

        return [dx, dy];
    }
}
