using FsCheck;
using FsCheck.Fluent;

namespace Spamp.Tests.Tensors;

/// <summary>
/// Properties of broadcasting and of the view algebra, checked by FsCheck on random shapes,
/// permutations and slices: views must read exactly the elements the index arithmetic says.
/// </summary>
[TestFixture]
public class ViewPropertyTests
{
    private static readonly Config Checks = Config.QuickThrowOnFailure.WithMaxTest(60);

    private static Gen<int[]> Shapes(int maxRank, int maxSize) =>
        Gen.Choose(0, maxRank).SelectMany(rank => Gen.Choose(1, maxSize).ArrayOf(rank));

    /// <summary>A tensor whose element at flat index i has the value i, so values name positions.</summary>
    private static Tensor Positions(int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        return Tensor.Arange(0, n, 1, DType.Float64).Reshape(shape);
    }

    [Test]
    public void BroadcastIsSymmetricAndBothSidesExpandToIt()
    {
        var pairs = Shapes(4, 3).SelectMany(a => Gen.Elements(0, 1).ArrayOf(a.Length).Select(mask =>
            (a, b: a.Select((d, i) => mask[i] == 1 ? 1 : d).Skip(a.Length > 0 ? mask[0] : 0).ToArray())));
        Check.One(Checks, Prop.ForAll(pairs.ToArbitrary(), pair =>
        {
            Shape? ab = Shape.TryBroadcast(new Shape(pair.a), new Shape(pair.b));
            Shape? ba = Shape.TryBroadcast(new Shape(pair.b), new Shape(pair.a));
            if (ab is null || ab != ba || ab != new Shape(pair.a))
            {
                return false;
            }

            using Tensor small = Positions(pair.b);
            using Tensor expanded = small.Expand(ab.ToArray());
            double[] got = expanded.ToArray<double>();
            double[] source = small.ToArray<double>();
            // Element i of the result must come from the source index with broadcast dimensions pinned to 0.
            int[] strides = new Shape(pair.b).ContiguousStrides();
            int lead = ab.Rank - pair.b.Length;
            for (int flat = 0; flat < got.Length; flat++)
            {
                int rest = flat, src = 0;
                for (int d = ab.Rank - 1; d >= 0; d--)
                {
                    int i = rest % ab[d];
                    rest /= ab[d];
                    if (d >= lead && pair.b[d - lead] != 1)
                    {
                        src += i * strides[d - lead];
                    }
                }

                if (got[flat] != source[src])
                {
                    return false;
                }
            }

            return true;
        }));
    }

    [Test]
    public void PermuteThenInverseIsTheIdentity()
    {
        var cases = Shapes(4, 4).Where(s => s.Length > 0)
            .SelectMany(s => Gen.Shuffle(Enumerable.Range(0, s.Length).ToArray()).Select(p => (s, p)));
        Check.One(Checks, Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var inverse = new int[c.p.Length];
            for (int i = 0; i < c.p.Length; i++)
            {
                inverse[c.p[i]] = i;
            }

            using Tensor x = Positions(c.s);
            using Tensor permuted = x.Permute(c.p);
            using Tensor back = permuted.Permute(inverse);
            return back.Shape == x.Shape && back.ToArray<double>().SequenceEqual(x.ToArray<double>())
                && permuted.Shape.ToArray().SequenceEqual(c.p.Select(d => c.s[d]));
        }));
    }

    [Test]
    public void ReshapeOfANonContiguousViewMatchesReshapeOfItsCopy()
    {
        var cases = Shapes(3, 4).Where(s => s.Length >= 2).SelectMany(s => Gen.Shuffle(Enumerable.Range(0, s.Length).ToArray()).Select(p => (s, p)));
        Check.One(Checks, Prop.ForAll(cases.ToArbitrary(), c =>
        {
            using Tensor x = Positions(c.s);
            using Tensor permuted = x.Permute(c.p);
            using Tensor flatView = permuted.Reshape(-1);
            using Tensor copy = permuted.Contiguous();
            using Tensor flatCopy = copy.Reshape(-1);
            return flatView.ToArray<double>().SequenceEqual(flatCopy.ToArray<double>());
        }));
    }

    [Test]
    public void NarrowOfNarrowIsOneNarrowAndSliceStepsPickEveryStepThElement()
    {
        var cases = Gen.Choose(2, 12).SelectMany(n => Gen.Choose(0, n - 1).SelectMany(a => Gen.Choose(0, n - a).SelectMany(len =>
            Gen.Choose(0, len).SelectMany(b => Gen.Choose(0, len - b).SelectMany(len2 => Gen.Choose(1, 3).Select(step => (n, a, len, b, len2, step)))))));
        Check.One(Checks, Prop.ForAll(cases.ToArbitrary(), c =>
        {
            using Tensor x = Positions([3, c.n]);
            using Tensor first = x.Narrow(1, c.a, c.len);
            using Tensor twice = first.Narrow(1, c.b, c.len2);
            using Tensor once = x.Narrow(1, c.a + c.b, c.len2);
            using Tensor stepped = x.Slice(1, c.a, c.a + c.len, c.step);
            double[] expected = Enumerable.Range(0, 3).SelectMany(r => Enumerable.Range(0, c.len).Where(i => i % c.step == 0).Select(i => (double)((r * c.n) + c.a + i))).ToArray();
            return twice.ToArray<double>().SequenceEqual(once.ToArray<double>()) && stepped.ToArray<double>().SequenceEqual(expected);
        }));
    }

    [Test]
    public void ViewSucceedsExactlyWhenPyTorchsRuleAllowsAndThenReadsTheSameElements()
    {
        // A transposed [a,b] matrix can be viewed as [b,a] only by splitting/merging dims that stay contiguous.
        using Tensor x = Positions([2, 3, 4]);
        using Tensor t = x.Transpose(1, 2); // [2,4,3], not contiguous
        Assert.That(() => t.View(2, 12), Throws.TypeOf<ShapeMismatchException>().With.Message.Contains("without a copy"));
        using Tensor split = t.View(2, 2, 2, 3); // splitting the 4 (stride 1) is fine
        using Tensor copy = t.Contiguous();
        using Tensor copySplit = copy.View(2, 2, 2, 3);
        Assert.That(split.ToArray<double>(), Is.EqualTo(copySplit.ToArray<double>()));
    }
}
