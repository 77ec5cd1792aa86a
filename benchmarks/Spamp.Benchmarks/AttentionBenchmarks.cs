using BenchmarkDotNet.Attributes;

namespace Spamp.Benchmarks;

/// <summary>
/// Causal scaled-dot-product attention at B8 H4 T128 D64, the case of the PyTorch peer
/// (/work/shared/bench/peer/torch_ops.py, "attention_causal_b8h4t128d64"): forward under no-grad,
/// and forward + backward with a fixed upstream gradient (fresh leaves each call, so no accumulation).
/// </summary>
public class AttentionBenchmarks
{
    private const int B = 8, H = 4, T = 128, D = 64;
    private Tensor _q = null!, _k = null!, _v = null!, _upstream = null!;

    [GlobalSetup]
    public void Setup()
    {
        _q = Tensor.Randn([B, H, T, D], generator: new Generator(1));
        _k = Tensor.Randn([B, H, T, D], generator: new Generator(2));
        _v = Tensor.Randn([B, H, T, D], generator: new Generator(3));
        _upstream = Tensor.Randn([B, H, T, D], generator: new Generator(4));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _q.Dispose();
        _k.Dispose();
        _v.Dispose();
        _upstream.Dispose();
    }

    [Benchmark]
    public void Forward()
    {
        using var scope = TensorScope.Begin();
        using (Autograd.NoGrad())
        {
            Tensor.ScaledDotProductAttention(_q, _k, _v, isCausal: true);
        }
    }

    [Benchmark]
    public void ForwardBackward()
    {
        using var scope = TensorScope.Begin();
        var q = new Variable(_q.Alias(), requiresGrad: true);
        var k = new Variable(_k.Alias(), requiresGrad: true);
        var v = new Variable(_v.Alias(), requiresGrad: true);
        Variable y = Variable.ScaledDotProductAttention(q, k, v, isCausal: true);
        y.Backward(_upstream);
    }
}
