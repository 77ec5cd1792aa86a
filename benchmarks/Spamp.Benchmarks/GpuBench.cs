using System.Diagnostics;
using System.Globalization;
using Spamp.Backends.Gpu;

namespace Spamp.Benchmarks;

/// <summary>
/// Device benchmarks for benchmarks/gpu/run.sh, measured the way benchmarks/gpu/torch_gpu.py measures
/// PyTorch on the same GPU, so the two can be divided:
/// <list type="bullet">
/// <item><c>--gpu-matmul [device] [n...]</c>: square float32 matmul, GFLOP/s = 2 n^3 / t (two warm-up
/// products, then samples of at least 50 ms each, the device synchronised before the clock stops).</item>
/// <item><c>--gpu-train-step cnn|gpt [device] [steps]</c>: the training steps of <see cref="TrainStep"/>
/// (the models of ../shared/bench/peer/torch_train.py) on the device, each step timed up to a
/// device synchronisation, statistics over the steps after the first ten.</item>
/// </list>
/// Each result is also one JSON line (<c>{"bench": ...}</c>) for benchmarks/gpu/compare.py.
/// </summary>
internal static class GpuBench
{
    public static void MatMul(ReadOnlySpan<string> args)
    {
        Device device = args.Length > 0 ? Device.Parse(args[0]) : Device.Cuda(0);
        int[] sizes = args.Length > 1 ? [.. args[1..].ToArray().Select(a => int.Parse(a, CultureInfo.InvariantCulture))] : [1024, 2048, 4096];
        Console.WriteLine($"# float32 matmul on {Describe(device)}");
        Console.WriteLine("     n   GFLOP/s(med)      min      max");
        foreach (int n in sizes)
        {
            var generator = new Generator(42);
            using Tensor a = Tensor.Randn([n, n], device: device, generator: generator);
            using Tensor b = Tensor.Randn([n, n], device: device, generator: generator);
            for (int warmUp = 0; warmUp < 2; warmUp++)
            {
                a.MatMul(b).Dispose();
            }

            Synchronize(device);
            var rates = new List<double>();
            for (int sample = 0; sample < 7; sample++)
            {
                long start = Stopwatch.GetTimestamp();
                int repeats = 0;
                double seconds;
                do
                {
                    a.MatMul(b).Dispose();
                    repeats++;
                    Synchronize(device);
                    seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                }
                while (seconds < 0.05);
                rates.Add(2.0 * n * n * (double)n * repeats / seconds / 1e9);
            }

            rates.Sort();
            double median = rates[rates.Count / 2];
            Console.WriteLine($"{n,6} {median,14:F1} {rates[0],8:F1} {rates[^1],8:F1}");
            Console.WriteLine(Json(("bench", "matmul_f32"), ("impl", "spamp"), ("device", device.ToString()), ("n", n), ("gflops", median)));
        }
    }

    public static void TrainSteps(ReadOnlySpan<string> args)
    {
        if (args.Length == 0 || args[0] is not ("cnn" or "gpt"))
        {
            Console.Error.WriteLine("usage: --gpu-train-step cnn|gpt [device] [steps]");
            Environment.ExitCode = 2;
            return;
        }

        string model = args[0];
        Device device = args.Length > 1 ? Device.Parse(args[1]) : Device.Cuda(0);
        int steps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 60;
        Console.WriteLine($"# {model} training step on {Describe(device)}");
        try
        {
            TrainStep.Run(model, steps, device, () => Synchronize(device), (name, median, min, max, loss) =>
                Console.WriteLine(Json(("bench", "train_step"), ("impl", "spamp"), ("device", device.ToString()), ("model", name),
                    ("ms_med", median), ("ms_min", min), ("ms_max", max), ("final_loss", loss))));
        }
        catch (Exception e) when (Unsupported(e) is { } reason)
        {
            // An operation this build cannot run on the device: one line saying which, not a stack trace.
            Console.WriteLine($"# {model} training step cannot run on {device}: {reason.Message}");
            Environment.ExitCode = 1;
        }
    }

    // The device-support failure behind e, if that is what it is (parallel loops wrap it).
    private static Exception? Unsupported(Exception e) => e switch
    {
        DeviceMismatchException or NotSupportedException => e,
        AggregateException aggregate => aggregate.InnerExceptions.Select(Unsupported).FirstOrDefault(inner => inner is not null),
        _ => null,
    };

    // Waits for the device's queue, as torch.cuda.synchronize() does, so the clock measures the work.
    private static void Synchronize(Device device)
    {
        if (BackendRegistry.For(device) is GpuBackend gpu)
        {
            gpu.Synchronize();
        }
    }

    private static string Describe(Device device) => BackendRegistry.For(device) switch
    {
        Backends.Cuda.CudaBackend cuda => $"{device}: {cuda.Description}",
        Backends.OpenCl.OpenClBackend openCl => $"{device}: {openCl.Description}",
        _ => device.ToString(),
    };

    private static string Json(params (string Key, object Value)[] fields) =>
        "{" + string.Join(", ", fields.Select(f => $"\"{f.Key}\": {Format(f.Value)}")) + "}";

    private static string Format(object value) => value switch
    {
        string s => $"\"{s}\"",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => $"\"{value}\"",
    };
}
