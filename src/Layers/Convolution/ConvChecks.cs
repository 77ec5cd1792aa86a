namespace Spamp.Layers;

/// <summary>What torch.nn's _ConvNd checks and initialises, shared by <see cref="Conv1d"/> and <see cref="Conv2d"/>.</summary>
internal static class ConvChecks
{
    /// <summary>The constructor checks of _ConvNd: positive sizes, groups dividing both channel counts, 'same' only without stride.</summary>
    public static void Validate(string op, int inChannels, int outChannels, int groups, Size2 kernelSize, Size2 stride, ConvPadding padding, Size2 dilation)
    {
        if (groups <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(groups), groups, $"{op}: groups must be a positive integer, got {groups}");
        }

        if (inChannels <= 0 || outChannels <= 0)
        {
            throw new ArgumentOutOfRangeException(inChannels <= 0 ? nameof(inChannels) : nameof(outChannels),
                $"{op}: channel counts must be positive, got in_channels={inChannels}, out_channels={outChannels}");
        }

        if (inChannels % groups != 0)
        {
            throw new ArgumentException($"{op}: in_channels={inChannels} must be divisible by groups={groups}", nameof(groups));
        }

        if (outChannels % groups != 0)
        {
            throw new ArgumentException($"{op}: out_channels={outChannels} must be divisible by groups={groups}", nameof(groups));
        }

        if (kernelSize.Height <= 0 || kernelSize.Width <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, $"{op}: kernel_size must be positive, got {kernelSize}");
        }

        if (stride.Height <= 0 || stride.Width <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"{op}: stride must be positive, got {stride}");
        }

        if (dilation.Height <= 0 || dilation.Width <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(dilation), dilation, $"{op}: dilation must be positive, got {dilation}");
        }

        if (padding.Mode == ConvPaddingMode.Explicit && (padding.Size.Height < 0 || padding.Size.Width < 0))
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"{op}: padding must be non-negative, got {padding}");
        }

        if (padding.Mode == ConvPaddingMode.Same && (stride.Height != 1 || stride.Width != 1))
        {
            throw new ArgumentException($"{op}: padding='same' is not supported for strided convolutions (stride {stride})", nameof(padding));
        }
    }

    /// <summary>_ConvNd.reset_parameters: kaiming_uniform(a = sqrt(5)) for the weight, then U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias.</summary>
    public static void ResetParameters(Parameter weight, Parameter? bias, Generator? generator)
    {
        Init.KaimingUniform(weight.Data, a: Math.Sqrt(5), generator: generator);
        if (bias is not null)
        {
            var (fanIn, _) = Init.FanInAndFanOut(weight.Shape);
            if (fanIn != 0)
            {
                double bound = 1 / Math.Sqrt(fanIn);
                Init.Uniform(bias.Data, -bound, bound, generator);
            }
        }
    }
}
