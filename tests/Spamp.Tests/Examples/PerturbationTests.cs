using Spamp.Data;
using Spamp.Examples.Reproduction;

namespace Spamp.Tests.Examples;

[TestFixture]
public class PerturbationTests
{
    [Test]
    public void SpikeScheduleHasTheRateAndDependsOnlyOnTheSeed()
    {
        SpikeSchedule a = SpikeSchedule.Create(1000, 0.02, 5, seed: 7);
        SpikeSchedule b = SpikeSchedule.Create(1000, 0.02, 5, seed: 7);
        SpikeSchedule other = SpikeSchedule.Create(1000, 0.02, 5, seed: 8);
        Assert.Multiple(() =>
        {
            Assert.That(a.Steps, Has.Count.EqualTo(20), "2% of 1000 steps");
            Assert.That(a.Steps, Is.Unique);
            Assert.That(a.Steps, Is.Ordered);
            Assert.That(a.Steps, Has.All.InRange(1L, 1000L));
            Assert.That(b.Steps, Is.EqualTo(a.Steps), "same seed, same schedule");
            Assert.That(other.Steps, Is.Not.EqualTo(a.Steps));
            Assert.That(Enumerable.Range(1, 1000).Count(s => a.LossScale(s) == 5), Is.EqualTo(20));
            Assert.That(Enumerable.Range(1, 1000).Count(s => a.LossScale(s) == 1), Is.EqualTo(980));
            Assert.That(SpikeSchedule.Create(10, 0.02, 5, 1).Steps, Has.Count.EqualTo(1), "a positive rate spikes at least once");
            Assert.That(SpikeSchedule.None.LossScale(3), Is.EqualTo(1));
        });
    }

    [Test]
    public void SpikesSpreadOverTheRun()
    {
        // Over many seeds the spike steps are uniform: their mean is close to the middle of the run.
        double mean = Enumerable.Range(0, 200).SelectMany(seed => SpikeSchedule.Create(1000, 0.02, 5, (ulong)seed).Steps).Average(s => (double)s);
        Assert.That(mean, Is.EqualTo(500.5).Within(15));
    }

    [Test]
    public void BatchSizeAlternates()
    {
        BatchSizeSchedule everyStep = BatchSizeSchedule.Alternating(16, 512);
        BatchSizeSchedule blocks = BatchSizeSchedule.Alternating(16, 512, period: 3);
        Assert.Multiple(() =>
        {
            Assert.That(Enumerable.Range(1, 6).Select(s => everyStep.SizeAt(s)), Is.EqualTo(new[] { 16, 512, 16, 512, 16, 512 }));
            Assert.That(Enumerable.Range(1, 8).Select(s => blocks.SizeAt(s)), Is.EqualTo(new[] { 16, 16, 16, 512, 512, 512, 16, 16 }));
            Assert.That(everyStep.MeanSize(100), Is.EqualTo(264), "half the steps of each size");
            Assert.That(everyStep.Alternates && !BatchSizeSchedule.Constant(64).Alternates, Is.True);
            Assert.That(BatchSizeSchedule.Constant(64).SizeAt(17), Is.EqualTo(64));
            Assert.That(everyStep.MaxBatchSize, Is.EqualTo(512));
        });
    }

    [Test]
    public void LabelNoiseCorruptsTheExactFractionWithWrongLabelsInRange()
    {
        long[] labels = [.. Enumerable.Range(0, 1000).Select(i => (long)(i % 10))];
        var (noisy, changed) = LabelNoise.Corrupt(labels, 10, 0.2, seed: 3);
        int[] differing = [.. Enumerable.Range(0, labels.Length).Where(i => noisy[i] != labels[i])];
        Assert.Multiple(() =>
        {
            Assert.That(changed, Has.Length.EqualTo(200));
            Assert.That(differing, Is.EqualTo(changed.Select(i => (int)i)), "every chosen label changes, no other does");
            Assert.That(noisy, Has.All.InRange(0L, 9L));
            Assert.That(labels.Take(10), Is.EqualTo(new long[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }), "the input is left alone");
            Assert.That(LabelNoise.Corrupt(labels, 10, 0.2, seed: 3).Labels, Is.EqualTo(noisy), "same seed, same labels");
            Assert.That(LabelNoise.Corrupt(labels, 10, 0.2, seed: 4).Labels, Is.Not.EqualTo(noisy));
            Assert.That(LabelNoise.Corrupt(labels, 10, 0, seed: 3).Labels, Is.EqualTo(labels));
        });
    }

