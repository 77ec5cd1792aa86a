namespace Spamp.Functions;

/// <summary>
/// C = A @ B (torch.matmul rules). dA = dC @ B^T and dB = A^T @ dC on the last two dimensions; a
/// 1-D operand is treated as a matrix with a size-1 dimension that is removed again, and batch
/// dimensions that were broadcast are summed by the engine.
/// </summary>
internal sealed class MatMulFunction : Node
{
    private Tensor? _a;
    private Tensor? _b;

    public override string Name => "matmul";

    public static Variable Apply(Variable a, Variable b)
    {
        Tensor c = Tensor.MatMul(a.Data, b.Data);
        var node = new MatMulFunction();
        if (Autograd.IsGradEnabled && (a.RequiresGrad || b.RequiresGrad))
        {
            node._a = node.Save(a.Data);
            node._b = node.Save(b.Data);
        }

        return node.Record(c, a, b);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        Tensor a = _a!, b = _b!;
        // Rebuild the matrix form of the gradient: a 1-D lhs lost the m dimension (before n, or
        // last when rhs is 1-D too); a 1-D rhs lost the trailing n dimension.
        using Tensor a2 = a.Rank == 1 ? a.Unsqueeze(0) : a.Alias();
        using Tensor b2 = b.Rank == 1 ? b.Unsqueeze(1) : b.Alias();
        using Tensor g1 = a.Rank == 1 ? gradOutput.Unsqueeze(gradOutput.Rank - (b.Rank == 1 ? 0 : 1)) : gradOutput.Alias();
        using Tensor g = b.Rank == 1 ? g1.Unsqueeze(g1.Rank) : g1.Alias();

        Tensor? gradA = null, gradB = null;
        if (NeedsGrad(0))
        {
            using Tensor bT = b2.Transpose(-1, -2);
            using Tensor full = Tensor.MatMul(g, bT);
            gradA = a.Rank == 1 ? full.Squeeze(-2) : full.Alias();
        }

        if (NeedsGrad(1))
        {
            using Tensor aT = a2.Transpose(-1, -2);
            using Tensor full = Tensor.MatMul(aT, g);
            gradB = b.Rank == 1 ? full.Squeeze(-1) : full.Alias();
        }

        // Broadcast batch dimensions are summed back to each input's shape by the engine.
        return [gradA, gradB];
    }
}
