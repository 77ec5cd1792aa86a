using Spamp.Examples;
using Spamp.Layers;

namespace Spamp.Tests.Examples;

[TestFixture]
public class GptSamplerTests
{
    private static readonly float[] Logits = [0.5f, 2.0f, -1.0f, 1.5f, 0.0f];

    private static Gpt TinyGpt() => new(new GptConfig { BlockSize = 6, VocabSize = 7, NLayer = 1, NHead = 2, NEmbd = 8 }, new Generator(4));

    [Test]
    public void TopKOneIsGreedyWhateverTheTemperatureOrSeed()
    {
        for (ulong seed = 0; seed < 20; seed++)
        {
            Assert.That(GptSampler.SampleNext(Logits, temperature: 5.0, topK: 1, new Generator(seed)), Is.EqualTo(1));
        }
    }

    [Test]
    public void TopKDrawsOnlyAmongTheKLargestLogits()
    {
        var generator = new Generator(3);
        var seen = new HashSet<int>();
        for (int i = 0; i < 400; i++)
        {
            seen.Add(GptSampler.SampleNext(Logits, temperature: 10.0, topK: 2, generator));
        }

        Assert.That(seen, Is.EquivalentTo(new[] { 1, 3 }), "a high temperature flattens the distribution, but only the top 2 can be drawn");
    }

    [Test]
    public void DrawsFollowTheSoftmaxOfLogitsOverTemperature()
    {
        // logits [0, ln 3] at temperature 1 give probabilities 1/4 and 3/4; at temperature 2 the odds are sqrt 3.
        float[] logits = [0, (float)Math.Log(3)];
        var generator = new Generator(11);
        const int Draws = 20000;
        int ones = 0, onesHot = 0;
        for (int i = 0; i < Draws; i++)
        {
            ones += GptSampler.SampleNext(logits, 1.0, 0, generator);
            onesHot += GptSampler.SampleNext(logits, 2.0, 0, generator);
        }

        Assert.That((double)ones / Draws, Is.EqualTo(0.75).Within(0.015));
        Assert.That((double)onesHot / Draws, Is.EqualTo(Math.Sqrt(3) / (1 + Math.Sqrt(3))).Within(0.015));
    }

    [TestCase(0.0)]
    [TestCase(-0.5)]
    [TestCase(double.NaN)]
    [TestCase(double.PositiveInfinity)]
    public void TemperatureMustBeAFiniteNumberAboveZero(double temperature)
    {
        Assert.That(() => GptSampler.SampleNext(Logits, temperature, 0, new Generator(0)),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("temperature"));
        using Gpt model = TinyGpt();
        Assert.That(() => GptSampler.Generate(model, [1], 3, temperature, 0, new Generator(0)), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void BadTopKPromptsAndLogitsAreRejected()
    {
        using Gpt model = TinyGpt();
        Assert.Multiple(() =>
        {
            Assert.That(() => GptSampler.SampleNext(Logits, 1.0, -1, new Generator(0)), Throws.TypeOf<ArgumentOutOfRangeException>());
            Assert.That(() => GptSampler.SampleNext([1, float.NaN], 1.0, 0, new Generator(0)), Throws.ArgumentException);
            Assert.That(() => GptSampler.Generate(model, [], 3, 1.0, 0, new Generator(0)), Throws.ArgumentException);
            Assert.That(() => GptSampler.Generate(model, [7], 3, 1.0, 0, new Generator(0)), Throws.TypeOf<ArgumentOutOfRangeException>(), "id 7 is outside a vocabulary of 7");
        });
    }

    [Test]
    public void TheSameSeedGivesTheSameTextAndGreedyIgnoresTheSeed()
    {
        using var scope = TensorScope.Begin();
        using Gpt model = TinyGpt();

        // 20 tokens from a 2-token prompt run past the block size of 6, so the context window slides.
        int[] first = GptSampler.Generate(model, [1, 2], 20, 1.0, 0, new Generator(42));
        int[] again = GptSampler.Generate(model, [1, 2], 20, 1.0, 0, new Generator(42));
        int[] other = GptSampler.Generate(model, [1, 2], 20, 1.0, 0, new Generator(43));
        int[] greedy = GptSampler.Generate(model, [1, 2], 20, 0.7, 1, new Generator(1));
        int[] greedyOtherSeed = GptSampler.Generate(model, [1, 2], 20, 1.3, 1, new Generator(2));
        Assert.Multiple(() =>
        {
            Assert.That(first, Has.Length.EqualTo(20).And.All.InRange(0, 6));
            Assert.That(again, Is.EqualTo(first));
            Assert.That(other, Is.Not.EqualTo(first), "an untrained model is close to uniform over 7 tokens, so another seed draws other text");
            Assert.That(greedyOtherSeed, Is.EqualTo(greedy));
        });
    }

    [Test]
    public void GeneratingRecordsNoGraphAndRestoresTrainingMode()
    {
        using var scope = TensorScope.Begin();
        using Gpt model = TinyGpt();
        var seenInForward = new List<(bool GradEnabled, bool Training, bool HasGraph)>();
        using IDisposable hook = model.RegisterForwardHook((module, inputs, output) =>
            seenInForward.Add((Autograd.IsGradEnabled, module.Training, output.RequiresGrad)));
        GptSampler.Generate(model, [3], 4, 1.0, 0, new Generator(5));
        Assert.Multiple(() =>
        {
            Assert.That(seenInForward, Has.Count.EqualTo(4), "one forward per generated token");
            Assert.That(seenInForward, Has.All.EqualTo((false, false, false)), "no gradients, no graph, no dropout while sampling");
            Assert.That(model.Training, Is.True, "the training mode is restored");
            Assert.That(Autograd.IsGradEnabled, Is.True);
        });

        model.Eval();
        GptSampler.Generate(model, [3], 1, 1.0, 0, new Generator(5));
        Assert.That(model.Training, Is.False, "a model in evaluation mode stays there");
    }
}
