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

        // `--train-step [model] [steps]`: end-to-end training steps, as ../shared/bench/peer/torch_train.py.
        if (args.Length > 0 && args[0] == "--train-step")
        {
            TrainStep.Run(args.AsSpan(1));
            return;
        }

        // `--gpu-matmul [device] [n...]` and `--gpu-train-step cnn|gpt [device] [steps]`: see GpuBench.
        if (args.Length > 0 && args[0] == "--gpu-matmul")
        {
            GpuBench.MatMul(args.AsSpan(1));
            return;
        }

        if (args.Length > 0 && args[0] == "--gpu-train-step")
        {
            GpuBench.TrainSteps(args.AsSpan(1));
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
