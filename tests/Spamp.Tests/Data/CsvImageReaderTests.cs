using Spamp.Data;

namespace Spamp.Tests.Data;

/// <summary>CSV images: the real UCI digits file and small files written here.</summary>
[TestFixture]
public class CsvImageReaderTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = DataFiles.TempDirectory();

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static string Line(int label, int fill = 0, int columns = 64) =>
        string.Join(',', Enumerable.Repeat(fill.ToString(System.Globalization.CultureInfo.InvariantCulture), columns)) + "," + label.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Test]
    public void UciDigitsHasTheDocumentedCountsAndValues()
    {
        string? path = DataFiles.UciDigits();
        Assume.That(path, Is.Not.Null, "no uci-digits file in examples/data or shared/data");
        using TensorDataset images = UciDigits.Load(path!);
        Assert.That(images.Inputs.Shape, Is.EqualTo(new Shape(1797, 1, 8, 8)));
        long[] labels = images.Targets.ToArray<long>();
        var perClass = new int[10];
        foreach (long label in labels)
        {
            perClass[label]++;
        }

        Assert.That(perClass, Is.EqualTo(new[] { 178, 182, 177, 183, 181, 182, 181, 179, 174, 180 }));
        Assert.That(labels[..2], Is.EqualTo(new long[] { 0, 1 }));
        float[] x = images.Inputs.ToArray<float>();
        Assert.That(x[2], Is.EqualTo(5 / 16f), "row 0 column 2 of image 0");
        Assert.That(x[3], Is.EqualTo(13 / 16f));
        Assert.That(x[64 + 3], Is.EqualTo(12 / 16f), "image 1");

        using TensorDataset flat = UciDigits.Load(path!, flatten: true);
        Assert.That(flat.Inputs.Shape, Is.EqualTo(new Shape(1797, 64)));
        Assert.That(flat.Inputs.ToArray<float>().AsSpan().SequenceEqual(x), Is.True, "the same values, flat");
    }

    [Test]
    public void ReadsASmallFileWithCrLfAndNoFinalNewline()
    {
        string path = DataFiles.Write(_dir, "d.csv", System.Text.Encoding.ASCII.GetBytes("1,2,3,4,1\r\n0,0,0,8,0"));
        using TensorDataset data = CsvImageReader.Read(path, height: 2, width: 2, maxPixelValue: 8, classCount: 2);
        Assert.That(data.Inputs.Shape, Is.EqualTo(new Shape(2, 1, 2, 2)));
        Assert.That(data.Inputs.ToArray<float>(), Is.EqualTo(new[] { 0.125f, 0.25f, 0.375f, 0.5f, 0, 0, 0, 1 }));
        Assert.That(data.Targets.ToArray<long>(), Is.EqualTo(new long[] { 1, 0 }));
    }

    [Test]
    public void WrongColumnCountNamesTheLine()
    {
        string text = Line(3) + "\n" + Line(4, columns: 63) + "\n";
        string path = DataFiles.Write(_dir, "d.csv.gz", System.Text.Encoding.ASCII.GetBytes(text), gzip: true);
        DataFiles.ThrowsFormat(() => UciDigits.Load(path), path, "line 2", "wrong column count: 64 fields, expected 65");
    }

    [Test]
    public void NonNumericFieldNamesLineAndColumn()
    {
        string text = Line(3) + "\n" + Line(3) + "\n" + Line(3).Replace("0,0,0,0,0", "0,0,x7,0,0", StringComparison.Ordinal) + "\n";
        string path = DataFiles.Write(_dir, "d.csv", System.Text.Encoding.ASCII.GetBytes(text));
        DataFiles.ThrowsFormat(() => UciDigits.Load(path), path, "line 3", "column 3: non-numeric field \"x7\"");
    }

    [Test]
    public void PixelAndLabelOutOfRangeAreRejected()
    {
        string pixel = DataFiles.Write(_dir, "p.csv", System.Text.Encoding.ASCII.GetBytes(Line(3, fill: 17) + "\n"));
        DataFiles.ThrowsFormat(() => UciDigits.Load(pixel), pixel, "line 1", "column 1: pixel value 17 is out of range [0, 16]");
        string label = DataFiles.Write(_dir, "l.csv", System.Text.Encoding.ASCII.GetBytes(Line(3) + "\n" + Line(10) + "\n"));
        DataFiles.ThrowsFormat(() => UciDigits.Load(label), label, "line 2", "column 65: label 10 is out of range [0, 10)");
    }

    [Test]
    public void EmptyFileAndBlankLinesAreRejected()
    {
        string empty = DataFiles.Write(_dir, "e.csv", []);
        DataFiles.ThrowsFormat(() => UciDigits.Load(empty), empty, "line 1", "no data");
        string blank = DataFiles.Write(_dir, "b.csv", System.Text.Encoding.ASCII.GetBytes(Line(1) + "\n\n" + Line(2) + "\n"));
        DataFiles.ThrowsFormat(() => UciDigits.Load(blank), blank, "line 2", "wrong column count: 1 fields");
    }
}
