namespace Spamp.Data;

/// <summary>
/// A character-level vocabulary: the sorted distinct characters of a text (ordinal order, so
/// <c>'\n'</c> is id 0 for tiny-shakespeare), as char-rnn and nanoGPT build it. Characters are UTF-16
/// code units, which for ASCII and most European text are the characters themselves.
/// </summary>
public sealed class CharVocabulary
{
    private readonly string _chars;
    private readonly int[] _ids;

    private CharVocabulary(string chars)
    {
        _chars = chars;
        _ids = new int[char.MaxValue + 1];
        Array.Fill(_ids, -1);
        for (int i = 0; i < chars.Length; i++)
        {
            _ids[chars[i]] = i;
        }
    }

    /// <summary>The characters, by id.</summary>
    public string Characters => _chars;

    /// <summary>The number of distinct characters.</summary>
    public int Count => _chars.Length;

    /// <summary>The vocabulary of <paramref name="text"/>: each distinct character once, sorted by code.</summary>
    public static CharVocabulary Build(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var seen = new bool[char.MaxValue + 1];
        foreach (char c in text)
        {
            seen[c] = true;
        }

        var chars = new System.Text.StringBuilder();
        for (int c = 0; c <= char.MaxValue; c++)
        {
            if (seen[c])
            {
                chars.Append((char)c);
            }
        }

        return new CharVocabulary(chars.ToString());
    }

    /// <summary>True when <paramref name="c"/> has an id.</summary>
    public bool Contains(char c) => _ids[c] >= 0;

    /// <summary>The id of <paramref name="c"/>.</summary>
    /// <exception cref="ArgumentException">The character is not in the vocabulary.</exception>
    public int Id(char c)
    {
        int id = _ids[c];
        return id >= 0 ? id : throw new ArgumentException($"char vocabulary: character U+{(int)c:X4} is not in the vocabulary of {Count} characters", nameof(c));
    }

    /// <summary>The ids of <paramref name="text"/>.</summary>
    /// <exception cref="ArgumentException">A character is not in the vocabulary (the message gives its position).</exception>
    public int[] Encode(ReadOnlySpan<char> text)
    {
        var ids = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            int id = _ids[text[i]];
            ids[i] = id >= 0 ? id : throw new ArgumentException($"char vocabulary: character U+{(int)text[i]:X4} at position {i} is not in the vocabulary of {Count} characters", nameof(text));
        }

        return ids;
    }

    /// <summary>The ids of <paramref name="text"/> as an Int64 [length] tensor (a token stream for <see cref="TensorDataset.LanguageModelWindows"/>).</summary>
    public Tensor EncodeToTensor(ReadOnlySpan<char> text)
    {
        var ids = new long[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            int id = _ids[text[i]];
            ids[i] = id >= 0 ? id : throw new ArgumentException($"char vocabulary: character U+{(int)text[i]:X4} at position {i} is not in the vocabulary of {Count} characters", nameof(text));
        }

        return Tensor.From<long>(ids);
    }

    /// <summary>The text of <paramref name="ids"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not below <see cref="Count"/>.</exception>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var chars = new char[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            chars[i] = Char(ids[i]);
        }

        return new string(chars);
    }

    /// <summary>The text of the integer ids in <paramref name="ids"/> (any shape, read in row-major order).</summary>
    public string Decode(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        double[] values = ids.ToDoubleArray();
        var chars = new char[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            chars[i] = Char(checked((int)values[i]));
        }

        return new string(chars);
    }

    private char Char(int id) =>
        (uint)id < (uint)_chars.Length ? _chars[id] : throw new ArgumentOutOfRangeException(nameof(id), id, $"char vocabulary: id must be in [0, {Count})");
}
