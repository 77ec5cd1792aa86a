using Spamp.Functions;

namespace Spamp.Layers;

public static partial class Functional
{
    /// <summary>
    /// Layer normalisation (torch.nn.functional.layer_norm) over the trailing dimensions given by
    /// <paramref name="normalizedShape"/>: y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, with
    /// the biased variance. <paramref name="weight"/> and <paramref name="bias"/> have
    /// normalizedShape's shape or are null. Runs as one fused forward and one fused backward kernel.
    /// </summary>
    public static Variable LayerNorm(Variable input, int[] normalizedShape, Variable? weight = null, Variable? bias = null, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        int cols = TrailingNumel("layer_norm", input, normalizedShape);
        CheckAffineShape("layer_norm", "weight", weight, normalizedShape);
        CheckAffineShape("layer_norm", "bias", bias, normalizedShape);
        return LayerNormFunction.Apply(input, cols, weight, bias, eps, rms: false);
    }

    /// <summary>
    /// RMS normalisation (torch.nn.functional.rms_norm): y = x / sqrt(mean(x^2) + eps) * weight over the
    /// trailing <paramref name="normalizedShape"/> dimensions. A null <paramref name="eps"/> means
    /// the machine epsilon of the input's dtype (torch.finfo(dtype).eps), as PyTorch.
    /// </summary>
    public static Variable RmsNorm(Variable input, int[] normalizedShape, Variable? weight = null, double? eps = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        int cols = TrailingNumel("rms_norm", input, normalizedShape);
        CheckAffineShape("rms_norm", "weight", weight, normalizedShape);
        return LayerNormFunction.Apply(input, cols, weight, null, eps ?? MachineEpsilon(input.DType), rms: true);
    }

    /// <summary>
    /// Group normalisation (torch.nn.functional.group_norm) of an [N, C, *] input: channels split into
    /// <paramref name="numGroups"/> groups, each (sample, group) normalised over its elements, then a
    /// per-channel affine ([C] <paramref name="weight"/> and <paramref name="bias"/>, or null).
    /// </summary>
    public static Variable GroupNorm(Variable input, int numGroups, Variable? weight = null, Variable? bias = null, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        return GroupNormFunction.Apply(input, numGroups, weight, bias, eps);
    }

    /// <summary>torch.finfo(dtype).eps: the gap between 1 and the next representable number.</summary>
    internal static double MachineEpsilon(DType dtype) => dtype switch
    {
        DType.Float64 => double.BitIncrement(1.0) - 1.0,
        DType.Float16 => 0.0009765625, // 2^-10
        DType.BFloat16 => 0.0078125, // 2^-7
        _ => 1.1920928955078125e-07, // float32: 2^-23
    };

    private static int TrailingNumel(string op, Variable input, int[] normalizedShape)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        bool matches = normalizedShape.Length > 0 && input.Rank >= normalizedShape.Length;
        int cols = 1;
        for (int i = 0; matches && i < normalizedShape.Length; i++)
        {
            matches = input.Shape[input.Rank - normalizedShape.Length + i] == normalizedShape[i];
            cols *= normalizedShape[i];
        }

        if (!matches)
        {
            throw new ShapeMismatchException(
                $"{op}: input {input.Shape} does not end with normalized_shape {Shape.Format(normalizedShape)}", nameof(input));
        }

        return cols;
    }

    private static void CheckAffineShape(string op, string name, Variable? affine, int[] normalizedShape)
    {
        if (affine is not null && affine.Shape != new Shape(normalizedShape))
        {
            throw new ShapeMismatchException($"{op}: {name} has shape {affine.Shape}, expected normalized_shape {Shape.Format(normalizedShape)}", name);
        }
    }
}
