namespace Spamp.Functions;

/// <summary>
/// Maximum (or minimum) over dimensions, as torch.amax. The derivative is 1 at the element that
/// attains the extreme and 0 elsewhere; when several elements tie, each gets 1/count of the
/// gradient, so the total is conserved.
/// </summary>
internal sealed class AmaxFunction : Node
{
    private Tensor? _x;
    private Tensor? _y;
    private int[] _dims = [];
    private bool _keepDim;
    private bool _max;

    public override string Name => _max ? "amax" : "amin";

    public static Variable Apply(Variable x, int[]? dims, bool keepDim, bool max)
    {
        Tensor y = max ? x.Data.Amax(dims, keepDim) : x.Data.Amin(dims, keepDim);
        var node = new AmaxFunction { _keepDim = keepDim, _max = max };
        if (Autograd.IsGradEnabled && x.RequiresGrad)
        {
            node._dims = x.Data.NormalizeDims(dims, node.Name);
            node._x = node.Save(x.Data);
            node._y = node.Save(y);
        }

        return node.Record(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        using Tensor y = _keepDim ? _y!.Alias() : SumFunction.UnsqueezeAll(_y!, _dims);
        using Tensor g = _keepDim ? gradOutput.Alias() : SumFunction.UnsqueezeAll(gradOutput, _dims);
        return [ShareAmongTies(_x!, y, g, _dims)];
    }

    /// <summary>
    /// g (keep-dim shape) spread over the elements of x equal to the extreme (keep-dim shape),
    /// divided by how many there are in each reduced slice. Shared with the infinity norm.
    /// </summary>
    internal static Tensor ShareAmongTies(Tensor x, Tensor extreme, Tensor g, int[] dims)
    {
        using Tensor isExtreme = Tensor.Eq(x, extreme);
        using Tensor mask = isExtreme.To(g.DType);
        using Tensor count = mask.Sum(dims, keepDim: true);
        using Tensor share = g / count;
        return mask * share;
    }
}
