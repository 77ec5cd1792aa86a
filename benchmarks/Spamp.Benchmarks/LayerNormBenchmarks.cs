using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Spamp.Layers;

namespace Spamp.Benchmarks;

/// <summary>
/// The fused layer-norm and cross-entropy kernels at the sizes of the PyTorch peer
/// (/work/shared/bench/peer/torch_ops.py: layer_norm_4096x512 and cross_entropy_4096x1000), float32:
/// "fwd" without recording the graph, "fwd+bwd" = forward and backward with a fixed upstream gradient,
/// gradients reset to none before each call (as the peer does). Every call runs in a
/// <see cref="TensorScope"/>, so its temporaries go back to the pool.
/// </summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 11)]
public class LayerNormBenchmarks
{
    private LayerNorm _norm = null!;
    private Variable _x = null!;
    private Tensor _upstream = null!;
    private Variable _logits = null!;
    private Tensor _targets = null!;

    [GlobalSetup]
    public void Setup()
    {
        var generator = new Generator(0);
        _norm = new LayerNorm(512);
        _x = new Variable(Tensor.Randn([4096, 512], generator: generator), requiresGrad: true);
        _upstream = Tensor.Randn([4096, 512], generator: generator);
        _logits = new Variable(Tensor.Randn([4096, 1000], generator: generator), requiresGrad: true);
        long[] targets = new long[4096];
        var random = new Random(0);
        for (int i = 0; i < targets.Length; i++)
        {
            targets[i] = random.Next(1000);
        }

        _targets = Tensor.From(targets, 4096);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _norm.Dispose();
        _x.Dispose();
        _upstream.Dispose();
        _logits.Dispose();
        _targets.Dispose();
    }

    [Benchmark(Description = "layer_norm_4096x512 fwd")]
    public void LayerNormForward()
    {
        using var scope = TensorScope.Begin();
        using (Autograd.NoGrad())
        {
            _norm.Forward(_x);
        }
    }

    [Benchmark(Description = "layer_norm_4096x512 fwd+bwd")]
    public void LayerNormForwardBackward()
    {
        using var scope = TensorScope.Begin();
        _x.ZeroGrad();
        _norm.Weight!.ZeroGrad();
        _norm.Bias!.ZeroGrad();
        _norm.Forward(_x).Backward(_upstream);
    }

    [Benchmark(Description = "cross_entropy_4096x1000 fwd")]
    public void CrossEntropyForward()
    {
        using var scope = TensorScope.Begin();
        using (Autograd.NoGrad())
        {
            Functional.CrossEntropy(_logits, _targets);
        }
    }

    [Benchmark(Description = "cross_entropy_4096x1000 fwd+bwd")]
    public void CrossEntropyForwardBackward()
    {
        using var scope = TensorScope.Begin();
        _logits.ZeroGrad();
        Functional.CrossEntropy(_logits, _targets).Backward();
    }
}
