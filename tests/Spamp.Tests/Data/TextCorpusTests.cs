using Spamp.Data;

namespace Spamp.Tests.Data;

/// <summary>Character and word vocabularies, tiny-shakespeare and WikiText-2.</summary>
[TestFixture]
public class TextCorpusTests
{
    private static string Shakespeare => Path.Combine(DataFiles.Examples("tiny-shakespeare"), "input.txt");

    private static string WikiValid => Path.Combine(DataFiles.Examples("wikitext-2"), "valid.txt");

    private static string WikiTest => Path.Combine(DataFiles.Examples("wikitext-2"), "test.txt");

    [Test]
    public void ShakespeareCharacterVocabularyRoundTripsAndSplitsNinetyTen()
    {
        string text = TextCorpus.ReadText(Shakespeare);
        Assert.That(text, Has.Length.EqualTo(1_115_394));
        CharVocabulary vocabulary = CharVocabulary.Build(text);
        Assert.That(vocabulary.Count, Is.EqualTo(65));
        Assert.That(vocabulary.Characters[0], Is.EqualTo('\n'));
        Assert.That(vocabulary.Characters[1], Is.EqualTo(' '));
        Assert.That(vocabulary.Encode("First"), Is.EqualTo(new[] { 18, 47, 56, 57, 58 }), "the ids nanoGPT's prepare.py gives");

        int[] ids = vocabulary.Encode(text);
        Assert.That(vocabulary.Decode(ids), Is.EqualTo(text));

        (string train, string validation) = TextCorpus.SplitByFraction(text);
        Assert.That(train, Has.Length.EqualTo(1_003_854));
        Assert.That(validation, Has.Length.EqualTo(1_115_394 - 1_003_854));
        Assert.That(train + validation, Is.EqualTo(text));

        using Tensor stream = vocabulary.EncodeToTensor(validation);
        Assert.That(stream.DType, Is.EqualTo(DType.Int64));
        Assert.That(vocabulary.Decode(stream), Is.EqualTo(validation));
    }

    [Test]
    public void UnknownCharactersAndIdsAreRejected()
    {
        CharVocabulary vocabulary = CharVocabulary.Build("abc");
        Assert.That(() => vocabulary.Encode("abz"), Throws.ArgumentException.With.Message.Contains("U+007A at position 2"));
        Assert.That(() => vocabulary.Decode([0, 3]), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(vocabulary.Contains('b'), Is.True);
        Assert.That(vocabulary.Id('c'), Is.EqualTo(2));
    }

    [Test]
    public void WikiTextValidHasTheDocumentedTokenCounts()
    {
        List<string> valid = WikiText.ReadTokens(WikiValid);
        Assert.That(valid, Has.Count.EqualTo(217_646));
        Assert.That(valid[..6], Is.EqualTo(new[] { "<eos>", "=", "Homarus", "gammarus", "=", "<eos>" }));
        int eos = 0;
        foreach (string token in valid)
        {
            eos += token == WikiText.EndOfSentence ? 1 : 0;
        }

        Assert.That(eos, Is.EqualTo(3_760), "one <eos> per line");
        Assert.That(WikiText.ReadTokens(WikiTest), Has.Count.EqualTo(245_569));
    }

    [Test]
    public void WikiTextTestTokensUnseenInValidBecomeUnk()
    {
        List<string> valid = WikiText.ReadTokens(WikiValid);
        List<string> test = WikiText.ReadTokens(WikiTest);
        WordVocabulary vocabulary = WikiText.BuildVocabulary(valid);
        Assert.That(vocabulary.Count, Is.EqualTo(13_777), "13,776 distinct tokens (including <unk>) plus <eos>");
        Assert.That(vocabulary.UnknownId, Is.Zero);
        Assert.That(vocabulary.Id(WikiText.EndOfSentence), Is.EqualTo(1));
        Assert.That(vocabulary.Token(2), Is.EqualTo("="), "then tokens in order of first appearance");

        int[] ids = vocabulary.Encode(test);
        int unknown = 0;
        foreach (int id in ids)
        {
            unknown += id == vocabulary.UnknownId ? 1 : 0;
        }

        Assert.That(unknown, Is.EqualTo(27_114), "15,218 <unk> already in test.txt plus 11,896 tokens valid.txt never shows");

        int[] validIds = vocabulary.Encode(valid);
        Assert.That(vocabulary.Decode(validIds.AsSpan(0, 12)), Is.EqualTo(string.Join(' ', valid[..12])));
        using Tensor stream = vocabulary.EncodeToTensor(valid);
        Assert.That(stream.Shape, Is.EqualTo(new Shape(217_646)));
    }

    [Test]
    public void TokenisationFollowsPythonSplitPlusEos()
    {
        Assert.That(WikiText.Tokenize(" a  b\t c \n \n\nd"), Is.EqualTo(new[] { "a", "b", "c", "<eos>", "<eos>", "<eos>", "d", "<eos>" }));
        Assert.That(WikiText.Tokenize(""), Is.Empty);
    }

    [Test]
    public void WordVocabularyKeepsSpecialsFirstAndRespectsMinCount()
    {
        string[] tokens = ["b", "a", "b", "c", "b", "a"];
        WordVocabulary all = WordVocabulary.Build(tokens, ["<pad>", "<unk>"], "<unk>");
        Assert.That(all.Tokens, Is.EqualTo(new[] { "<pad>", "<unk>", "b", "a", "c" }));
        WordVocabulary frequent = WordVocabulary.Build(tokens, ["<pad>", "<unk>"], "<unk>", minCount: 2);
        Assert.That(frequent.Tokens, Is.EqualTo(new[] { "<pad>", "<unk>", "b", "a" }));
        Assert.That(frequent.Encode(["a", "c", "zzz"]), Is.EqualTo(new[] { 3, 1, 1 }));
        Assert.That(() => new WordVocabulary(["<pad>"], "<unk>"), Throws.ArgumentException);
        Assert.That(() => new WordVocabulary(["<pad>", "<pad>"], "<pad>"), Throws.ArgumentException);
    }

    [Test]
    public void InvalidUtf8NamesItsByteOffset()
    {
        string dir = DataFiles.TempDirectory();
        try
        {
            string path = DataFiles.Write(dir, "bad.txt", [(byte)'a', (byte)'b', 0xC3, 0xA9, (byte)' ', 0xFF, (byte)'c']);
            DataFiles.ThrowsFormat(() => WikiText.ReadTokens(path), path, "byte offset 5", "invalid UTF-8");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
