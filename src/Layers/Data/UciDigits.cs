namespace Spamp.Data;

/// <summary>
/// UCI "Optical Recognition of Handwritten Digits" (Alpaydin and Kaynak 1998; the test set, as
/// scikit-learn ships it in <c>digits.csv.gz</c>): 1,797 images of 8x8 pixels with values 0..16,
/// classes 0..9. Small enough for tests that must finish in well under a second. It has no
/// official train/test split: make one with <see cref="TensorDataset.Select(ReadOnlySpan{long})"/>
/// and <see cref="RandomPermutation"/>.
/// </summary>
public static class UciDigits
{
    /// <summary>Image side in pixels.</summary>
    public const int Side = 8;

    /// <summary>The largest pixel value (the count of on-pixels in a 4x4 block).</summary>
    public const int MaxPixelValue = 16;

    /// <summary>Inputs Float32 [N,1,8,8] (or [N,64] when <paramref name="flatten"/>) in [0, 1], Targets Int64 [N].</summary>
    /// <exception cref="DataFormatException">A malformed line (see <see cref="CsvImageReader.Read"/>).</exception>
    public static TensorDataset Load(string path, bool flatten = false) =>
        CsvImageReader.Read(path, Side, Side, MaxPixelValue, classCount: 10, flatten);
}
