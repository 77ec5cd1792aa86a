using Spamp.Backends.Gpu;

namespace Spamp.Optim;

/// <summary>
/// SPAMP in a device-resident step: the same algorithm as <see cref="SpampShaping.Apply"/>, queued as
/// four launches plus one power pass per tensor, with each layer's threshold state in its slots of the
/// step's scalar buffer (<see cref="SpampSlot"/>).
/// <list type="number">
/// <item>spamp_begin (one work-item per layer): the layer's norm from the norm cache, the threshold,
/// alpha and the power map's unit; layers that pass through are marked inactive;</item>
/// <item>spamp_power per tensor (a no-op for inactive layers and alpha = 1): the power map in place,
/// with the tensor's pending scale applied first, and the partial sums of squares of the result;</item>
/// <item>finish_partials for all tensors at once: the shaped sums of squares;</item>
/// <item>spamp_finish (one work-item per layer): restoration, projection, and the factor recorded as a
/// pending scale of each member, keeping the norm cache exact.</item>
/// </list>
/// Region layout: the layers' <see cref="SpampSlot.Stride"/> slots, then the layers' start offsets
/// into the member list (layers + 1 values), the member tensors' positions, and one shaped sum of
/// squares per tensor.
/// </summary>
public sealed partial class SpampShaping : IDeviceResident
{
    private const int Stride = (int)SpampSlot.Stride;

    // The device layout's groups (fixed at upload): their state keys and the group of each tensor.
    private DeviceStep? _device;
    private string[] _deviceKeys = [];
    private int[] _deviceGroupOf = [];

    /// <inheritdoc/>
    bool IDeviceResident.RunsOnDevice => H is null && !UpdateClipping;

    /// <inheritdoc/>
    int IDeviceResident.SlotCount(DeviceStep step)
    {
        int groups = Global ? 1 : step.Layers.Count, tensors = step.Tensors.Count;
        return (groups * Stride) + groups + 1 + tensors + tensors;
    }

    /// <inheritdoc/>
    void IDeviceResident.Upload(DeviceStep step, Span<double> slots)
    {
        _device = step;
        var groups = Groups(step);
        _deviceKeys = [.. groups.Select(g => g.Key)];
        _deviceGroupOf = new int[step.Tensors.Count];
        int starts = groups.Count * Stride, members = starts + groups.Count + 1, next = 0;
        for (int g = 0; g < groups.Count; g++)
        {
            var (key, positions) = groups[g];
            Span<double> layer = slots.Slice(g * Stride, Stride);
            if (_groups.TryGetValue(key, out GroupState? state))
            {
                layer[(int)SpampSlot.TauRaw] = state.TauRaw;
                layer[(int)SpampSlot.Tau] = state.Tau;
                layer[(int)SpampSlot.LastNorm] = state.LastNorm;
                layer[(int)SpampSlot.K] = state.K;
            }

            layer[(int)SpampSlot.Elements] = positions.Sum(i => (double)step.Tensors[i].Parameter.Numel);
            layer[(int)SpampSlot.Precision] = positions.All(i => step.Tensors[i].Parameter.DType == DType.Float64) ? Float64Rounding : Float32Rounding;
            slots[starts + g] = next;
            foreach (int i in positions)
            {
                _deviceGroupOf[i] = g;
                slots[members + next++] = i;
            }
        }

        slots[starts + groups.Count] = next;
    }

    /// <inheritdoc/>
    void IDeviceResident.Download(DeviceStep step, ReadOnlySpan<double> slots)
    {
        for (int g = 0; g < _deviceKeys.Length; g++)
        {
            ReadOnlySpan<double> layer = slots.Slice(g * Stride, Stride);
            long k = (long)layer[(int)SpampSlot.K];
            if (k > 0)
            {
                // As the host path, a group has state once it has seen a finite norm.
                _groups[_deviceKeys[g]] = new GroupState
                {
                    TauRaw = layer[(int)SpampSlot.TauRaw],
                    Tau = layer[(int)SpampSlot.Tau],
                    LastNorm = layer[(int)SpampSlot.LastNorm],
                    K = k,
                };
            }
        }
    }

    /// <inheritdoc/>
    void IDeviceResident.Report(DeviceStep step, ReadOnlySpan<double> slots, StepReport report)
    {
        for (int g = 0; g < _deviceKeys.Length; g++)
        {
            ReadOnlySpan<double> layer = slots.Slice(g * Stride, Stride);
            if (!double.IsFinite(layer[(int)SpampSlot.Norm]))
            {
                // As on the host path, a layer with a non-finite norm passes without a report.
                continue;
            }

            for (int l = 0; l < step.Layers.Count; l++)
            {
                if (Global || l == g)
                {
                    LayerReport line = report.Layers[l];
                    line.Tau = layer[(int)SpampSlot.Tau];
                    line.Alpha = layer[(int)SpampSlot.Alpha];
                    line.Clipped |= layer[(int)SpampSlot.Projected] != 0;
                }
            }
        }
    }

    private void ApplyOnDevice(DeviceStep device)
    {
        GpuOptimizerKernels kernels = device.Kernels;
        int region = device.RegionOf(this), groups = _deviceKeys.Length, tensors = device.Tensors.Count;
        int shaped = region + (groups * Stride) + groups + 1 + tensors;
        var options = new GpuOptimizerKernels.SpampOptions(Beta, AlphaMin, ClipMargin, FixedTau, (int)ShapeMode, (int)TauInit,
            (int)TauSource, TauUsesClippedNorm, PowerShaping);
        kernels.SpampBegin(device.Scalars, region, groups, device.Norms, options);
        if (PowerShaping)
        {
            // Without power shaping alpha is always 1: no tensor pass, only the projection.
            for (int i = 0; i < tensors; i++)
            {
                Tensor g = device.Tensors[i].Grad!;
                kernels.SpampPower(g.Storage, g.Numel, device.Scalars, region + (_deviceGroupOf[i] * Stride), device.Scales + i, device.PartialsOf(i));
            }

            kernels.FinishPartials(device.Scalars, device.ScalarType, device.PartialsBase, shaped, tensors, isMax: false);
        }

        kernels.SpampFinish(device.Scalars, region, groups, device.Norms, device.Scales, shaped, options);
    }

    /// <summary>The groups of the device layout with their state keys (as <see cref="Apply"/> keys them) and member positions.</summary>
    private List<(string Key, int[] Positions)> Groups(DeviceStep step)
    {
        if (Global)
        {
            _keyOfLayer[GlobalKey] = GlobalKey;
            return [(GlobalKey, [.. Enumerable.Range(0, step.Tensors.Count)])];
        }

        var position = new Dictionary<ParameterState, int>(step.Tensors.Count);
        for (int i = 0; i < step.Tensors.Count; i++)
        {
            position[step.Tensors[i]] = i;
        }

        var groups = new List<(string, int[])>(step.Layers.Count);
        foreach (LayerGroup layer in step.Layers)
        {
            string key = step.Optimizer.Grouping == LayerGrouping.PerTensor && layer.Parameters.Count == 1
                ? layer.Parameters[0].Index.ToString(System.Globalization.CultureInfo.InvariantCulture)
                : "module:" + layer.Name;
            _keyOfLayer[layer.Name] = key;
            groups.Add((key, [.. layer.Parameters.Select(p => position[p])]));
        }

        return groups;
    }
}
