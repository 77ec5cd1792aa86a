namespace Spamp.Data;

/// <summary>
/// A word-level vocabulary: reserved tokens first (such as <c>&lt;pad&gt;</c>, <c>&lt;unk&gt;</c>,
/// <c>&lt;eos&gt;</c>), then every other token in order of first appearance in the training text
/// (the order pytorch/examples' <c>data.py</c> uses). Tokens never seen in training map to the
/// unknown token's id, which is how test text with new words is encoded.
/// </summary>
public sealed class WordVocabulary
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<string> _tokens = [];

    /// <summary>A vocabulary holding only <paramref name="specials"/>, which must include <paramref name="unknownToken"/>.</summary>
    public WordVocabulary(IEnumerable<string> specials, string unknownToken)
    {
        ArgumentNullException.ThrowIfNull(specials);
        ArgumentNullException.ThrowIfNull(unknownToken);
        foreach (string special in specials)
        {
            if (_ids.ContainsKey(special))
            {
                throw new ArgumentException($"word vocabulary: special token \"{special}\" is listed twice", nameof(specials));
            }

            Add(special);
        }

        UnknownToken = unknownToken;
        UnknownId = _ids.TryGetValue(unknownToken, out int id)
            ? id
            : throw new ArgumentException($"word vocabulary: the unknown token \"{unknownToken}\" must be one of the special tokens", nameof(unknownToken));
    }

    /// <summary>The token that stands for every word not in the vocabulary.</summary>
    public string UnknownToken { get; }

    /// <summary>The id of <see cref="UnknownToken"/>.</summary>
    public int UnknownId { get; }

    /// <summary>The number of tokens, reserved ones included.</summary>
    public int Count => _tokens.Count;

    /// <summary>The tokens, by id.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>
    /// The vocabulary of <paramref name="tokens"/>: <paramref name="specials"/> first, then each token that
    /// occurs at least <paramref name="minCount"/> times, in order of first appearance.
    /// </summary>
    public static WordVocabulary Build(IEnumerable<string> tokens, IEnumerable<string> specials, string unknownToken, int minCount = 1)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        var vocabulary = new WordVocabulary(specials, unknownToken);
        if (minCount == 1)
        {
            foreach (string token in tokens)
            {
                vocabulary.Add(token);
            }

            return vocabulary;
        }

        // Count first, then add in first-appearance order so ids do not depend on hash order.
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (string token in tokens)
        {
            counts.TryGetValue(token, out int c);
            if (c == 0)
            {
                order.Add(token);
            }

            counts[token] = c + 1;
        }

        foreach (string token in order)
        {
            if (counts[token] >= minCount)
            {
                vocabulary.Add(token);
            }
        }

        return vocabulary;
    }

    /// <summary>Adds <paramref name="token"/> if it is new; returns its id either way.</summary>
    public int Add(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (_ids.TryGetValue(token, out int id))
        {
            return id;
        }

        id = _tokens.Count;
        _ids.Add(token, id);
        _tokens.Add(token);
        return id;
    }

    /// <summary>True when <paramref name="token"/> has its own id.</summary>
    public bool Contains(string token) => _ids.ContainsKey(token);

    /// <summary>The id of <paramref name="token"/>, or <see cref="UnknownId"/> when it is not in the vocabulary.</summary>
    public int Id(string token) => _ids.TryGetValue(token, out int id) ? id : UnknownId;

    /// <summary>The token with id <paramref name="id"/>.</summary>
    public string Token(int id) =>
        (uint)id < (uint)_tokens.Count ? _tokens[id] : throw new ArgumentOutOfRangeException(nameof(id), id, $"word vocabulary: id must be in [0, {Count})");

    /// <summary>The ids of <paramref name="tokens"/> (unknown tokens become <see cref="UnknownId"/>).</summary>
    public int[] Encode(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var ids = new int[tokens.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = Id(tokens[i]);
        }

        return ids;
    }

    /// <summary>The ids of <paramref name="tokens"/> as an Int64 [n] tensor (a token stream for <see cref="TensorDataset.LanguageModelWindows"/>).</summary>
    public Tensor EncodeToTensor(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var ids = new long[tokens.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = Id(tokens[i]);
        }

        return Tensor.From<long>(ids);
    }

    /// <summary>The tokens of <paramref name="ids"/>, joined by single spaces.</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var words = new string[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            words[i] = Token(ids[i]);
        }

        return string.Join(' ', words);
    }
}
