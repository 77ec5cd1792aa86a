using System.Buffers;
using System.IO.Compression;
using System.Text.Unicode;

namespace Spamp.Data;

/// <summary>
/// Reads a whole data file into memory, transparently gunzipping it when it starts with the gzip
/// magic bytes (0x1f 0x8b) so that readers accept both <c>x.gz</c> and its decompressed copy.
/// The data sets here are at most tens of megabytes, so reading at once keeps every reader a plain
/// loop over a byte array, validated before anything is built.
/// </summary>
public static class DataFile
{
    /// <summary>True when <paramref name="bytes"/> begins with the gzip magic number.</summary>
    public static bool IsGzip(ReadOnlySpan<byte> bytes) => bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;

    /// <summary>
    /// The file's bytes, decompressed when the file is gzip. A corrupt or truncated gzip stream is a
    /// <see cref="DataFormatException"/>; a missing file is a <see cref="FileNotFoundException"/>.
    /// </summary>
    public static byte[] ReadAllBytes(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] raw = File.ReadAllBytes(path);
        if (!IsGzip(raw))
        {
            return raw;
        }

        using var compressed = new MemoryStream(raw, writable: false);
        using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
        using var output = new MemoryStream(raw.Length * 4);
        try
        {
            gzip.CopyTo(output);
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(
                $"{path}: at byte offset {compressed.Position} of the compressed file: corrupt gzip stream after {output.Length} decompressed bytes ({e.Message})", e)
            { FilePath = path, ByteOffset = compressed.Position };
        }

        return output.ToArray();
    }

    /// <summary>
    /// The file as text: decompressed when gzip, strict UTF-8 (an invalid byte sequence is a
    /// <see cref="DataFormatException"/> naming its byte offset, rather than a silent U+FFFD), with a
    /// leading byte-order mark dropped.
    /// </summary>
    public static string ReadAllText(string path)
    {
        byte[] bytes = ReadAllBytes(path);
        ReadOnlySpan<byte> span = bytes;
        int start = span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        span = span[start..];
        char[] chars = ArrayPool<char>.Shared.Rent(span.Length);
        try
        {
            OperationStatus status = Utf8.ToUtf16(span, chars, out int read, out int written, replaceInvalidSequences: false);
            if (status != OperationStatus.Done)
            {
                throw DataFormatException.AtOffset(path, start + read, "invalid UTF-8 byte sequence (the file must be UTF-8 text)");
            }

            return new string(chars, 0, written);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }
}
