namespace Spamp.Functions;

/// <summary>
/// Maximum (or minimum) over one dimension with the index where it was found, as torch.max(dim).
/// Unlike <see cref="AmaxFunction"/>, the whole gradient goes to the returned index: it is
/// scattered into zeros of the input's shape at those indices.
/// </summary>
internal sealed class MaxDimFunction : Node
{
    private Tensor? _indices;
    private Shape _inputShape = Shape.Scalar;
    private int _dim;
    private bool _keepDim;
    private bool _max;

    public override string Name => _max ? "max" : "min";

    public static (Variable Values, Tensor Indices) Apply(Variable x, int dim, bool keepDim, bool max)
    {
        var (values, indices) = max ? x.Data.Max(dim, keepDim) : x.Data.Min(dim, keepDim);
        var node = new MaxDimFunction { _inputShape = x.Shape, _keepDim = keepDim, _max = max };
        if (Autograd.IsGradEnabled && x.RequiresGrad)
        {
            node._dim = x.Rank == 0 ? 0 : x.Shape.NormalizeDim(dim, node.Name);
            node._indices = node.Save(indices);
        }

        return (node.Record(values, x), indices);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        if (_inputShape.Rank == 0)
        {
            // A scalar is its own maximum.
            return [gradOutput.Clone()];
        }

        using Tensor index = _keepDim ? _indices!.Alias() : _indices!.Unsqueeze(_dim);
        using Tensor g = _keepDim ? gradOutput.Alias() : gradOutput.Unsqueeze(_dim);
        Tensor grad = Tensor.Zeros(_inputShape, gradOutput.DType, gradOutput.Device);
        grad.ScatterAddInPlace(_dim, index, g);
        return [grad];
    }
}
