namespace Spamp.Functions;

/// <summary>
/// Concatenation along a dimension (also stack, after unsqueezing). Each input occupies one
/// contiguous range of the output along that dimension, so its gradient is that range of the
/// output gradient (converted back to its dtype when cat promoted it).
/// </summary>
internal sealed class CatFunction : Node
{
    private int[] _sizes = [];
    private DType[] _types = [];
    private int _dim;

    public override string Name => "cat";

    public static Variable Apply(IReadOnlyList<Variable> xs, int dim)
    {
        ArgumentNullException.ThrowIfNull(xs);
        var data = new Tensor[xs.Count];
        var inputs = new Variable?[xs.Count];
        for (int i = 0; i < xs.Count; i++)
        {
            data[i] = xs[i].Data;
            inputs[i] = xs[i];
        }

        Tensor y = Tensor.Cat(data, dim); // validates shapes, dtypes and dim
        int axis = y.Shape.NormalizeDim(dim, "cat");
        var node = new CatFunction { _dim = axis, _sizes = new int[xs.Count], _types = new DType[xs.Count] };
        for (int i = 0; i < xs.Count; i++)
        {
            node._sizes[i] = xs[i].Shape[axis];
            node._types[i] = xs[i].DType;
        }

        return node.Record(y, inputs);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        var grads = new Tensor?[_sizes.Length];
        int offset = 0;
        for (int i = 0; i < _sizes.Length; i++)
        {
            if (NeedsGrad(i))
            {
                using Tensor part = gradOutput.Narrow(_dim, offset, _sizes[i]);
                grads[i] = part.To(_types[i]);
            }

            offset += _sizes[i];
        }

        return grads;
    }
}
