namespace Spamp.Data;

/// <summary>Token sequences of different lengths as one rectangular id tensor plus a padding mask.</summary>
public static class PaddedSequences
{
    /// <summary>
    /// Ids Int64 [N, maxLength]: row i holds the ids of the first <paramref name="maxLength"/> tokens of
    /// sequence i (unknown words as the vocabulary's unknown id), then the id of
    /// <paramref name="padToken"/>; Mask Bool [N, maxLength], true where a position is padding.
    /// </summary>
    public static (Tensor Ids, Tensor Mask) Encode(IReadOnlyList<IReadOnlyList<string>> sequences, WordVocabulary vocabulary, int maxLength, string padToken)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        if (!vocabulary.Contains(padToken))
        {
            throw new ArgumentException($"padding: the vocabulary has no padding token \"{padToken}\"", nameof(padToken));
        }

        if (sequences.Count == 0)
        {
            throw new ArgumentException("padding: no sequences", nameof(sequences));
        }

        int padId = vocabulary.Id(padToken);
        var ids = new long[checked(sequences.Count * maxLength)];
        var mask = new bool[ids.Length];
        for (int i = 0; i < sequences.Count; i++)
        {
            IReadOnlyList<string> tokens = sequences[i];
            int kept = Math.Min(tokens.Count, maxLength);
            int row = i * maxLength;
            for (int t = 0; t < kept; t++)
            {
                ids[row + t] = vocabulary.Id(tokens[t]);
            }

            for (int t = kept; t < maxLength; t++)
            {
                ids[row + t] = padId;
                mask[row + t] = true;
            }
        }

        var shape = new Shape(sequences.Count, maxLength);
        Tensor idTensor = Tensor.From<long>(ids, shape);
        try
        {
            return (idTensor, Tensor.From<bool>(mask, shape));
        }
        catch
        {
            idTensor.Dispose();
            throw;
        }
    }
}
