using Spamp.Functions;

namespace Spamp.Layers;

public static partial class Functional
{
    /// <summary>
    /// Embedding lookup (torch.nn.functional.embedding): rows of <paramref name="weight"/>
    /// ([num_embeddings, dim]) at Int64 <paramref name="indices"/> of any shape. The gradient is
    /// index-added into the rows read; row <paramref name="paddingIdx"/> gets none. An index outside
    /// [0, num_embeddings) throws, naming the index and the range.
    /// </summary>
    public static Variable Embedding(Tensor indices, Variable weight, int? paddingIdx = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(weight);
        if (indices.DType is not (DType.Int64 or DType.Int32))
        {
            throw new DTypeMismatchException($"embedding: indices of shape {indices.Shape} have dtype {indices.DType.Name()}; expected int64", nameof(indices));
        }

        if (weight.Rank != 2)
        {
            throw new ShapeMismatchException($"embedding: weight {weight.Shape} must be [num_embeddings, embedding_dim]", nameof(weight));
        }

        int rows = weight.Shape[0];
        using Tensor index = indices.To(DType.Int64);
        if (index.Numel > 0)
        {
            using Tensor lowest = index.Amin();
            using Tensor highest = index.Amax();
            long min = lowest.Item<long>(), max = highest.Item<long>();
            if (min < 0 || max >= rows)
            {
                long bad = min < 0 ? min : max;
                throw new ArgumentOutOfRangeException(nameof(indices), bad,
                    $"embedding: index {bad} is out of range: indices must be in [0, {rows}) for a table of {rows} embeddings (indices shape {indices.Shape})");
            }
        }

        return EmbeddingFunction.Apply(weight, index, paddingIdx);
    }
}
