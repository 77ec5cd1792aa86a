namespace Spamp;

public sealed partial class Tensor
{
    /// <summary>
    /// Layer norm over the last <paramref name="cols"/> elements of each row of <paramref name="x"/>
    /// (RMS norm when <paramref name="rms"/>), with optional [cols] affine tensors. Returns the output
    /// (x's shape and dtype) and the per-row statistics the backward needs, in the compute dtype
    /// (float32 for half types): mean (null for RMS) and 1/sqrt(var + eps).
    /// </summary>
    internal static (Tensor Output, Tensor? Mean, Tensor Rstd) LayerNorm(Tensor x, int cols, Tensor? weight, Tensor? bias, double eps, bool rms)
    {
        string op = rms ? "rms_norm" : "layer_norm";
        CheckNormInput(op, x);
        if (cols <= 0 || x.Numel % cols != 0)
        {
            throw new ShapeMismatchException($"{op}: input {x.Shape} cannot be split into rows of {cols} elements", nameof(cols));
        }

        CheckAffine(op, "weight", weight, cols, x);
        CheckAffine(op, "bias", bias, cols, x);
        int rows = x.Numel / cols;
        DType compute = ComputeType(x.DType);
        using Tensor xc = x.ContiguousAs(compute);
        using Tensor? w = weight?.ContiguousAs(compute);
        using Tensor? b = bias?.ContiguousAs(compute);
        Tensor y = Empty(x.Shape, compute, x.Device);
        Tensor? mean = rms ? null : Empty([rows], compute, x.Device);
        Tensor rstd = Empty([rows], compute, x.Device);
        x.Backend.LayerNorm(xc.Storage, rows, cols, w?.Storage, b?.Storage, eps, rms, y.Storage, mean?.Storage, rstd.Storage);
        return (y.CastAndDispose(x.DType), mean, rstd);
    }

    /// <summary>
    /// Gradients of <see cref="LayerNorm"/> with respect to the input, weight and bias (each computed
    /// only when its flag is set; null otherwise), from the saved statistics.
    /// </summary>
    internal static (Tensor? Input, Tensor? Weight, Tensor? Bias) LayerNormBackward(Tensor x, Tensor gradOutput, Tensor? mean, Tensor rstd,
        Tensor? weight, int cols, bool rms, bool needInput, bool needWeight, bool needBias)
    {
        DType compute = ComputeType(x.DType);
        int rows = x.Numel / cols;
        using Tensor xc = x.ContiguousAs(compute);
        using Tensor dy = gradOutput.ContiguousAs(compute);
        using Tensor? w = weight?.ContiguousAs(compute);
        Tensor? dx = needInput ? Empty(x.Shape, compute, x.Device) : null;
        Tensor? dw = needWeight ? Empty([cols], compute, x.Device) : null;
        Tensor? db = needBias ? Empty([cols], compute, x.Device) : null;
        x.Backend.LayerNormBackward(xc.Storage, dy.Storage, mean?.Storage, rstd.Storage, w?.Storage, rows, cols, rms,
            dx?.Storage, dw?.Storage, db?.Storage);
        return (dx?.CastAndDispose(x.DType), dw?.CastAndDispose(weight!.DType), db?.CastAndDispose(weight?.DType ?? x.DType));
    }

    /// <summary>
    /// Group norm of an [N, C, *] input over <paramref name="groups"/> channel groups, with optional
    /// per-channel affine tensors. Returns the output and the per-(sample, group) mean and rstd.
    /// </summary>
    internal static (Tensor Output, Tensor Mean, Tensor Rstd) GroupNorm(Tensor x, int groups, Tensor? weight, Tensor? bias, double eps)
    {
        CheckNormInput("group_norm", x);
        if (x.Rank < 2)
        {
            throw new ShapeMismatchException($"group_norm: input {x.Shape} must have at least 2 dimensions [N, C, *]", nameof(x));
        }

        int channels = x.Shape[1];
        if (groups <= 0 || channels % groups != 0)
        {
            throw new ArgumentException($"group_norm: {channels} channels of input {x.Shape} cannot be split into {groups} groups", nameof(groups));
        }

        CheckAffine("group_norm", "weight", weight, channels, x);
        CheckAffine("group_norm", "bias", bias, channels, x);
        int batch = x.Shape[0], spatial = channels == 0 || batch == 0 ? 0 : x.Numel / batch / channels;
        DType compute = ComputeType(x.DType);
        using Tensor xc = x.ContiguousAs(compute);
        using Tensor? w = weight?.ContiguousAs(compute);
        using Tensor? b = bias?.ContiguousAs(compute);
        Tensor y = Empty(x.Shape, compute, x.Device);
        Tensor mean = Empty([batch, groups], compute, x.Device);
        Tensor rstd = Empty([batch, groups], compute, x.Device);
        if (x.Numel > 0)
        {
            x.Backend.GroupNorm(xc.Storage, batch, channels, spatial, groups, w?.Storage, b?.Storage, eps, y.Storage, mean.Storage, rstd.Storage);
        }

        return (y.CastAndDispose(x.DType), mean, rstd);
    }

    /// <summary>Gradients of <see cref="GroupNorm"/> (each only when its flag is set).</summary>
    internal static (Tensor? Input, Tensor? Weight, Tensor? Bias) GroupNormBackward(Tensor x, Tensor gradOutput, Tensor mean, Tensor rstd,
        Tensor? weight, int groups, bool needInput, bool needWeight, bool needBias)
    {
        DType compute = ComputeType(x.DType);
        int batch = x.Shape[0], channels = x.Shape[1];
        int spatial = channels == 0 || batch == 0 ? 0 : x.Numel / batch / channels;
        using Tensor xc = x.ContiguousAs(compute);
        using Tensor dy = gradOutput.ContiguousAs(compute);
        using Tensor? w = weight?.ContiguousAs(compute);
        Tensor? dx = needInput ? Empty(x.Shape, compute, x.Device) : null;
        Tensor? dw = needWeight ? Empty([channels], compute, x.Device) : null;
        Tensor? db = needBias ? Empty([channels], compute, x.Device) : null;
        x.Backend.GroupNormBackward(xc.Storage, dy.Storage, mean.Storage, rstd.Storage, w?.Storage, batch, channels, spatial, groups,
            dx?.Storage, dw?.Storage, db?.Storage);
        return (dx?.CastAndDispose(x.DType), dw?.CastAndDispose(weight!.DType), db?.CastAndDispose(weight?.DType ?? x.DType));
    }

    private static void CheckNormInput(string op, Tensor x)
    {
        if (!x.DType.IsFloatingPoint())
        {
            throw new DTypeMismatchException($"{op}: input of shape {x.Shape} has dtype {x.DType.Name()}; expected a floating-point type", nameof(x));
        }
    }

    private static void CheckAffine(string op, string name, Tensor? affine, int size, Tensor x)
    {
        if (affine is null)
        {
            return;
        }

        CheckSameDevice(op, x, affine);
        if (affine.Numel != size)
        {
            throw new ShapeMismatchException($"{op}: {name} {affine.Shape} has {affine.Numel} elements, expected {size} for input {x.Shape}", name);
        }
    }
}
