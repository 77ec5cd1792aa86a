namespace Spamp.Data;

/// <summary>
/// Reads the CIFAR-10 binary format (<c>data_batch_1.bin</c> ... <c>test_batch.bin</c>): no header,
/// records of 3,073 bytes, each one label byte (0..9) then 1,024 red, 1,024 green and 1,024 blue
/// pixel bytes, every plane 32x32 row-major. Files may be gzipped.
/// </summary>
public static class Cifar10Reader
{
    /// <summary>Image side in pixels.</summary>
    public const int Side = 32;

    /// <summary>Bytes per record: the label and three 32x32 planes.</summary>
    public const int RecordBytes = 1 + (3 * Side * Side);

    /// <summary>The class names, by label (from <c>batches.meta.txt</c>).</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>
    /// The records of <paramref name="paths"/>, in order, as Inputs Float32 [N,3,32,32] (channel c's
    /// pixel <c>p</c> becomes <c>(p/255 - mean[c])/std[c]</c>; [0, 1] without normalisation) and
    /// Targets Int64 [N]. Every file is validated before any tensor is built.
    /// </summary>
    /// <param name="paths">One or more batch files.</param>
    /// <param name="mean">Per-channel means (R, G, B), or null for 0.</param>
    /// <param name="std">Per-channel standard deviations, or null for 1.</param>
    /// <exception cref="DataFormatException">A file is empty, not a whole number of records, or holds a label above 9.</exception>
    public static TensorDataset Read(IReadOnlyList<string> paths, IReadOnlyList<float>? mean = null, IReadOnlyList<float>? std = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0)
        {
            throw new ArgumentException("cifar-10: no files given", nameof(paths));
        }

        var tables = new float[3][];
        for (int c = 0; c < 3; c++)
        {
            if ((mean is not null && mean.Count != 3) || (std is not null && std.Count != 3))
            {
                throw new ArgumentException("cifar-10: mean and std need one value per channel (3)", mean is not null && mean.Count != 3 ? nameof(mean) : nameof(std));
            }

            float m = mean?[c] ?? 0f, s = std?[c] ?? 1f;
            IdxReader.CheckNormalization(m, s);
            tables[c] = IdxReader.PixelTable(255, m, s);
        }

        var files = new byte[paths.Count][];
        int total = 0;
        for (int f = 0; f < paths.Count; f++)
        {
            files[f] = DataFile.ReadAllBytes(paths[f]);
            total = checked(total + Validate(paths[f], files[f]));
        }

        const int plane = Side * Side;
        var pixels = new float[checked(total * 3 * plane)];
        var labels = new long[total];
        int n = 0;
        foreach (byte[] bytes in files)
        {
            for (int offset = 0; offset < bytes.Length; offset += RecordBytes, n++)
            {
                labels[n] = bytes[offset];
                for (int c = 0; c < 3; c++)
                {
                    float[] table = tables[c];
                    ReadOnlySpan<byte> source = bytes.AsSpan(offset + 1 + (c * plane), plane);
                    Span<float> target = pixels.AsSpan(((n * 3) + c) * plane, plane);
                    for (int i = 0; i < plane; i++)
                    {
                        target[i] = table[source[i]];
                    }
                }
            }
        }

        Tensor images = Tensor.From<float>(pixels, new Shape(total, 3, Side, Side));
        return new TensorDataset(images, Tensor.From<long>(labels));
    }

    /// <summary>The records of one file (see <see cref="Read(IReadOnlyList{string}, IReadOnlyList{float}?, IReadOnlyList{float}?)"/>).</summary>
    public static TensorDataset Read(string path) => Read([path]);

    private static int Validate(string path, byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            throw DataFormatException.AtOffset(path, 0, "empty file: expected records of 3073 bytes (1 label byte + 3072 pixel bytes)");
        }

        int records = bytes.Length / RecordBytes;
        int rest = bytes.Length % RecordBytes;
        if (rest != 0)
        {
            throw DataFormatException.AtOffset(path, (long)records * RecordBytes,
                $"truncated data: {bytes.Length} bytes is not a whole number of {RecordBytes}-byte records; record {records} has only {rest} bytes");
        }

        for (int r = 0; r < records; r++)
        {
            long offset = (long)r * RecordBytes;
            byte label = bytes[offset];
            if (label >= ClassNames.Count)
            {
                throw DataFormatException.AtOffset(path, offset, $"label {label} of record {r} is out of range [0, {ClassNames.Count})");
            }
        }

        return records;
    }
}
