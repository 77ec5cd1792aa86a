namespace Spamp.Functions;

/// <summary>
/// Reorders dimensions (permute, transpose): output dimension i is input dimension order[i]. The
/// gradient is permuted back by the inverse order, inverse[order[i]] = i.
/// </summary>
internal sealed class PermuteFunction : Node
{
    private int[] _inverse = [];

    public override string Name => "permute";

    public static Variable Apply(Variable x, int[] dims)
    {
        Tensor y = x.Data.Permute(dims); // validates dims
        var inverse = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            inverse[x.Shape.NormalizeDim(dims[i], "permute", nameof(dims))] = i;
        }

        return new PermuteFunction { _inverse = inverse }.Record(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput) => [gradOutput.Permute(_inverse)];
}
