using System.Text;
using Spamp.Data;

namespace Spamp.Tests.Data;

/// <summary>GLUE TSV files: small files written here, and SST-2 itself when a copy is present (it is never committed).</summary>
[TestFixture]
public class GlueTsvTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = DataFiles.TempDirectory();

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string Write(string text) => DataFiles.Write(_dir, "x.tsv", Encoding.UTF8.GetBytes(text));

    [Test]
    public void ReadsTrimsAndTokenises()
    {
        string path = Write("sentence\tlabel\nhide new secretions \t0\nit 's a charming , café \t1\n");
        List<LabelledSentence> examples = GlueTsv.ReadSentenceLabel(path);
        Assert.That(examples, Has.Count.EqualTo(2));
        Assert.That(examples[0].Text, Is.EqualTo("hide new secretions"));
        Assert.That(examples[0].Label, Is.Zero);
        Assert.That(examples[1].Tokens, Is.EqualTo(new[] { "it", "'s", "a", "charming", ",", "café" }));
        Assert.That(examples[1].Label, Is.EqualTo(1));
    }

    [Test]
    public void EncodesWithPaddingTruncationAndAKeyPaddingMask()
    {
        string train = Write("sentence\tlabel\na b c d e \t1\nb a \t0\n");
        List<LabelledSentence> examples = GlueTsv.ReadSentenceLabel(train);
        WordVocabulary vocabulary = GlueTsv.BuildVocabulary(examples);
        Assert.That(vocabulary.Tokens, Is.EqualTo(new[] { "<pad>", "<unk>", "a", "b", "c", "d", "e" }));

        List<LabelledSentence> dev = [new("a zzz", ["a", "zzz"], 1), .. examples];
        using TensorDataset data = GlueTsv.Encode(dev, vocabulary, maxLength: 4);
        Assert.That(data.Inputs.Shape, Is.EqualTo(new Shape(3, 4)));
        Assert.That(data.Inputs.ToArray<long>(), Is.EqualTo(new long[] { 2, 1, 0, 0, 2, 3, 4, 5, 3, 2, 0, 0 }));
        Assert.That(data.PaddingMask, Is.Not.Null);
        Assert.That(data.PaddingMask!.DType, Is.EqualTo(DType.Bool));
        Assert.That(data.PaddingMask.ToArray<bool>(), Is.EqualTo(new[] { false, false, true, true, false, false, false, false, false, false, true, true }));
        Assert.That(data.Targets.ToArray<long>(), Is.EqualTo(new long[] { 1, 1, 0 }));
    }

    [Test]
    public void BadHeaderIsRejected()
    {
        string path = Write("label\tsentence\nx \t1\n");
        DataFiles.ThrowsFormat(() => GlueTsv.ReadSentenceLabel(path), path, "line 1", "bad header \"label\tsentence\"");
        string empty = Write("");
        DataFiles.ThrowsFormat(() => GlueTsv.ReadSentenceLabel(empty), empty, "line 1", "empty file");
    }

    [Test]
    public void WrongColumnCountNamesTheLine()
    {
        string path = Write("sentence\tlabel\ngood \t1\nno label here\n");
        DataFiles.ThrowsFormat(() => GlueTsv.ReadSentenceLabel(path), path, "line 3", "wrong column count: 1 tab-separated fields, expected 2");
        string three = Write("sentence\tlabel\na\tb\t1\n");
        DataFiles.ThrowsFormat(() => GlueTsv.ReadSentenceLabel(three), three, "line 2", "wrong column count: 3");
    }

    [Test]
    public void NonNumericAndOutOfRangeLabelsAndEmptySentencesAreRejected()
    {
        string text = Write("sentence\tlabel\na \tpositive\n");
        DataFiles.ThrowsFormat(() => GlueTsv.ReadSentenceLabel(text), text, "line 2", "non-numeric label \"positive\"");
        string range = Write("sentence\tlabel\na \t1\nb \t2\n");
        DataFiles.ThrowsFormat(() => GlueTsv.ReadSentenceLabel(range), range, "line 3", "label 2 is out of range [0, 2)");
        string negative = Write("sentence\tlabel\na \t-1\n");
        DataFiles.ThrowsFormat(() => GlueTsv.ReadSentenceLabel(negative), negative, "line 2", "non-numeric label \"-1\"");
        string blank = Write("sentence\tlabel\n  \t1\n");
        DataFiles.ThrowsFormat(() => GlueTsv.ReadSentenceLabel(blank), blank, "line 2", "empty sentence");
    }

    [Test]
    public void Sst2HasTheDocumentedCounts()
    {
        string trainPath = Path.Combine(DataFiles.Shared("sst-2"), "train.tsv");
        string devPath = Path.Combine(DataFiles.Shared("sst-2"), "dev.tsv");
        Assume.That(File.Exists(trainPath) && File.Exists(devPath), Is.True, "SST-2 is not present (it is never committed: no licence)");
        List<LabelledSentence> train = GlueTsv.ReadSentenceLabel(trainPath);
        List<LabelledSentence> dev = GlueTsv.ReadSentenceLabel(devPath);
        Assert.That(train, Has.Count.EqualTo(67_349));
        Assert.That(dev, Has.Count.EqualTo(872));
        int trainPositive = 0, devPositive = 0, longest = 0;
        foreach (LabelledSentence s in train)
        {
            trainPositive += s.Label;
            longest = Math.Max(longest, s.Tokens.Count);
        }

        foreach (LabelledSentence s in dev)
        {
            devPositive += s.Label;
        }

        Assert.That(trainPositive, Is.EqualTo(37_569));
        Assert.That(devPositive, Is.EqualTo(444));
        Assert.That(longest, Is.EqualTo(52));
        Assert.That(train[0].Text, Is.EqualTo("hide new secretions from the parental units"));

        WordVocabulary vocabulary = GlueTsv.BuildVocabulary(train);
        Assert.That(vocabulary.Count, Is.EqualTo(14_816 + 2));
        using TensorDataset encoded = GlueTsv.Encode(dev, vocabulary, maxLength: 64);
        Assert.That(encoded.Inputs.Shape, Is.EqualTo(new Shape(872, 64)));
        long[] ids = encoded.Inputs.ToArray<long>();
        int unknown = 0;
        foreach (long id in ids)
        {
            unknown += id == vocabulary.UnknownId ? 1 : 0;
        }

        Assert.That(unknown, Is.EqualTo(973), "dev tokens never seen in train");
    }
}
