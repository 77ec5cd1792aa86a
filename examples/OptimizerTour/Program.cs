// Optimizer tour: the same small MLP (64-128-10, ReLU) trained on the UCI handwritten digits with
// AdamW alone and with each gradient-shaping method of Spamp.Optim in front of it (plus the full
// SPAM and Stable-SPAM optimizers). Same initial weights, same data order, same step count for
// every method; the table at the end shows the final training loss and the test accuracy.
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using Spamp;
using Spamp.Optim;

const int Steps = 300, Batch = 64, Inputs = 64, Hidden = 128, Classes = 10;
const double Lr = 2e-3, WeightDecay = 1e-2;

var (pixels, labels) = LoadDigits(Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz"));
int count = labels.Length, trainCount = count * 4 / 5;
int[] split = Permutation(count, new System.Random(2024));     // fixed 80/20 split
var (trainX, trainY) = Take(split[..trainCount]);
var (testX, testY) = Take(split[trainCount..]);

// One data order for every method: shuffled epochs, cut into batches.
var batchOrder = new List<int[]>();
var orderRandom = new System.Random(7);
while (batchOrder.Count < Steps)
{
    int[] epoch = Permutation(trainCount, orderRandom);
    for (int start = 0; start + Batch <= trainCount && batchOrder.Count < Steps; start += Batch)
    {
        batchOrder.Add(epoch[start..(start + Batch)]);
    }
}

// One initialisation for every method (PyTorch's Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in))).
var initRandom = new System.Random(11);
float[] w1Init = Uniform(Inputs * Hidden, 1 / Math.Sqrt(Inputs)), b1Init = Uniform(Hidden, 1 / Math.Sqrt(Inputs));
float[] w2Init = Uniform(Hidden * Classes, 1 / Math.Sqrt(Hidden)), b2Init = Uniform(Classes, 1 / Math.Sqrt(Hidden));

Optimizer AdamW(Parameter[] p, params IGradientTransform[] chain) =>
    new(p, Lr, WeightDecay, new AdamRule(decoupledWeightDecay: true), chain);

// SPAM's reset interval and warmup scaled down to a 300-step run (the paper's 500/150 would never reset).
var methods = new (string Name, Func<Parameter[], Optimizer> Make)[]
{
    ("AdamW", p => AdamW(p)),
    ("+ clip_grad_norm 1.0", p => AdamW(p, new ClipGradNorm(1.0))),
    ("+ warmup (5%) + clip", p => { var o = AdamW(p); WarmupClip.Attach(o, Steps, 0.05); return o; }),
    ("+ GradNorm lr scaling", p => AdamW(p, new GradNormScaling(muMax: 10))),
    ("+ ZClip", p => AdamW(p, new ZClip())),
    ("+ ZClip (no hard clip)", p => AdamW(p, new ZClip { MaxGradNorm = null })),
    ("+ AdaGC", p => AdamW(p, new AdaGC())),
    ("+ SPAMP", p => AdamW(p, new SpampShaping())),
    ("+ SPAMP + update clip", p => AdamW(p, new SpampShaping { UpdateClipping = true })),
    ("+ SPAMP, no power shaping", p => AdamW(p, SpampShaping.Preset(SpampAblation.NoPowerShaping))),
    ("+ GradientStabilizer", p => AdamW(p, new GradientStabilizer())),
    ("+ EntryShrink (GaussGate)", p => AdamW(p, new EntryShrink())),
    ("+ SPAM pieces", p => AdamW(p, new SpamMomentumReset { ResetInterval = 100, WarmupSteps = 20 },
        new SpamSpikeClip { ResetInterval = 100, ClipOffWindow = 5 })),
    ("SPAM", p => new Optimizer(p, Lr, WeightDecay, new SpamRule { ResetInterval = 100, WarmupSteps = 20, ClipOffWindow = 5 })),
    ("Stable-SPAM", p => new Optimizer(p, Lr, WeightDecay, new StableSpamRule { ResetInterval = 100 })),
};

Console.WriteLine($"UCI digits: {trainCount} train / {count - trainCount} test, MLP {Inputs}-{Hidden}-{Classes}, {Steps} steps of {Batch}, lr {Lr}, wd {WeightDecay}");
Console.WriteLine();
Console.WriteLine($"{"method",-28} {"train loss",10} {"test acc",9} {"time",8}");
Console.WriteLine(new string('-', 58));
foreach (var (name, make) in methods)
{
    using var w1 = new Parameter(Tensor.From((float[])w1Init.Clone(), Inputs, Hidden), "weight", "fc1");
    using var b1 = new Parameter(Tensor.From((float[])b1Init.Clone(), Hidden), "bias", "fc1");
    using var w2 = new Parameter(Tensor.From((float[])w2Init.Clone(), Hidden, Classes), "weight", "fc2");
    using var b2 = new Parameter(Tensor.From((float[])b2Init.Clone(), Classes), "bias", "fc2");
    Parameter[] parameters = [w1, b1, w2, b2];
    Optimizer optimizer = make(parameters);
    var clock = Stopwatch.StartNew();
    foreach (int[] batch in batchOrder)
    {
        using var scope = TensorScope.Begin();
        var (xb, yb) = Gather(trainX, trainY, batch);
        Variable loss = Loss(Forward(new Variable(xb)), yb);
        optimizer.ZeroGrad();
        loss.Backward();
        optimizer.Step();
    }

    clock.Stop();
    double trainLoss, accuracy;
    using (var scope = TensorScope.Begin())
    using (Autograd.NoGrad())
    {
        trainLoss = Loss(Forward(new Variable(trainX)), trainY).Data.ItemAsDouble();
        long[] predicted = Forward(new Variable(testX)).Data.ArgMax(1).ToArray<long>();
        long[] truth = testY.ToArray<long>();
        accuracy = predicted.Zip(truth).Count(pair => pair.First == pair.Second) / (double)truth.Length;
    }

    Console.WriteLine($"{name,-28} {trainLoss,10:F4} {accuracy,9:P1} {clock.ElapsedMilliseconds,6} ms");

    Variable Forward(Variable x) => ((x.MatMul(w1) + b1).Relu().MatMul(w2)) + b2;
}

// Softmax cross-entropy: the mean of -log_softmax(logits)[label].
static Variable Loss(Variable logits, Tensor labels) => -logits.LogSoftmax(1).Gather(1, labels).Mean();

(Tensor X, Tensor Y) Take(int[] rows) => Gather(Tensor.From(pixels, count, Inputs), Tensor.From(labels, count, 1), rows, own: true);

static (Tensor X, Tensor Y) Gather(Tensor x, Tensor y, int[] rows, bool own = false)
{
    using Tensor index = Tensor.From(rows.Select(r => (long)r).ToArray(), rows.Length);
    (Tensor X, Tensor Y) result = (x.IndexSelect(0, index), y.IndexSelect(0, index));
    if (own)
    {
        x.Dispose();
        y.Dispose();
        result = (TensorScope.Detach(result.X), TensorScope.Detach(result.Y));
    }

    return result;
}

static int[] Permutation(int n, System.Random random)
{
    int[] p = [.. Enumerable.Range(0, n)];
    random.Shuffle(p);
    return p;
}

float[] Uniform(int n, double bound) => [.. Enumerable.Range(0, n).Select(_ => (float)(((initRandom.NextDouble() * 2) - 1) * bound))];

// The CSV holds 64 pixels (0..16) and a label per line; pixels are scaled to [0, 1].
static (float[] Pixels, long[] Labels) LoadDigits(string path)
{
    using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
    var pixels = new List<float>();
    var labels = new List<long>();
    while (reader.ReadLine() is { Length: > 0 } line)
    {
        string[] fields = line.Split(',');
        for (int i = 0; i < 64; i++)
        {
            pixels.Add(float.Parse(fields[i], CultureInfo.InvariantCulture) / 16f);
        }

        labels.Add(long.Parse(fields[64], CultureInfo.InvariantCulture));
    }

    return ([.. pixels], [.. labels]);
}
