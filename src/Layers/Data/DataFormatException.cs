namespace Spamp.Data;

/// <summary>
/// A data file is not in the format its reader expects: bad magic number, a count that disagrees
/// with the size, truncated data, a label out of range, a wrong column count, a non-numeric field.
/// The message names the file, where in it (a byte offset or a 1-based line number) and the problem,
/// so a corrupt download is found without a debugger. Readers validate the whole file before
/// returning anything, so no half-read data set escapes.
/// </summary>
public class DataFormatException : Exception
{
    /// <summary>Creates the exception with a message that should name file, position and problem.</summary>
    public DataFormatException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping the error that revealed the problem (e.g. a corrupt gzip stream).</summary>
    public DataFormatException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with a generic message.</summary>
    public DataFormatException() { }

    /// <summary>The file, when known.</summary>
    public string? FilePath { get; init; }

    /// <summary>The byte offset where the problem was found (in the decompressed data for gzip files), or -1.</summary>
    public long ByteOffset { get; init; } = -1;

    /// <summary>The 1-based line number where the problem was found (text formats), or 0.</summary>
    public int LineNumber { get; init; }

    /// <summary>An error at a byte offset of a binary file.</summary>
    internal static DataFormatException AtOffset(string path, long offset, string problem) =>
        new($"{path}: at byte offset {offset}: {problem}") { FilePath = path, ByteOffset = offset };

    /// <summary>An error on a line of a text file (1-based).</summary>
    internal static DataFormatException AtLine(string path, int line, string problem) =>
        new($"{path}: line {line}: {problem}") { FilePath = path, LineNumber = line };
}
