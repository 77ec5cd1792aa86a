namespace Spamp.Layers;

/// <summary>
/// Adaptive average pooling to a fixed output size, as torch.nn.AdaptiveAvgPool2d (ResNet's
/// <c>avgpool</c> is AdaptiveAvgPool2d((1, 1))).
/// </summary>
/// <param name="outputSize">The output's (H, W), or one int for both.</param>
public sealed class AdaptiveAvgPool2d(Size2 outputSize) : Module
{
    /// <summary>output_size.</summary>
    public Size2 OutputSize { get; } = outputSize;

    /// <inheritdoc/>
    protected override Variable ForwardCore(Variable input) => Functional.AdaptiveAvgPool2d(input, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size=({OutputSize.Height}, {OutputSize.Width})";
}
