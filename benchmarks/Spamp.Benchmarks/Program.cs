using BenchmarkDotNet.Running;

namespace Spamp.Benchmarks;

public static class Program
{
    public static void Main(string[] args)
    {
        // `--quick-gemm [sizes...]`: a fast stopwatch loop for tuning, outside BenchmarkDotNet.
        if (args.Length > 0 && args[0] == "--quick-gemm")
        {
            QuickGemm.Run(args.AsSpan(1));
            return;
        }

        // `--quick-optim [reps]`: the optimizer step with the peer script's timing method.
        if (args.Length > 0 && args[0] == "--quick-optim")
        {
            OptimizerStepBenchmarks.Quick(args.AsSpan(1));
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
