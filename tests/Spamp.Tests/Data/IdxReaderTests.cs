using System.Security.Cryptography;
using Spamp.Data;

namespace Spamp.Tests.Data;

/// <summary>The IDX reader and Fashion-MNIST, on the committed t10k files and on files written here.</summary>
[TestFixture]
public class IdxReaderTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = DataFiles.TempDirectory();

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void CommittedFilesAreByteForByteTheDocumentedOnes()
    {
        var expected = new Dictionary<string, string>
        {
            ["fashion-mnist/t10k-images-idx3-ubyte.gz"] = "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
            ["fashion-mnist/t10k-labels-idx1-ubyte.gz"] = "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
            ["tiny-shakespeare/input.txt"] = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            ["wikitext-2/valid.txt"] = "f0737ed31fc1329026e95cb8b98e19c2a182c39c240ab909dc31abf2f8af58e8",
            ["wikitext-2/test.txt"] = "d790b833ef8cf03a90db7bf1271b7520b83c45ce07ba3c1a9699df81e239eca0",
        };
        foreach ((string file, string sha) in expected)
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(DataFiles.RepositoryRoot, "examples", "data", file));
            Assert.That(Convert.ToHexStringLower(SHA256.HashData(bytes)), Is.EqualTo(sha), file);
        }
    }

    [Test]
    public void FashionMnistTestSplitHasTenThousandBalancedImages()
    {
        using TensorDataset test = FashionMnist.Load(DataFiles.Examples("fashion-mnist"), FashionMnistSplit.Test);
        Assert.That(test.Inputs.Shape, Is.EqualTo(new Shape(10000, 1, 28, 28)));
        Assert.That(test.Inputs.DType, Is.EqualTo(DType.Float32));
        Assert.That(test.Targets.Shape, Is.EqualTo(new Shape(10000)));
        Assert.That(test.Targets.DType, Is.EqualTo(DType.Int64));

        long[] labels = test.Targets.ToArray<long>();
        Assert.That(labels[..10], Is.EqualTo(new long[] { 9, 2, 1, 1, 6, 1, 4, 6, 5, 7 }));
        var perClass = new int[10];
        foreach (long label in labels)
        {
            perClass[label]++;
        }

        Assert.That(perClass, Is.All.EqualTo(FashionMnist.TestCountPerClass));

        float[] first = test.Inputs.ToArray<float>().AsSpan(0, 784).ToArray();
        Assert.That(first[(14 * 28) + 14], Is.EqualTo(110 / 255f), "a known pixel of image 0");
        Assert.That(first[(7 * 28) + 25], Is.EqualTo(37 / 255f), "a known pixel of image 0");
        Assert.That(first[0], Is.Zero);
    }

    [Test]
    public void WithoutTheTrainingSplitTheTestSplitIsCutDeterministicallyBySeed()
    {
        Assume.That(FashionMnist.HasTrainingSplit(), Is.False, "the Debian package is installed: the official split is used instead");
        string dir = DataFiles.Examples("fashion-mnist");
        using TrainTestSplit a = FashionMnist.LoadTrainTest(dir, seed: 7);
        using TrainTestSplit b = FashionMnist.LoadTrainTest(dir, seed: 7);
        using TrainTestSplit c = FashionMnist.LoadTrainTest(dir, seed: 8);
        Assert.That(a.IsOfficialSplit, Is.False);
        Assert.That(a.Description, Does.Contain("8000 for training and 2000 for evaluation").And.Contain("seed 7"));
        Assert.That(a.Train.Count, Is.EqualTo(8000));
        Assert.That(a.Test.Count, Is.EqualTo(2000));
        Assert.That(a.Train.Targets.ToArray<long>(), Is.EqualTo(b.Train.Targets.ToArray<long>()));
        Assert.That(a.Test.Inputs.ToArray<float>().AsSpan().SequenceEqual(b.Test.Inputs.ToArray<float>()), Is.True);
        Assert.That(a.Train.Targets.ToArray<long>(), Is.Not.EqualTo(c.Train.Targets.ToArray<long>()));

        // The two parts are disjoint and together are the whole t10k set: label counts add up to 1000 per class.
        var perClass = new int[10];
        foreach (long label in a.Train.Targets.ToArray<long>())
        {
            perClass[label]++;
        }

        foreach (long label in a.Test.Targets.ToArray<long>())
        {
            perClass[label]++;
        }

        Assert.That(perClass, Is.All.EqualTo(1000));
        long[] order = RandomPermutation.Create(10000, 7, RandomPermutation.SplitStream);
        using TensorDataset all = FashionMnist.Load(dir, FashionMnistSplit.Test);
        long[] labels = all.Targets.ToArray<long>();
        Assert.That(a.Test.Targets.ToArray<long>()[0], Is.EqualTo(labels[order[8000]]));
    }

    [Test]
    public void MissingTrainingSplitIsAFileNotFoundThatSaysHowToInstallIt()
    {
        Assume.That(FashionMnist.HasTrainingSplit(), Is.False);
        Assert.That(() => FashionMnist.Load(_dir, FashionMnistSplit.Train),
            Throws.TypeOf<FileNotFoundException>().With.Message.Contains("apt-get install -y dataset-fashion-mnist"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void ReadsSmallFilesGzippedOrNotWithNormalisation(bool gzip)
    {
        byte[] pixels = [0, 51, 255, 102, 0, 0, 1, 2, 3, 4, 5, 6];
        string images = DataFiles.Write(_dir, "img", DataFiles.Idx(0x803, [2, 2, 3], pixels), gzip);
        string labels = DataFiles.Write(_dir, "lab", DataFiles.Idx(0x801, [2], [3, 0]), gzip);
        using TensorDataset data = IdxReader.ReadDataset(images, labels, classCount: 4, mean: 0.5f, std: 0.25f);
        Assert.That(data.Inputs.Shape, Is.EqualTo(new Shape(2, 1, 2, 3)));
        float[] x = data.Inputs.ToArray<float>();
        Assert.That(x[0], Is.EqualTo(-2f));
        Assert.That(x[1], Is.EqualTo(((51 / 255f) - 0.5f) / 0.25f));
        Assert.That(x[2], Is.EqualTo(2f));
        Assert.That(data.Targets.ToArray<long>(), Is.EqualTo(new long[] { 3, 0 }));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void BadMagicNamesFileOffsetAndBothNumbers(bool gzip)
    {
        string path = DataFiles.Write(_dir, "img", DataFiles.Idx(0x801, [1], [0]), gzip);
        DataFiles.ThrowsFormat(() => IdxReader.ReadImages(path), path, "byte offset 0", "bad magic number 0x00000801: expected 0x00000803");
        string labels = DataFiles.Write(_dir, "lab", DataFiles.Idx(0x0c01, [1], [0]), gzip);
        DataFiles.ThrowsFormat(() => IdxReader.ReadLabels(labels), labels, "byte offset 0", "bad magic number 0x00000C01");
    }

    [Test]
    public void TruncatedHeaderAndTruncatedPixelsAreReported()
    {
        string shortHeader = DataFiles.Write(_dir, "h", DataFiles.Idx(0x803, [2, 2], []));
        DataFiles.ThrowsFormat(() => IdxReader.ReadImages(shortHeader), shortHeader, "byte offset 12", "truncated");

        string tiny = DataFiles.Write(_dir, "t", [0, 0]);
        DataFiles.ThrowsFormat(() => IdxReader.ReadLabels(tiny), tiny, "byte offset 2", "truncated");

        // Two 2x2 images declared, six pixel bytes present: image 1 is cut off at offset 16 + 6.
        string cut = DataFiles.Write(_dir, "c", DataFiles.Idx(0x803, [2, 2, 2], [1, 2, 3, 4, 5, 6]), gzip: true);
        DataFiles.ThrowsFormat(() => IdxReader.ReadImages(cut), cut, "byte offset 22", "truncated data: the header declares 2 images (24 bytes in all) but the file ends after 22 bytes, inside image 1");
    }

    [Test]
    public void TrailingBytesAreASizeMismatch()
    {
        string path = DataFiles.Write(_dir, "l", DataFiles.Idx(0x801, [2], [1, 2, 3]));
        DataFiles.ThrowsFormat(() => IdxReader.ReadLabels(path), path, "byte offset 10", "size mismatch: the header declares 2 labels (10 bytes in all) but 1 more bytes follow");
    }

    [Test]
    public void NegativeCountAndZeroSizeAreBadHeaders()
    {
        string negative = DataFiles.Write(_dir, "n", DataFiles.Idx(0x801, [-5], []));
        DataFiles.ThrowsFormat(() => IdxReader.ReadLabels(negative), negative, "byte offset 4", "count is -5");
        string zeroRows = DataFiles.Write(_dir, "z", DataFiles.Idx(0x803, [1, 0, 2], []));
        DataFiles.ThrowsFormat(() => IdxReader.ReadImages(zeroRows), zeroRows, "byte offset 8", "size of dimension 1 is 0");
    }

    [Test]
    public void LabelOutOfRangeNamesItsOffset()
    {
        string path = DataFiles.Write(_dir, "l", DataFiles.Idx(0x801, [3], [1, 9, 10]), gzip: true);
        DataFiles.ThrowsFormat(() => IdxReader.ReadLabels(path), path, "byte offset 10", "label 10 of example 2 is out of range [0, 10)");
    }

    [Test]
    public void ImageAndLabelCountsMustAgree()
    {
        string images = DataFiles.Write(_dir, "i", DataFiles.Idx(0x803, [2, 1, 1], [0, 1]));
        string labels = DataFiles.Write(_dir, "l", DataFiles.Idx(0x801, [3], [0, 1, 2]));
        DataFiles.ThrowsFormat(() => IdxReader.ReadDataset(images, labels), labels, "byte offset 4", "count mismatch: the label file holds 3 labels but " + images + " holds 2 images");
    }

    [Test]
    public void CorruptGzipIsADataFormatError()
    {
        byte[] good = File.ReadAllBytes(DataFiles.Write(_dir, "g", DataFiles.Idx(0x801, [64], new byte[64]), gzip: true));
        byte[] bad = (byte[])good.Clone();
        bad[10] = 0xFF; // the first deflate block header: BTYPE 11 is reserved, so the stream is invalid
        string path = DataFiles.Write(_dir, "bad.gz", bad);
        DataFiles.ThrowsFormat(() => IdxReader.ReadLabels(path), path, "byte offset", "gzip");
    }
}
