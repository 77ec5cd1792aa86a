using Spamp.Backends;
using Spamp.Backends.Cpu;
using Spamp.Backends.Cuda;
using Spamp.Backends.OpenCl;

namespace Spamp;

/// <summary>
/// Finds the backend of a device. The CPU backend is always present; GPU backends register
/// themselves when their driver loads. Asking for an absent one explains why instead of failing
/// with a native-library error.
/// </summary>
public static class BackendRegistry
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<Device, Backend> Backends = new() { [Device.Cpu] = CpuBackend.Instance };
    // The GPU factories are registered here, so users need no setup: asking for a device runs its
    // factory, which probes the driver and explains a missing one.
    private static readonly Dictionary<DeviceKind, Func<int, (Backend? Backend, string Reason)>> Factories = new()
    {
        [DeviceKind.OpenCl] = OpenClBackend.Create,
        [DeviceKind.Cuda] = CudaBackend.Create,
    };

    /// <summary>Registers a factory that creates the backend of device index N of <paramref name="kind"/>, or says why it cannot.</summary>
    public static void RegisterFactory(DeviceKind kind, Func<int, (Backend? Backend, string Reason)> factory)
    {
        lock (Gate)
        {
            Factories[kind] = factory;
        }
    }

    /// <summary>Whether at least device 0 of <paramref name="kind"/> can be used; if not, why.</summary>
    public static bool IsAvailable(DeviceKind kind, out string reason)
    {
        if (kind == DeviceKind.Cpu)
        {
            reason = "";
            return true;
        }

        try
        {
            _ = For(kind == DeviceKind.Cuda ? Device.Cuda(0) : Device.OpenCl(0));
            reason = "";
            return true;
        }
        catch (DeviceMismatchException e)
        {
            reason = e.Message;
            return false;
        }
    }

    /// <summary>The backend of <paramref name="device"/>, created on first use.</summary>
    public static Backend For(Device device)
    {
        lock (Gate)
        {
            if (Backends.TryGetValue(device, out var backend))
            {
                return backend;
            }

            if (!Factories.TryGetValue(device.Kind, out var factory))
            {
                throw new DeviceMismatchException(
                    $"device {device}: no {device.Kind} backend is registered in this process (this build ships the CPU backend only)");
            }

            var (created, reason) = factory(device.Index);
            if (created is null)
            {
                throw new DeviceMismatchException($"device {device} is not available: {reason}");
            }

            Backends[device] = created;
            return created;
        }
    }
}
