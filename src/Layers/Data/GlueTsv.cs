using System.Globalization;

namespace Spamp.Data;

/// <summary>
/// GLUE's single-sentence classification files (SST-2 <c>train.tsv</c> / <c>dev.tsv</c>): UTF-8,
/// a header line <c>sentence&lt;TAB&gt;label</c>, then one <c>sentence&lt;TAB&gt;label</c> per line, no
/// quoting. Sentences are already lower-cased and tokenised, so tokens are the whitespace split.
/// </summary>
/// <remarks>
/// SST-2 (Socher et al. 2013) has no stated licence: Spamp does not ship it. Pass the path of a copy
/// you obtained (GLUE, Wang et al. 2018).
/// </remarks>
public static class GlueTsv
{
    /// <summary>The header line the file must start with.</summary>
    public const string SentenceLabelHeader = "sentence\tlabel";

    /// <summary>The padding token (id 0 in <see cref="BuildVocabulary"/>).</summary>
    public const string PadToken = "<pad>";

    /// <summary>The unknown-word token (id 1 in <see cref="BuildVocabulary"/>).</summary>
    public const string UnknownToken = "<unk>";

    /// <summary>
    /// Every example of a <c>sentence&lt;TAB&gt;label</c> file, in file order, with the trailing space GLUE
    /// leaves before the tab trimmed.
    /// </summary>
    /// <exception cref="DataFormatException">
    /// A wrong header, a line without exactly two tab-separated columns, an empty sentence, or a label that
    /// is not an integer in [0, <paramref name="classCount"/>); the message names the line.
    /// </exception>
    public static List<LabelledSentence> ReadSentenceLabel(string path, int classCount = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        string text = DataFile.ReadAllText(path);
        var examples = new List<LabelledSentence>();
        int lineNumber = 0;
        int start = 0;
        while (start < text.Length)
        {
            lineNumber++;
            int end = text.IndexOf('\n', start);
            if (end < 0)
            {
                end = text.Length;
            }

            string line = text[start..end].TrimEnd('\r');
            start = end + 1;
            if (lineNumber == 1)
            {
                if (line != SentenceLabelHeader)
                {
                    throw DataFormatException.AtLine(path, 1, $"bad header \"{line}\": expected \"sentence<TAB>label\"");
                }

                continue;
            }

            int tab = line.IndexOf('\t', StringComparison.Ordinal);
            int columns = line.AsSpan().Count('\t') + 1;
            if (columns != 2)
            {
                throw DataFormatException.AtLine(path, lineNumber, $"wrong column count: {columns} tab-separated fields, expected 2 (sentence, label)");
            }

            string sentence = line[..tab].Trim();
            ReadOnlySpan<char> labelField = line.AsSpan(tab + 1);
            if (!int.TryParse(labelField, NumberStyles.None, CultureInfo.InvariantCulture, out int label))
            {
                throw DataFormatException.AtLine(path, lineNumber, $"column 2: non-numeric label \"{labelField.ToString()}\"");
            }

            if (label >= classCount)
            {
                throw DataFormatException.AtLine(path, lineNumber, $"column 2: label {label} is out of range [0, {classCount})");
            }

            string[] tokens = TextCorpus.SplitWhitespace(sentence);
            if (tokens.Length == 0)
            {
                throw DataFormatException.AtLine(path, lineNumber, "column 1: empty sentence");
            }

            examples.Add(new LabelledSentence(sentence, tokens, label));
        }

        if (lineNumber == 0)
        {
            throw DataFormatException.AtLine(path, 1, "empty file: expected the header \"sentence<TAB>label\"");
        }

        return examples;
    }

    /// <summary>
    /// The vocabulary of the training sentences: <c>&lt;pad&gt;</c> = 0, <c>&lt;unk&gt;</c> = 1, then each token
    /// seen at least <paramref name="minCount"/> times, in order of first appearance.
    /// </summary>
    public static WordVocabulary BuildVocabulary(IReadOnlyList<LabelledSentence> train, int minCount = 1)
    {
        ArgumentNullException.ThrowIfNull(train);
        return WordVocabulary.Build(AllTokens(train), [PadToken, UnknownToken], UnknownToken, minCount);
    }

    /// <summary>
    /// The examples as a data set: Inputs Int64 [N, maxLength] token ids (truncated to the first
    /// <paramref name="maxLength"/> tokens, padded with <c>&lt;pad&gt;</c>), Targets Int64 [N] labels, and a
    /// Bool [N, maxLength] <see cref="TensorDataset.PaddingMask"/> that is true at padding (PyTorch's
    /// <c>key_padding_mask</c> convention). Words not in <paramref name="vocabulary"/> become <c>&lt;unk&gt;</c>.
    /// </summary>
    public static TensorDataset Encode(IReadOnlyList<LabelledSentence> examples, WordVocabulary vocabulary, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var sequences = new IReadOnlyList<string>[examples.Count];
        var labels = new long[examples.Count];
        for (int i = 0; i < examples.Count; i++)
        {
            sequences[i] = examples[i].Tokens;
            labels[i] = examples[i].Label;
        }

        (Tensor ids, Tensor mask) = PaddedSequences.Encode(sequences, vocabulary, maxLength, PadToken);
        return new TensorDataset(ids, Tensor.From<long>(labels), mask);
    }

    private static IEnumerable<string> AllTokens(IReadOnlyList<LabelledSentence> examples)
    {
        foreach (LabelledSentence example in examples)
        {
            foreach (string token in example.Tokens)
            {
                yield return token;
            }
        }
    }
}
