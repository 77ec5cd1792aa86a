namespace Spamp.Functions;

/// <summary>
/// Broadcasts x to a larger shape without copying: every input element is read by each output
/// element it was repeated into, so its gradient is the sum of their gradients. Sum over the new
/// leading dimensions and over every dimension where the input had size 1, then drop the leading ones.
/// </summary>
internal sealed class ExpandFunction : Node
{
    private Shape _inputShape = Shape.Scalar;

    public override string Name => "expand";

    public static Variable Apply(Variable x, int[] shape) =>
        new ExpandFunction { _inputShape = x.Shape }.Record(x.Data.Expand(shape), x);

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        int lead = gradOutput.Rank - _inputShape.Rank;
        var repeated = new List<int>();
        for (int d = 0; d < gradOutput.Rank; d++)
        {
            if (d < lead || (_inputShape[d - lead] == 1 && gradOutput.Shape[d] != 1))
            {
                repeated.Add(d);
            }
        }

        if (repeated.Count == 0)
        {
            return [gradOutput.Alias()];
        }

        using Tensor summed = gradOutput.Sum([.. repeated], keepDim: true);
        return [summed.Reshape(_inputShape.ToArray())];
    }
}
