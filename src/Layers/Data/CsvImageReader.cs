using System.Globalization;
using System.Runtime.InteropServices;

namespace Spamp.Data;

/// <summary>
/// Reads images stored one per line as comma-separated integers: <c>height*width</c> pixels
/// (row-major, each in 0..<c>maxPixelValue</c>) followed by the label, with no header; gzipped or
/// not. UCI's optical digits (<see cref="UciDigits"/>) are in this form.
/// </summary>
public static class CsvImageReader
{
    /// <summary>
    /// Inputs Float32 [N,1,height,width] (or [N, height*width] when <paramref name="flatten"/>), pixels
    /// scaled by <c>1/maxPixelValue</c> into [0, 1]; Targets Int64 [N].
    /// </summary>
    /// <exception cref="DataFormatException">
    /// A line with the wrong column count, a non-numeric field, a pixel or label out of range, or no
    /// data; the message names the line (1-based) and column.
    /// </exception>
    public static TensorDataset Read(string path, int height, int width, int maxPixelValue, int classCount, bool flatten = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPixelValue, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        string text = DataFile.ReadAllText(path);
        int pixelsPerImage = height * width;
        int columns = pixelsPerImage + 1;
        float scale = 1f / maxPixelValue;

        var pixels = new List<float>();
        var labels = new List<long>();
        ReadOnlySpan<char> rest = text;
        int lineNumber = 0;
        while (rest.Length > 0)
        {
            lineNumber++;
            int end = rest.IndexOf('\n');
            ReadOnlySpan<char> line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            line = line.TrimEnd('\r');
            int found = line.Count(',') + 1;
            if (found != columns)
            {
                throw DataFormatException.AtLine(path, lineNumber, $"wrong column count: {found} fields, expected {columns} ({pixelsPerImage} pixels and a label)");
            }

            int column = 0;
            foreach (Range range in line.Split(','))
            {
                column++;
                ReadOnlySpan<char> field = line[range];
                if (!int.TryParse(field, NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
                {
                    throw DataFormatException.AtLine(path, lineNumber, $"column {column}: non-numeric field \"{field.ToString()}\"");
                }

                if (column <= pixelsPerImage)
                {
                    if (value < 0 || value > maxPixelValue)
                    {
                        throw DataFormatException.AtLine(path, lineNumber, $"column {column}: pixel value {value} is out of range [0, {maxPixelValue}]");
                    }

                    pixels.Add(value * scale);
                }
                else
                {
                    if (value < 0 || value >= classCount)
                    {
                        throw DataFormatException.AtLine(path, lineNumber, $"column {column}: label {value} is out of range [0, {classCount})");
                    }

                    labels.Add(value);
                }
            }
        }

        if (labels.Count == 0)
        {
            throw DataFormatException.AtLine(path, 1, "no data: the file holds no lines");
        }

        Shape shape = flatten ? new Shape(labels.Count, pixelsPerImage) : new Shape(labels.Count, 1, height, width);
        Tensor images = Tensor.From<float>(CollectionsMarshal.AsSpan(pixels), shape);
        return new TensorDataset(images, Tensor.From<long>(CollectionsMarshal.AsSpan(labels)));
    }
}
