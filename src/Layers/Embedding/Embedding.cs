namespace Spamp.Layers;

/// <summary>
/// A lookup table of <c>num_embeddings</c> vectors of size <c>embedding_dim</c> (torch.nn.Embedding):
/// the input is a tensor of Int64 indices of any shape and the output appends embedding_dim. The
/// weight starts as N(0, 1) (from <c>generator</c>); the row <c>padding_idx</c>, when given, starts at
/// zero and never receives a gradient.
/// </summary>
public sealed class Embedding : Module
{
    /// <summary>Creates the table.</summary>
    /// <param name="numEmbeddings">Size of the dictionary.</param>
    /// <param name="embeddingDim">Size of each vector.</param>
    /// <param name="paddingIdx">Row excluded from gradients and zeroed at start; negative counts from the end (default none).</param>
    /// <param name="dtype">Weight type (default float32).</param>
    /// <param name="device">Weight device (default CPU).</param>
    /// <param name="generator">Source of the initial values (default <see cref="Generator.Default"/>).</param>
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null, DType dtype = DType.Float32, Device? device = null, Generator? generator = null)
    {
        if (numEmbeddings < 0 || embeddingDim < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(numEmbeddings), $"embedding: sizes must be non-negative, got num_embeddings={numEmbeddings}, embedding_dim={embeddingDim}");
        }

        if (paddingIdx is int p && (p >= numEmbeddings || p < -numEmbeddings))
        {
            throw new ArgumentOutOfRangeException(nameof(paddingIdx), p, $"embedding: padding_idx must be within [-{numEmbeddings}, {numEmbeddings}), got {p}");
        }

        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        PaddingIdx = paddingIdx is int q && q < 0 ? q + numEmbeddings : paddingIdx;
        Weight = RegisterParameter("weight", Tensor.Zeros([numEmbeddings, embeddingDim], dtype, device));
        ResetParameters(generator);
    }

    /// <summary>num_embeddings.</summary>
    public int NumEmbeddings { get; }

    /// <summary>embedding_dim.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The padding row (normalised to be non-negative), or null.</summary>
    public int? PaddingIdx { get; }

    /// <summary>The table, [num_embeddings, embedding_dim].</summary>
    public Parameter Weight { get; }

    /// <summary>Re-draws the weight from N(0, 1) and zeroes the padding row (reset_parameters).</summary>
    public void ResetParameters(Generator? generator = null)
    {
        Init.Normal(Weight.Data, 0, 1, generator);
        if (PaddingIdx is int p)
        {
            using Tensor row = Weight.Data.Select(0, p);
            row.FillInPlace(0);
        }
    }

    /// <summary>Looks up <paramref name="indices"/> (Int64, any shape); the output has shape indices.shape + [embedding_dim].</summary>
    public Variable Forward(Tensor indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var input = new Variable(indices.Alias());
        return RunForward(() => Functional.Embedding(indices, Weight, PaddingIdx), input);
    }

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input) => Functional.Embedding(input.Data, Weight, PaddingIdx);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{NumEmbeddings}, {EmbeddingDim}{(PaddingIdx is int p ? $", padding_idx={p}" : "")}";
}
