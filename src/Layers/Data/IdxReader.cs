using System.Buffers.Binary;

namespace Spamp.Data;

/// <summary>
/// Reads the IDX files of MNIST and Fashion-MNIST, gzipped or not (the gzip magic is detected).
/// Layout after decompression: a big-endian int32 magic <c>0x0000_08_dd</c> (type 0x08 = unsigned
/// byte, dd = number of dimensions), one big-endian int32 size per dimension, then the elements
/// row-major. Images are <c>0x00000803</c> [count, rows, cols]; labels <c>0x00000801</c> [count].
/// </summary>
public static class IdxReader
{
    /// <summary>The magic number of an IDX file of unsigned bytes with 3 dimensions (images).</summary>
    public const int ImagesMagic = 0x0803;

    /// <summary>The magic number of an IDX file of unsigned bytes with 1 dimension (labels).</summary>
    public const int LabelsMagic = 0x0801;

    /// <summary>
    /// Images as Float32 [N, 1, rows, cols]: each pixel byte <c>p</c> becomes <c>(p/255 - mean)/std</c>
    /// (so [0, 1] with the defaults).
    /// </summary>
    /// <exception cref="DataFormatException">Bad magic, a non-positive size, or a file size that disagrees with the header.</exception>
    public static Tensor ReadImages(string path, float mean = 0f, float std = 1f)
    {
        CheckNormalization(mean, std);
        byte[] bytes = DataFile.ReadAllBytes(path);
        int[] dims = ReadHeader(path, bytes, ImagesMagic, "images");
        int count = dims[0], rows = dims[1], cols = dims[2];
        long header = 4 + (4 * 3);
        CheckSize(path, bytes.LongLength, header, count, (long)rows * cols, "image");

        float[] table = PixelTable(255, mean, std);
        var pixels = new float[checked(count * rows * cols)];
        ReadOnlySpan<byte> source = bytes.AsSpan((int)header, pixels.Length);
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = table[source[i]];
        }

        return Tensor.From<float>(pixels, new Shape(count, 1, rows, cols));
    }

    /// <summary>Labels as Int64 [N]; every label must be below <paramref name="classCount"/>.</summary>
    /// <exception cref="DataFormatException">Bad magic, a size mismatch, or a label out of range (naming its offset).</exception>
    public static Tensor ReadLabels(string path, int classCount = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        byte[] bytes = DataFile.ReadAllBytes(path);
        int count = ReadHeader(path, bytes, LabelsMagic, "labels")[0];
        const int header = 8;
        CheckSize(path, bytes.LongLength, header, count, 1, "label");

        var labels = new long[count];
        for (int i = 0; i < count; i++)
        {
            byte label = bytes[header + i];
            if (label >= classCount)
            {
                throw DataFormatException.AtOffset(path, header + i, $"label {label} of example {i} is out of range [0, {classCount})");
            }

            labels[i] = label;
        }

        return Tensor.From<long>(labels);
    }

    /// <summary>
    /// An image file and its label file as one data set (Inputs Float32 [N,1,rows,cols], Targets
    /// Int64 [N]); both are validated, and their counts must agree.
    /// </summary>
    public static TensorDataset ReadDataset(string imagesPath, string labelsPath, int classCount = 10, float mean = 0f, float std = 1f)
    {
        Tensor labels = ReadLabels(labelsPath, classCount);
        Tensor images;
        try
        {
            images = ReadImages(imagesPath, mean, std);
        }
        catch
        {
            labels.Dispose();
            throw;
        }

        if (images.Shape[0] != labels.Shape[0])
        {
            int imageCount = images.Shape[0], labelCount = labels.Shape[0];
            images.Dispose();
            labels.Dispose();
            throw new DataFormatException(
                $"{labelsPath}: at byte offset 4: count mismatch: the label file holds {labelCount} labels but {imagesPath} holds {imageCount} images")
            { FilePath = labelsPath, ByteOffset = 4 };
        }

        return new TensorDataset(images, labels);
    }

    /// <summary>Maps each raw value 0..max to its normalised float once, so the per-pixel loop is a lookup.</summary>
    internal static float[] PixelTable(int max, float mean, float std)
    {
        var table = new float[max + 1];
        for (int v = 0; v <= max; v++)
        {
            table[v] = ((v / (float)max) - mean) / std;
        }

        return table;
    }

    internal static void CheckNormalization(float mean, float std)
    {
        if (!float.IsFinite(mean))
        {
            throw new ArgumentOutOfRangeException(nameof(mean), mean, "normalisation mean must be finite");
        }

        if (!(std > 0) || !float.IsFinite(std))
        {
            throw new ArgumentOutOfRangeException(nameof(std), std, "normalisation std must be positive and finite");
        }
    }

    private static int[] ReadHeader(string path, byte[] bytes, int expectedMagic, string what)
    {
        int rank = expectedMagic & 0xff;
        int headerBytes = 4 + (4 * rank);
        if (bytes.Length < 4)
        {
            throw DataFormatException.AtOffset(path, bytes.Length, $"truncated: the file holds {bytes.Length} bytes, too few for the 4-byte IDX magic number");
        }

        int magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (magic != expectedMagic)
        {
            throw DataFormatException.AtOffset(path, 0,
                $"bad magic number 0x{magic:X8}: expected 0x{expectedMagic:X8} (IDX of unsigned bytes with {rank} dimension{(rank == 1 ? "" : "s")}: {what})");
        }

        if (bytes.Length < headerBytes)
        {
            throw DataFormatException.AtOffset(path, bytes.Length, $"truncated: the file holds {bytes.Length} bytes, too few for the {headerBytes}-byte header of {what}");
        }

        var dims = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            int offset = 4 + (4 * d);
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset));
            bool countField = d == 0;
            if (dims[d] < 0 || (!countField && dims[d] == 0))
            {
                throw DataFormatException.AtOffset(path, offset, $"bad header: {(countField ? "count" : $"size of dimension {d}")} is {dims[d]}");
            }
        }

        return dims;
    }

    private static void CheckSize(string path, long actual, long header, int count, long bytesPerItem, string item)
    {
        long expected = header + (count * bytesPerItem);
        if (actual < expected)
        {
            long complete = (actual - header) / bytesPerItem;
            throw DataFormatException.AtOffset(path, actual,
                $"truncated data: the header declares {count} {item}s ({expected} bytes in all) but the file ends after {actual} bytes, inside {item} {complete}");
        }

        if (actual > expected)
        {
            throw DataFormatException.AtOffset(path, expected,
                $"size mismatch: the header declares {count} {item}s ({expected} bytes in all) but {actual - expected} more bytes follow the last one");
        }
    }
}
