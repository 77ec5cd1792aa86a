using Spamp.Memory;

namespace Spamp.Backends;

public abstract partial class Backend
{
    // ---- pooling -------------------------------------------------------------------------------
    // Inputs and outputs are contiguous NCHW of one floating-point dtype; planes (n, c) are independent.

    /// <summary>
    /// Max over each window (padding counts as -inf; NaN wins, as in PyTorch). <paramref name="indices"/>
    /// (Int64, output's shape) receives the flat index y*W_in + x of the chosen element within its plane.
    /// </summary>
    public abstract void MaxPool2d(Storage input, Storage output, Storage indices, in Pool2dGeometry geometry);

    /// <summary>gradInput = 0, then gradInput[plane, indices[o]] += gradOutput[o] for every output element o.</summary>
    public abstract void MaxPool2dBackward(Storage gradOutput, Storage indices, Storage gradInput, in Pool2dGeometry geometry);

    /// <summary>
    /// Mean over each window. The divisor is <paramref name="divisorOverride"/> when positive, else
    /// the window's size clipped to the padded input (<paramref name="countIncludePad"/>) or to the input.
    /// </summary>
    public abstract void AvgPool2d(Storage input, Storage output, in Pool2dGeometry geometry, bool countIncludePad, int divisorOverride);

    /// <summary>Spreads each gradOutput element, divided by its window's divisor, over the window's input elements; gradInput is overwritten.</summary>
    public abstract void AvgPool2dBackward(Storage gradOutput, Storage gradInput, in Pool2dGeometry geometry, bool countIncludePad, int divisorOverride);

    /// <summary>
    /// Adaptive average pooling: output (y, x) is the mean of input rows [floor(y*H/OH), ceil((y+1)*H/OH))
    /// and columns [floor(x*W/OW), ceil((x+1)*W/OW)).
    /// </summary>
    public abstract void AdaptiveAvgPool2d(Storage input, Storage output, in Pool2dGeometry geometry);

    /// <summary>The gradient of <see cref="AdaptiveAvgPool2d"/>; gradInput is overwritten.</summary>
    public abstract void AdaptiveAvgPool2dBackward(Storage gradOutput, Storage gradInput, in Pool2dGeometry geometry);
}
