using Spamp.Optim;
using static Spamp.Tests.Optim.OptimTestSupport;

namespace Spamp.Tests.Optim;

/// <summary>The optax-style chain gives the fused rules' parameters.</summary>
[TestFixture]
public class ChainTests
{
    private static readonly int[] Sizes = [5, 37, 300];

    [TestCase(DType.Float32, 1e-6)]
    [TestCase(DType.Float64, 1e-13)]
    public void ScaleByAdamDecayLrEqualsFusedAdamW(DType dtype, double rel)
    {
        var (fusedParams, chainParams) = (MakeParams(dtype), MakeParams(dtype));
        var fused = new AdamW(fusedParams, lr: 1e-2, weightDecay: 0.1);
        var chain = Optimizer.Chain(chainParams, 1e-2, new ScaleByAdam(), new AddDecayedWeights(0.1), new ScaleByLearningRate());
        fused.Schedule = chain.Schedule = new LinearWarmup(2, WarmupStyle.PlusOne);
        RunBoth(fused, fusedParams, chain, chainParams, dtype);
        for (int j = 0; j < Sizes.Length; j++)
        {
            AssertClose(Values(fusedParams[j]), Values(chainParams[j]), rel, floor: 1e-3, what: $"tensor {j}");
            Assert.That(chain.States[j].Step, Is.EqualTo(5));
            AssertClose(fused.States[j].Buffers[AdamRule.ExpAvgSq].ToDoubleArray(), chain.States[j].Buffers[AdamRule.ExpAvgSq].ToDoubleArray(), rel, floor: 1e-12, what: "exp_avg_sq");
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void TraceMomentumLrEqualsFusedSgd(bool nesterov)
    {
        var (fusedParams, chainParams) = (MakeParams(DType.Float64), MakeParams(DType.Float64));
        var fused = new Sgd(fusedParams, lr: 0.05, momentum: 0.9, nesterov: nesterov);
        var chain = Optimizer.Chain(chainParams, 0.05, new TraceMomentum(0.9, nesterov: nesterov), new ScaleByLearningRate());
        RunBoth(fused, fusedParams, chain, chainParams, DType.Float64);
        for (int j = 0; j < Sizes.Length; j++)
        {
            AssertClose(Values(fusedParams[j]), Values(chainParams[j]), 1e-13, floor: 1e-3, what: $"tensor {j}");
        }
    }

    private static Parameter[] MakeParams(DType dtype)
    {
        var ps = new Parameter[Sizes.Length];
        for (int j = 0; j < Sizes.Length; j++)
        {
            ps[j] = dtype == DType.Float32 ? Param(RandomFloats(Sizes[j], 100 + j), name: $"p{j}") : Param(RandomDoubles(Sizes[j], 100 + j), name: $"p{j}");
        }

        return ps;
    }

    private static void RunBoth(Optimizer a, Parameter[] pa, Optimizer b, Parameter[] pb, DType dtype)
    {
        for (int step = 0; step < 5; step++)
        {
            for (int j = 0; j < Sizes.Length; j++)
            {
                if (dtype == DType.Float32)
                {
                    float[] g = RandomFloats(Sizes[j], (step * 10) + j, 0.5 + step);
                    SetGrad(pa[j], g);
                    SetGrad(pb[j], g);
                }
                else
                {
                    double[] g = RandomDoubles(Sizes[j], (step * 10) + j, 0.5 + step);
                    SetGrad(pa[j], g);
                    SetGrad(pb[j], g);
                }
            }

            a.Step();
            b.Step();
        }
    }
}
