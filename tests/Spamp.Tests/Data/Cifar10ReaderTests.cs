using Spamp.Data;

namespace Spamp.Tests.Data;

/// <summary>CIFAR-10's binary records, on files written here (no CIFAR data is available).</summary>
[TestFixture]
public class Cifar10ReaderTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = DataFiles.TempDirectory();

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    /// <summary>A record whose red plane is all <c>r</c>, green all <c>g</c>, blue counts 0..255 repeatedly.</summary>
    private static byte[] Record(byte label, byte r, byte g)
    {
        var record = new byte[Cifar10Reader.RecordBytes];
        record[0] = label;
        record.AsSpan(1, 1024).Fill(r);
        record.AsSpan(1025, 1024).Fill(g);
        for (int i = 0; i < 1024; i++)
        {
            record[2049 + i] = (byte)i;
        }

        return record;
    }

    [Test]
    public void RecordsBecomeChannelPlanesAndLabelsAcrossFiles()
    {
        string a = DataFiles.Write(_dir, "data_batch_1.bin", [.. Record(3, 255, 0), .. Record(9, 0, 51)]);
        string b = DataFiles.Write(_dir, "data_batch_2.bin", Record(0, 102, 204), gzip: true);
        using TensorDataset data = Cifar10Reader.Read([a, b]);
        Assert.That(data.Inputs.Shape, Is.EqualTo(new Shape(3, 3, 32, 32)));
        Assert.That(data.Targets.ToArray<long>(), Is.EqualTo(new long[] { 3, 9, 0 }));
        float[] x = data.Inputs.ToArray<float>();
        const int plane = 1024, image = 3 * plane;
        Assert.That(x[0], Is.EqualTo(1f), "image 0, red");
        Assert.That(x[plane], Is.Zero, "image 0, green");
        Assert.That(x[(2 * plane) + 33], Is.EqualTo(33 / 255f), "image 0, blue, row 1 column 1");
        Assert.That(x[image + plane + 5], Is.EqualTo(51 / 255f), "image 1, green");
        Assert.That(x[(2 * image) + 100], Is.EqualTo(102 / 255f), "image 2, red, from the second file");
        Assert.That(Cifar10Reader.ClassNames[3], Is.EqualTo("cat"));
    }

    [Test]
    public void PerChannelNormalisation()
    {
        string a = DataFiles.Write(_dir, "b.bin", Record(1, 255, 0));
        using TensorDataset data = Cifar10Reader.Read([a], mean: [0.5f, 0.25f, 0f], std: [0.5f, 0.25f, 1f]);
        float[] x = data.Inputs.ToArray<float>();
        Assert.That(x[0], Is.EqualTo(1f));
        Assert.That(x[1024], Is.EqualTo(-1f));
        Assert.That(x[2048 + 255], Is.EqualTo(1f));
    }

    [Test]
    public void TruncatedRecordNamesItsOffset()
    {
        byte[] bytes = [.. Record(1, 0, 0), .. Record(2, 0, 0).AsSpan(0, 100)];
        string path = DataFiles.Write(_dir, "cut.bin", bytes);
        DataFiles.ThrowsFormat(() => Cifar10Reader.Read(path), path, "byte offset 3073", "truncated data: 3173 bytes is not a whole number of 3073-byte records; record 1 has only 100 bytes");
    }

    [Test]
    public void LabelOutOfRangeNamesItsRecord()
    {
        string good = DataFiles.Write(_dir, "good.bin", Record(1, 0, 0));
        string path = DataFiles.Write(_dir, "bad.bin", [.. Record(1, 0, 0), .. Record(1, 0, 0), .. Record(10, 0, 0)]);
        DataFiles.ThrowsFormat(() => Cifar10Reader.Read([good, path]), path, "byte offset 6146", "label 10 of record 2 is out of range [0, 10)");
    }

    [Test]
    public void EmptyFileIsRejected()
    {
        string path = DataFiles.Write(_dir, "empty.bin", []);
        DataFiles.ThrowsFormat(() => Cifar10Reader.Read(path), path, "byte offset 0", "empty file");
    }
}
