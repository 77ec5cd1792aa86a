namespace Spamp.Data;

/// <summary>Plain-text corpora: reading, whitespace tokenisation and the usual train/validation cut.</summary>
public static class TextCorpus
{
    /// <summary>The file as strict UTF-8 text (gzip is detected); see <see cref="DataFile.ReadAllText"/>.</summary>
    public static string ReadText(string path) => DataFile.ReadAllText(path);

    /// <summary>
    /// Where a sequence of <paramref name="length"/> items is cut so that the first
    /// <paramref name="trainFraction"/> trains: <c>int(length * fraction)</c>, as nanoGPT's
    /// <c>data[:int(n*0.9)]</c> (1,003,854 of tiny-shakespeare's 1,115,394 characters).
    /// </summary>
    public static int SplitPoint(int length, double trainFraction = 0.9)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (!(trainFraction > 0 && trainFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(trainFraction), trainFraction, "split: the training fraction must be in (0, 1)");
        }

        return (int)(length * trainFraction);
    }

    /// <summary>The first <paramref name="trainFraction"/> of <paramref name="text"/> and the rest (the nanoGPT 90/10 split by default).</summary>
    public static (string Train, string Validation) SplitByFraction(string text, double trainFraction = 0.9)
    {
        ArgumentNullException.ThrowIfNull(text);
        int cut = SplitPoint(text.Length, trainFraction);
        return (text[..cut], text[cut..]);
    }

    /// <summary>
    /// The whitespace-separated words of <paramref name="line"/> (Python's <c>str.split()</c>: runs of
    /// white space separate, leading and trailing white space is dropped).
    /// </summary>
    public static string[] SplitWhitespace(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
    }
}
