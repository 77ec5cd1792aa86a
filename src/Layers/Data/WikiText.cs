namespace Spamp.Data;

/// <summary>
/// WikiText (Merity et al. 2016, CC BY-SA) in its tokenised form (<c>wiki.*.tokens</c>): one
/// paragraph or heading per line, tokens separated by spaces, rare words already <c>&lt;unk&gt;</c>.
/// Tokenisation follows pytorch/examples' <c>data.py</c>: each line's <c>line.split()</c> followed by
/// <c>&lt;eos&gt;</c> (so a blank line is a single <c>&lt;eos&gt;</c>).
/// </summary>
public static class WikiText
{
    /// <summary>The end-of-line token appended to every line.</summary>
    public const string EndOfSentence = "<eos>";

    /// <summary>The token for rare and unseen words.</summary>
    public const string Unknown = "<unk>";

    /// <summary>The tokens of a WikiText file (217,646 for WikiText-2's valid.txt).</summary>
    /// <exception cref="DataFormatException">The file is not valid UTF-8 (or a corrupt gzip).</exception>
    public static List<string> ReadTokens(string path) => Tokenize(DataFile.ReadAllText(path));

    /// <summary>The tokens of WikiText-format <paramref name="text"/>: per line, its words then <c>&lt;eos&gt;</c>.</summary>
    public static List<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<string>();
        int start = 0;
        while (start < text.Length)
        {
            // Python iterates a text file by lines ending in "\n"; a final line without one still counts.
            int end = text.IndexOf('\n', start);
            if (end < 0)
            {
                end = text.Length;
            }

            tokens.AddRange(TextCorpus.SplitWhitespace(text[start..end]));
            tokens.Add(EndOfSentence);
            start = end + 1;
        }

        return tokens;
    }

    /// <summary>
    /// The vocabulary of <paramref name="trainTokens"/>: <c>&lt;unk&gt;</c> (id 0) and <c>&lt;eos&gt;</c>
    /// (id 1), then the other tokens in order of first appearance. Encoding other text with it maps
    /// words it has not seen to <c>&lt;unk&gt;</c> (needed here because the examples build the
    /// vocabulary from valid.txt and evaluate on test.txt; WikiText-2's train split is not available).
    /// </summary>
    public static WordVocabulary BuildVocabulary(IEnumerable<string> trainTokens) =>
        WordVocabulary.Build(trainTokens, [Unknown, EndOfSentence], Unknown);
}