    [Test]
    public void NoisyLabelsSpreadOverTheWrongClasses()
    {
        // Binary labels can only flip; with ten classes every wrong class turns up.
        var (binary, _) = LabelNoise.Corrupt([.. Enumerable.Repeat(1L, 100)], 2, 0.4, seed: 1);
        var (ten, changed) = LabelNoise.Corrupt([.. Enumerable.Repeat(0L, 2000)], 10, 0.5, seed: 1);
        Assert.Multiple(() =>
        {
            Assert.That(binary.Count(l => l == 0), Is.EqualTo(40));
            Assert.That(changed.Select(i => ten[i]).Distinct().Order(), Is.EqualTo(new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }));
            Assert.That(changed.Select(i => ten[i]).GroupBy(l => l).Select(g => g.Count()), Has.All.InRange(80, 145), "about 1000/9 each");
        });
    }

    [Test]
    public void NoisyDataSetSharesTheInputs()
    {
        using TensorDataset data = ExampleTestSupport.Blobs(count: 100);
        using TensorDataset noisy = LabelNoise.Apply(data, 3, 0.3, seed: 2);
        long[] before = data.Targets.ToArray<long>(), after = noisy.Targets.ToArray<long>();
        Assert.Multiple(() =>
        {
            Assert.That(Enumerable.Range(0, 100).Count(i => before[i] != after[i]), Is.EqualTo(30));
            Assert.That(noisy.Inputs.ToArray<float>(), Is.EqualTo(data.Inputs.ToArray<float>()));
        });
        noisy.Dispose();
        Assert.That(data.Inputs.ToArray<float>(), Has.Length.EqualTo(800), "disposing the noisy set leaves the original usable");
    }

    [Test]
    public void BatchStreamWithAConstantSizeGivesTheDataLoadersBatches()
    {
        // 100 examples in batches of 32: three per epoch, the last 4 dropped; the fourth batch starts epoch 1.
        using TensorDataset data = ExampleTestSupport.Blobs(count: 100);
        var loader = new DataLoader(data, 32, shuffle: true, seed: 9, dropLast: true, prefetch: 0);
        var stream = new BatchStream(data, 9);
        foreach (int epoch in (int[])[0, 1])
        {
            foreach (Batch expected in loader.Epoch(epoch))
            {
                using (expected)
                using (Batch actual = stream.Next(32))
                {
                    Assert.That(actual.Targets.ToArray<long>(), Is.EqualTo(expected.Targets.ToArray<long>()), $"epoch {epoch} batch {expected.Index}");
                    Assert.That(actual.Index, Is.EqualTo(expected.Index));
                }
            }
        }

        Assert.That(stream.Epoch, Is.EqualTo(1));
    }

    [Test]
    public void BatchStreamServesChangingSizes()
    {
        using TensorDataset data = ExampleTestSupport.Blobs(count: 100);
        var stream = new BatchStream(data, 1);
        int[] sizes = [16, 64, 16, 64];
        foreach (int size in sizes)
        {
            using Batch batch = stream.Next(size);
            Assert.That(batch.Count, Is.EqualTo(size));
        }

        Assert.That(stream.Epoch, Is.EqualTo(1), "16 + 64 + 16 = 96 fit in epoch 0; the next 64 do not");
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Next(101));
    }
}
