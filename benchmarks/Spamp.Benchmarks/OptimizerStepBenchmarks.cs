using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Spamp.Optim;

namespace Spamp.Benchmarks;

/// <summary>
/// One optimizer step over 10M float32 parameters in 50 tensors of 200K with preset gradients, the
/// workload of the PyTorch peer (<c>torch_ops.py --only adamw</c>: AdamW, foreach off and on). State
/// is created in the setup step, so a measured step only reads and writes pooled buffers (28 bytes
/// per parameter for AdamW: p, g, m, v read; p, m, v written).
/// </summary>
[MemoryDiagnoser]
public class OptimizerStepBenchmarks
{
    /// <summary>Tensors in the model.</summary>
    public const int Tensors = 50;

    /// <summary>Elements per tensor.</summary>
    public const int ElementsPerTensor = 200_000;

    private Parameter[] _parameters = [];
    private Optimizer? _adamW;
    private Optimizer? _adamWClip;
    private Optimizer? _adamWSpamp;

    [GlobalSetup]
    public void Setup()
    {
        _parameters = CreateParameters();
        _adamW = new AdamW(_parameters, lr: 1e-3);
        _adamW.Step();

        // The slots below use the shaping transforms of the optim-shaping branch (merged).
        Parameter[] clipParameters = CreateParameters();
        _adamWClip = new AdamW(clipParameters, lr: 1e-3, shaping: new ClipGradNorm(1.0));
        _adamWClip.Step();
        Parameter[] spampParameters = CreateParameters();
        _adamWSpamp = new AdamW(spampParameters, lr: 1e-3, shaping: new SpampShaping());
        _adamWSpamp.Step();
    }

    [GlobalCleanup]
    public void Cleanup() => _parameters = [];

    /// <summary>AdamW, fused: one pass per tensor.</summary>
    [Benchmark(Baseline = true)]
    public StepReport? AdamWStep() => _adamW!.Step();

    /// <summary>AdamW after global-norm clipping (clip_grad_norm_ semantics, max norm 1): a norm pass, a scale pass, the AdamW pass.</summary>
    [Benchmark]
    public StepReport? AdamWWithGlobalClip() => _adamWClip!.Step();

    /// <summary>AdamW after SPAMP shaping (SPAMP-R defaults).</summary>
    [Benchmark]
    public StepReport? AdamWWithSpamp() => _adamWSpamp!.Step();

    /// <summary>50 x 200K float32 parameters with N(0,1)-like values and gradients.</summary>
    public static Parameter[] CreateParameters()
    {
        var generator = new Generator(7);
        var parameters = new Parameter[Tensors];
        for (int j = 0; j < Tensors; j++)
        {
            parameters[j] = new Parameter(Tensor.Randn(new Shape(ElementsPerTensor), generator: generator), "weight", $"layers.{j}")
            {
                Grad = TensorScope.Detach(Tensor.Randn(new Shape(ElementsPerTensor), generator: generator)),
            };
        }

        return parameters;
    }

    /// <summary>
    /// A stopwatch loop with the peer script's method (<c>--quick-optim [reps]</c>): warm-up calls,
    /// then samples that each repeat the step for at least 20 ms; prints median, min and max ms per
    /// step for AdamW and, interleaved, the two shaping slots.
    /// </summary>
    public static void Quick(ReadOnlySpan<string> args)
    {
        int reps = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 11;
        var bench = new OptimizerStepBenchmarks();
        bench.Setup();
        var cases = new (string Name, Func<StepReport?> Step)[]
        {
            ("adamw_10M_50t", bench.AdamWStep),
            ("adamw_clip_10M_50t", bench.AdamWWithGlobalClip),
            ("adamw_spamp_10M_50t", bench.AdamWWithSpamp),
        };
        var samples = cases.Select(_ => new List<double>()).ToArray();
        foreach (var (_, step) in cases)
        {
            for (int w = 0; w < 3; w++)
            {
                step();
            }
        }

        for (int r = 0; r < reps; r++)
        {
            for (int c = 0; c < cases.Length; c++)
            {
                var watch = Stopwatch.StartNew();
                int calls = 0;
                do
                {
                    cases[c].Step();
                    calls++;
                }
                while (watch.Elapsed.TotalMilliseconds < 20);
                samples[c].Add(watch.Elapsed.TotalMilliseconds / calls);
            }
        }

        Console.WriteLine($"{"case",-24} {"ms_med",9} {"ms_min",9} {"ms_max",9} {"GB/s (28 B/param)",18}");
        for (int c = 0; c < cases.Length; c++)
        {
            var sorted = samples[c].Order().ToArray();
            double median = sorted[sorted.Length / 2];
            double gbps = 28.0 * Tensors * ElementsPerTensor / (median * 1e6);
            Console.WriteLine($"{cases[c].Name,-24} {median,9:F3} {sorted[0],9:F3} {sorted[^1],9:F3} {gbps,18:F1}");
        }
    }
}
