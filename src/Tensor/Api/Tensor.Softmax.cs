namespace Spamp;

public sealed partial class Tensor
{
    /// <summary>Softmax along <paramref name="dim"/>: exp(x - max) / sum(exp(x - max)).</summary>
    public Tensor Softmax(int dim) => RunSoftmax(dim, log: false, "softmax");

    /// <summary>Log-softmax along <paramref name="dim"/>: x - max - log(sum(exp(x - max))), without forming the softmax.</summary>
    public Tensor LogSoftmax(int dim) => RunSoftmax(dim, log: true, "log_softmax");

    /// <summary>
    /// The gradient of <see cref="Softmax"/> (or <see cref="LogSoftmax"/> when <paramref name="log"/>)
    /// along <paramref name="dim"/>, from its output and the gradient of the loss with respect to it.
    /// </summary>
    public static Tensor SoftmaxBackward(Tensor output, Tensor gradOutput, int dim, bool log)
    {
        CheckSameDevice("softmax_backward", output, gradOutput);
        int axis = output.Shape.NormalizeDim(dim, "softmax_backward");
        var (outer, size, inner) = output.SplitAround(axis);
        DType compute = ComputeType(output.DType);
        using Tensor y = output.ContiguousAs(compute);
        using Tensor dy = gradOutput.ContiguousAs(compute);
        Tensor dx = Empty(output.Shape, compute, output.Device);
        output.Backend.SoftmaxBackward(y.Storage, dy.Storage, outer, size, inner, log, dx.Storage);
        return dx.CastAndDispose(gradOutput.DType);
    }

    private Tensor RunSoftmax(int dim, bool log, string name)
    {
        if (!DType.IsFloatingPoint())
        {
            throw new DTypeMismatchException($"{name}: dtype {DType.Name()} of the tensor of shape {Shape} is not floating point");
        }

        int axis = Shape.NormalizeDim(dim, name);
        var (outer, size, inner) = SplitAround(axis);
        DType compute = ComputeType(DType);
        using Tensor x = ContiguousAs(compute);
        Tensor y = Empty(Shape, compute, Device);
        Backend.Softmax(x.Storage, outer, size, inner, log, y.Storage);
        return y.CastAndDispose(DType);
    }

    /// <summary>The contiguous tensor seen as [outer, size, inner] around <paramref name="axis"/>.</summary>
    internal (int Outer, int Size, int Inner) SplitAround(int axis)
    {
        if (Rank == 0)
        {
            return (1, 1, 1);
        }

        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++)
        {
            outer *= Shape[i];
        }

        for (int i = axis + 1; i < Rank; i++)
        {
            inner *= Shape[i];
        }

        return (outer, Shape[axis], inner);
    }
}
