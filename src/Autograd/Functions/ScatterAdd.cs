namespace Spamp.Functions;

/// <summary>
/// y = self.scatter_add(dim, index, source): a copy of self with source[i][j] added to
/// y[index[i][j]][j] (dim 0). d/dself = 1, so self's gradient is the output gradient; source[i][j]
/// went to exactly one place, so its gradient is read back from there: g.gather(dim, index).
/// Elements of a source larger than index were not used and get 0.
/// </summary>
internal sealed class ScatterAddFunction : Node
{
    private Tensor? _index;
    private Shape _sourceShape = Shape.Scalar;
    private int _dim;

    public override string Name => "scatter_add";

    public static Variable Apply(Variable self, int dim, Tensor index, Variable source)
    {
        Tensor y = Tensor.ScatterAdd(self.Data, dim, index, source.Data);
        var node = new ScatterAddFunction { _sourceShape = source.Shape, _dim = dim };
        if (Autograd.IsGradEnabled && source.RequiresGrad)
        {
            node._index = node.Save(index);
        }

        return node.Record(y, self, source);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        Tensor? gradSource = null;
        if (NeedsGrad(1))
        {
            Tensor gathered = gradOutput.Gather(_dim, _index!);
            if (gathered.Shape == _sourceShape)
            {
                gradSource = gathered;
            }
            else
            {
                using (gathered)
                {
                    gradSource = Tensor.Zeros(_sourceShape, gradOutput.DType, gradOutput.Device);
                    Tensor used = gradSource.Alias();
                    for (int d = 0; d < gathered.Rank; d++)
                    {
                        Tensor narrower = used.Narrow(d, 0, gathered.Shape[d]);
                        used.Dispose();
                        used = narrower;
                    }

                    using (used)
                    {
                        used.CopyFrom(gathered);
                    }
                }
            }
        }

        return [NeedsGrad(0) ? gradOutput.Alias() : null, gradSource];
    }
}
