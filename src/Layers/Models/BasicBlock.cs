namespace Spamp.Layers;

/// <summary>
/// torchvision's ResNet BasicBlock: out = relu(bn2(conv2(relu(bn1(conv1(x))))) + identity), with two
/// 3x3 convolutions without bias (conv1 carries the stride) and identity = x, or
/// <c>downsample</c>(x) = BatchNorm(conv 1x1 with the stride)(x) when the stride or channel count
/// changes. Module names (conv1, bn1, conv2, bn2, downsample.0, downsample.1) are torchvision's, so
/// state dicts interchange.
/// </summary>
public sealed class BasicBlock : Module
{
    /// <summary>BasicBlock keeps the channel count of its second convolution (expansion 1).</summary>
    public const int Expansion = 1;

    /// <summary>Creates the block.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Output channels.</param>
    /// <param name="stride">Stride of conv1 (and of the downsample convolution); default 1.</param>
    /// <param name="dtype">Parameter element type (default float32).</param>
    /// <param name="device">Parameter device (default CPU).</param>
    /// <param name="generator">Source of conv1/conv2/downsample initial values (default generator when null).</param>
    public BasicBlock(int inPlanes, int planes, int stride = 1, DType dtype = DType.Float32, Device? device = null, Generator? generator = null)
    {
        Conv1 = RegisterModule("conv1", new Conv2d(inPlanes, planes, 3, stride, 1, bias: false, dtype: dtype, device: device, generator: generator));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(planes, dtype: dtype, device: device));
        Relu = RegisterModule("relu", new ReLU());
        Conv2 = RegisterModule("conv2", new Conv2d(planes, planes, 3, 1, 1, bias: false, dtype: dtype, device: device, generator: generator));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(planes, dtype: dtype, device: device));
        if (stride != 1 || inPlanes != planes * Expansion)
        {
            Downsample = RegisterModule("downsample", new Sequential(
                new Conv2d(inPlanes, planes * Expansion, 1, stride, bias: false, dtype: dtype, device: device, generator: generator),
                new BatchNorm2d(planes * Expansion, dtype: dtype, device: device)));
        }
    }

    /// <summary>The first 3x3 convolution (carries the stride).</summary>
    public Conv2d Conv1 { get; }

    /// <summary>Batch norm after conv1.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>The shared ReLU.</summary>
    public ReLU Relu { get; }

    /// <summary>The second 3x3 convolution.</summary>
    public Conv2d Conv2 { get; }

    /// <summary>Batch norm after conv2 (its weight is zeroed by zero_init_residual).</summary>
    public BatchNorm2d Bn2 { get; }

    /// <summary>The 1x1 convolution + batch norm shortcut, or null when the identity fits.</summary>
    public Sequential? Downsample { get; }

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input)
    {
        Variable output = Relu.Forward(Bn1.Forward(Conv1.Forward(input)));
        output = Bn2.Forward(Conv2.Forward(output));
        Variable identity = Downsample is null ? input : Downsample.Forward(input);
        return Relu.Forward(output + identity);
    }
}
