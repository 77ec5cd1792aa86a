using BenchmarkDotNet.Attributes;
using Spamp.Layers;

namespace Spamp.Benchmarks;

/// <summary>
/// The two convolution cases of the PyTorch peer (/work/shared/bench/peer/torch_ops.py --only conv),
/// float32 NCHW, 3x3, padding 1, with bias:
/// <list type="bullet">
/// <item><c>conv_1x28_32</c>: N 128, 1 -> 32 channels, 28x28; the input needs no gradient, so the backward is dW and db only.</item>
/// <item><c>conv_64x32_64</c>: N 32, 64 -> 64 channels, 32x32; the backward computes dx, dW and db.</item>
/// </list>
/// "Forward" runs without recording a graph; "ForwardBackward" records it and runs backward with a fixed
/// upstream gradient, dropping the gradients each call (as the peer sets them to None).
/// </summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    private Conv2d _conv = null!;
    private Variable _input = null!;
    private Tensor _upstream = null!;

    [Params("conv_1x28_32", "conv_64x32_64")]
    public string Case { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var (n, cin, cout, size, inputGrad) = Case == "conv_1x28_32" ? (128, 1, 32, 28, false) : (32, 64, 64, 32, true);
        var generator = new Generator(0);
        _conv = new Conv2d(cin, cout, 3, padding: 1, generator: generator);
        _input = new Variable(Tensor.Randn([n, cin, size, size], generator: generator), requiresGrad: inputGrad);
        _upstream = Tensor.Randn([n, cout, size, size], generator: generator);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _conv.Dispose();
        _input.Dispose();
        _upstream.Dispose();
    }

    [Benchmark]
    public void Forward()
    {
        using var scope = TensorScope.Begin();
        using (Autograd.NoGrad())
        {
            _conv.Forward(_input);
        }
    }

    [Benchmark]
    public void ForwardBackward()
    {
        using var scope = TensorScope.Begin();
        _conv.Forward(_input).Backward(_upstream);
        _input.ZeroGrad();
        foreach (Parameter p in _conv.Parameters())
        {
            p.ZeroGrad();
        }
    }
}
