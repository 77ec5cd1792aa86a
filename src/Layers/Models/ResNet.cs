namespace Spamp.Layers;

/// <summary>
/// torchvision's ResNet with <see cref="BasicBlock"/>s and a configurable <see cref="ResNetStem"/>:
/// conv1, bn1, relu, maxpool (an identity for small-input stems), layer1..layer4 (64, 128, 256, 512
/// channels; layers 2-4 start with stride 2), avgpool (adaptive to 1x1), flatten, fc. Module names
/// match torchvision's, so a state dict of torchvision.models.resnet18 (with the ImageNet stem)
/// loads as is.
/// <para>
/// Initialisation as torchvision: every convolution by kaiming_normal(fan_out, relu), batch norms
/// with weight 1 and bias 0, fc as torch.nn.Linear; with <c>zeroInitResidual</c> each block's bn2
/// weight starts at 0, so every residual branch starts as the identity.
/// </para>
/// </summary>
public sealed class ResNet : Module
{
    private int _inPlanes = 64;

    /// <summary>Builds a ResNet of BasicBlocks.</summary>
    /// <param name="layers">Blocks in each of the four stages ([2, 2, 2, 2] for ResNet-18, [3, 4, 6, 3] for ResNet-34).</param>
    /// <param name="numClasses">Outputs of fc; default 1000.</param>
    /// <param name="stem">The input stem; default <see cref="ResNetStem.ImageNet"/>.</param>
    /// <param name="zeroInitResidual">Zero each block's last batch-norm weight; default false.</param>
    /// <param name="dtype">Parameter element type (default float32).</param>
    /// <param name="device">Parameter device (default CPU).</param>
    /// <param name="generator">Source of all initial values (default generator when null).</param>
    public ResNet(int[] layers, int numClasses = 1000, ResNetStem? stem = null, bool zeroInitResidual = false,
        DType dtype = DType.Float32, Device? device = null, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Length != 4)
        {
            throw new ArgumentException($"resnet: layers must give the block count of 4 stages, got {layers.Length}", nameof(layers));
        }

        Stem = stem ?? ResNetStem.ImageNet;
        Conv1 = RegisterModule("conv1", new Conv2d(Stem.InChannels, 64, Stem.KernelSize, Stem.Stride, Stem.Padding, bias: false, dtype: dtype, device: device, generator: generator));
        RegisterModule("bn1", new BatchNorm2d(64, dtype: dtype, device: device));
        RegisterModule("relu", new ReLU());
        RegisterModule<Module>("maxpool", Stem.MaxPool ? new MaxPool2d(3, 2, 1) : new Identity());
        int[] widths = [64, 128, 256, 512];
        for (int stage = 0; stage < 4; stage++)
        {
            RegisterModule($"layer{stage + 1}", MakeLayer(widths[stage], layers[stage], stage == 0 ? 1 : 2, dtype, device, generator));
        }

        RegisterModule("avgpool", new AdaptiveAvgPool2d(1));
        Fc = RegisterModule("fc", new Linear(512 * BasicBlock.Expansion, numClasses, dtype: dtype, device: device, generator: generator));

        // torchvision re-initialises every convolution (fan_out, relu gain) and batch norm after building.
        foreach (var (_, module) in NamedModules())
        {
            switch (module)
            {
                case Conv2d conv:
                    Init.KaimingNormal(conv.Weight.Data, a: 0, fanIn: false, generator: generator);
                    break;
                case BatchNorm norm:
                    norm.Weight?.Data.FillInPlace(1);
                    norm.Bias?.Data.FillInPlace(0);
                    break;
                default:
                    break;
            }
        }

        if (zeroInitResidual)
        {
            foreach (var (_, module) in NamedModules())
            {
                if (module is BasicBlock block)
                {
                    block.Bn2.Weight?.Data.FillInPlace(0);
                }
            }
        }
    }

    /// <summary>The stem this network was built with.</summary>
    public ResNetStem Stem { get; }

    /// <summary>The stem convolution.</summary>
    public Conv2d Conv1 { get; }

    /// <summary>The classifier.</summary>
    public Linear Fc { get; }

    /// <summary>ResNet-18 (torchvision.models.resnet18 without pretrained weights): BasicBlocks [2, 2, 2, 2].</summary>
    /// <param name="numClasses">Outputs of fc; default 1000.</param>
    /// <param name="stem">The input stem; default <see cref="ResNetStem.ImageNet"/>.</param>
    /// <param name="zeroInitResidual">Zero each block's last batch-norm weight; default false.</param>
    /// <param name="dtype">Parameter element type (default float32).</param>
    /// <param name="device">Parameter device (default CPU).</param>
    /// <param name="generator">Source of all initial values (default generator when null).</param>
    public static ResNet ResNet18(int numClasses = 1000, ResNetStem? stem = null, bool zeroInitResidual = false,
        DType dtype = DType.Float32, Device? device = null, Generator? generator = null) =>
        new([2, 2, 2, 2], numClasses, stem, zeroInitResidual, dtype, device, generator);

    private Sequential MakeLayer(int planes, int blocks, int stride, DType dtype, Device? device, Generator? generator)
    {
        var layer = new Sequential();
        for (int i = 0; i < blocks; i++)
        {
            layer.Append(new BasicBlock(_inPlanes, planes, i == 0 ? stride : 1, dtype, device, generator));
            _inPlanes = planes * BasicBlock.Expansion;
        }

        return layer;
    }

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input)
    {
        Variable x = input;
        foreach (var (name, child) in NamedChildren())
        {
            x = child.Forward(x);
            if (name == "avgpool")
            {
                x = x.Flatten(1);
            }
        }

        return x;
    }
}
