namespace Spamp.Layers;

/// <summary>
/// Weight initialisers with torch.nn.init's names and formulas. Each fills a tensor in place (outside
/// the graph) from an optional <c>generator</c> argument, so a model built with one seeded
/// <see cref="Generator"/> is reproducible; null means <see cref="Generator.Default"/>.
/// </summary>
public static class Init
{
    /// <summary>Fills <paramref name="tensor"/> with samples of U(<paramref name="low"/>, <paramref name="high"/>) (torch.nn.init.uniform_).</summary>
    public static void Uniform(Tensor tensor, double low = 0, double high = 1, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Tensor values = Tensor.Rand(tensor.Shape, tensor.DType, tensor.Device, generator, low, high);
        tensor.CopyFrom(values);
    }

    /// <summary>Fills <paramref name="tensor"/> with samples of N(<paramref name="mean"/>, <paramref name="std"/>^2) (torch.nn.init.normal_).</summary>
    public static void Normal(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using Tensor values = Tensor.Randn(tensor.Shape, tensor.DType, tensor.Device, generator, mean, std);
        tensor.CopyFrom(values);
    }

    /// <summary>Fills with a constant (torch.nn.init.constant_).</summary>
    public static void Constant(Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.FillInPlace(value);
    }

    /// <summary>Fills with ones (torch.nn.init.ones_).</summary>
    public static void Ones(Tensor tensor) => Constant(tensor, 1);

    /// <summary>Fills with zeros (torch.nn.init.zeros_).</summary>
    public static void Zeros(Tensor tensor) => Constant(tensor, 0);

    /// <summary>
    /// He (Kaiming) uniform initialisation (torch.nn.init.kaiming_uniform_): U(-bound, bound) with
    /// bound = gain * sqrt(3 / fan), gain = sqrt(2 / (1 + a^2)) for leaky_relu. PyTorch's Linear and
    /// Conv layers use a = sqrt(5) with fan_in, which gives bound = 1 / sqrt(fan_in).
    /// </summary>
    public static void KaimingUniform(Tensor tensor, double a = 0, bool fanIn = true, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var (inputs, outputs) = FanInAndFanOut(tensor.Shape);
        int fan = fanIn ? inputs : outputs;
        double gain = Math.Sqrt(2.0 / (1 + (a * a)));
        double bound = gain * Math.Sqrt(3.0 / fan);
        Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>Kaiming normal (torch.nn.init.kaiming_normal_): N(0, (gain / sqrt(fan))^2).</summary>
    public static void KaimingNormal(Tensor tensor, double a = 0, bool fanIn = true, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var (inputs, outputs) = FanInAndFanOut(tensor.Shape);
        double gain = Math.Sqrt(2.0 / (1 + (a * a)));
        Normal(tensor, 0, gain / Math.Sqrt(fanIn ? inputs : outputs), generator);
    }

    /// <summary>Xavier (Glorot) uniform (torch.nn.init.xavier_uniform_): U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)).</summary>
    public static void XavierUniform(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var (inputs, outputs) = FanInAndFanOut(tensor.Shape);
        double bound = gain * Math.Sqrt(6.0 / (inputs + outputs));
        Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>Xavier (Glorot) normal (torch.nn.init.xavier_normal_): N(0, gain^2 * 2 / (fan_in + fan_out)).</summary>
    public static void XavierNormal(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var (inputs, outputs) = FanInAndFanOut(tensor.Shape);
        Normal(tensor, 0, gain * Math.Sqrt(2.0 / (inputs + outputs)), generator);
    }

    /// <summary>
    /// PyTorch's fan computation (torch.nn.init._calculate_fan_in_and_fan_out): for a weight of
    /// shape [out, in, k...], fan_in = in * prod(k) and fan_out = out * prod(k).
    /// </summary>
    public static (int FanIn, int FanOut) FanInAndFanOut(Shape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Rank < 2)
        {
            throw new ShapeMismatchException($"init: fan in and fan out cannot be computed for a tensor of shape {shape} (fewer than 2 dimensions)", nameof(shape));
        }

        int receptive = 1;
        for (int i = 2; i < shape.Rank; i++)
        {
            receptive *= shape[i];
        }

        return (shape[1] * receptive, shape[0] * receptive);
    }
}
