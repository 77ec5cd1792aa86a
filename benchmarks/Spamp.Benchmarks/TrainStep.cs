using System.Diagnostics;
using System.Globalization;
using Spamp.Layers;
using Spamp.Optim;

namespace Spamp.Benchmarks;

/// <summary>
/// End-to-end training-step timing, the counterpart of ../shared/bench/peer/torch_train.py: the
/// same models, batch sizes, optimizers and timing method (synthetic data, one fixed batch reused,
/// each step = zero_grad + forward + cross-entropy + backward + optimizer step, timed one by one;
/// statistics over steps 10..59). Run:
/// <c>dotnet run -c Release --project benchmarks/Spamp.Benchmarks -- --train-step [gpt|mlp|cnn|resnet18] [steps]</c>
/// </summary>
internal static class TrainStep
{
    private sealed record Case(string Name, Func<Generator, Module> Model, Func<Module, Optimizer> Optimizer,
        Func<Generator, (Tensor Input, Tensor Target)> Batch, Func<Module, Tensor, Variable> Forward);

    private static readonly Case[] Cases =
    [
        new("gpt_char_l4_d256_t128_b32_adamw",
            g => new Gpt(new GptConfig { VocabSize = 256, BlockSize = 128, NLayer = 4, NHead = 4, NEmbd = 256, TieWeights = false }, g),
            m => new AdamW(m.Parameters(), lr: 3e-4, weightDecay: 0.1),
            g => (RandomTokens(g, [32, 128], 256), RandomTokens(g, [32 * 128], 256)),
            (m, x) => ((Gpt)m).Forward(x).Reshape(-1, 256)),
        new("cnn_mnist_b128_adam",
            g => new Sequential(new Conv2d(1, 32, 3, padding: 1, generator: g), new ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, 3, padding: 1, generator: g), new ReLU(), new MaxPool2d(2), new Flatten(),
                new Linear(64 * 7 * 7, 128, generator: g), new ReLU(), new Linear(128, 10, generator: g)),
            m => new Adam(m.Parameters(), lr: 1e-3),
            g => (Tensor.Randn([128, 1, 28, 28], generator: g), RandomTokens(g, [128], 10)),
            (m, x) => m.Forward(new Variable(x))),
        new("resnet18_fmnist_b32_adam",
            g => ResNet.ResNet18(numClasses: 10, stem: ResNetStem.FashionMnist, generator: g),
            m => new Adam(m.Parameters(), lr: 1e-3),
            g => (Tensor.Randn([32, 1, 28, 28], generator: g), RandomTokens(g, [32], 10)),
            (m, x) => m.Forward(new Variable(x))),
        new("mlp_784_512_512_10_b128_sgd",
            g => new Sequential(new Linear(784, 512, generator: g), new ReLU(), new Linear(512, 512, generator: g), new ReLU(), new Linear(512, 10, generator: g)),
            m => new Sgd(m.Parameters(), lr: 0.01),
            g => (Tensor.Randn([128, 784], generator: g), RandomTokens(g, [128], 10)),
            (m, x) => m.Forward(new Variable(x))),
    ];

    public static void Run(ReadOnlySpan<string> args)
    {
        string only = args.Length > 0 ? args[0] : "";
        int steps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60;
        Run(only, steps, Device.Cpu, synchronize: () => { }, report: null);
    }

    /// <summary>
    /// Times <paramref name="steps"/> steps of every case whose name contains <paramref name="only"/>
    /// on <paramref name="device"/>; each step ends with <paramref name="synchronize"/> before the clock
    /// stops (a GPU queues work and returns). Prints a table row per case and hands the statistics
    /// (name, median, min, max ms, final loss) to <paramref name="report"/>.
    /// </summary>
    public static void Run(string only, int steps, Device device, Action synchronize, Action<string, double, double, double, double>? report)
    {
        // Statistics over the steps after ten warm-up steps, as the peer script; shorter runs keep them all.
        int skip = steps > 10 ? 10 : 0;
        Console.WriteLine($"{"model",-34} {"ms_med",8} {"ms_min",8} {"ms_max",8} {"final_loss",10}");
        foreach (Case c in Cases)
        {
            if (only.Length > 0 && !c.Name.Contains(only, StringComparison.Ordinal))
            {
                continue;
            }

            var generator = new Generator(0);
            using Module model = c.Model(generator);
            model.To(device);
            Optimizer optimizer = c.Optimizer(model);
            var (hostInput, hostTarget) = c.Batch(generator);
            Tensor input = hostInput.To(device), target = hostTarget.To(device);
            var times = new List<double>();
            double loss = 0;
            for (int step = 0; step < steps; step++)
            {
                long start = Stopwatch.GetTimestamp();
                using (TensorScope.Begin())
                {
                    optimizer.ZeroGrad();
                    Variable logits = c.Forward(model, input);
                    Variable l = Functional.CrossEntropy(logits, target);
                    l.Backward();
                    optimizer.Step();
                    synchronize();
                    if (step == steps - 1)
                    {
                        loss = l.Data.ItemAsDouble();
                    }
                }

                times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            optimizer.ZeroGrad();
            foreach (Tensor t in new[] { input, target, hostInput, hostTarget }.Distinct())
            {
                t.Dispose();
            }

            List<double> timed = [.. times.Skip(skip).Order()];
            Console.WriteLine($"{c.Name,-34} {timed[timed.Count / 2],8:F2} {timed[0],8:F2} {timed[^1],8:F2} {loss,10:F4}");
            report?.Invoke(c.Name, timed[timed.Count / 2], timed[0], timed[^1], loss);
        }
    }

    private static Tensor RandomTokens(Generator generator, int[] shape, int vocab)
    {
        using Tensor uniform = Tensor.Rand(shape, DType.Float64, generator: generator, high: vocab);
        return uniform.To(DType.Int64);
    }
}
