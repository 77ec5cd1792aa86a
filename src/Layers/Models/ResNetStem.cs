namespace Spamp.Layers;

/// <summary>
/// The first layers of a <see cref="ResNet"/>: <c>conv1</c> (InChannels -> 64, a KernelSize x KernelSize
/// convolution with Stride and Padding, no bias), <c>bn1</c>, <c>relu</c>, and optionally the 3x3
/// stride-2 <c>maxpool</c> (otherwise an identity, so module names stay torchvision's).
/// </summary>
/// <param name="InChannels">Channels of the input images.</param>
/// <param name="KernelSize">conv1's kernel size.</param>
/// <param name="Stride">conv1's stride.</param>
/// <param name="Padding">conv1's padding.</param>
/// <param name="MaxPool">Whether the 3x3, stride 2, padding 1 max pooling follows.</param>
public sealed record ResNetStem(int InChannels, int KernelSize, int Stride, int Padding, bool MaxPool)
{
    /// <summary>torchvision's stem for 224x224 RGB images: 7x7 stride 2 padding 3, then max pooling (4x downsampling).</summary>
    public static ResNetStem ImageNet { get; } = new(3, 7, 2, 3, true);

    /// <summary>The usual stem for 32x32 RGB images (CIFAR): 3x3 stride 1 padding 1, no max pooling.</summary>
    public static ResNetStem Cifar { get; } = new(3, 3, 1, 1, false);

    /// <summary>The small-input stem for 28x28 grey images (Fashion-MNIST): 1 channel, 3x3 stride 1 padding 1, no max pooling.</summary>
    public static ResNetStem FashionMnist { get; } = new(1, 3, 1, 1, false);
}
