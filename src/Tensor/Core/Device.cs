namespace Spamp;

/// <summary>The kinds of device a tensor can live on.</summary>
public enum DeviceKind
{
    /// <summary>Host memory; kernels in C# with SIMD and threads.</summary>
    Cpu,
    /// <summary>An NVIDIA GPU through the CUDA driver API.</summary>
    Cuda,
    /// <summary>Any OpenCL 1.2 device through the ICD loader.</summary>
    OpenCl,
}

/// <summary>
/// A device as a runtime value (<c>Device.Cpu</c>, <c>Device.Cuda(0)</c>): code picks its device from
/// a command-line flag without generics. Two devices are equal when kind and index are.
/// </summary>
public sealed class Device : IEquatable<Device>
{
    private Device(DeviceKind kind, int index)
    {
        Kind = kind;
        Index = index;
    }

    /// <summary>The host.</summary>
    public static Device Cpu { get; } = new(DeviceKind.Cpu, 0);

    /// <summary>CUDA device number <paramref name="index"/>.</summary>
    public static Device Cuda(int index = 0) => new(DeviceKind.Cuda, CheckIndex(index));

    /// <summary>OpenCL device number <paramref name="index"/> (over all platforms, in enumeration order).</summary>
    public static Device OpenCl(int index = 0) => new(DeviceKind.OpenCl, CheckIndex(index));

    /// <summary>Kind of device.</summary>
    public DeviceKind Kind { get; }

    /// <summary>Ordinal among devices of the same kind.</summary>
    public int Index { get; }

    /// <summary>
    /// Parses <c>cpu</c>, <c>cuda</c>, <c>cuda:1</c>, <c>opencl</c>, <c>opencl:0</c> (PyTorch's spelling).
    /// </summary>
    public static Device Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Trim().ToLowerInvariant().Split(':');
        int index = parts.Length > 1 && int.TryParse(parts[1], out int i) ? i : 0;
        return parts[0] switch
        {
            "cpu" => Cpu,
            "cuda" => Cuda(index),
            "opencl" or "ocl" => OpenCl(index),
            _ => throw new ArgumentException($"device '{text}': expected cpu, cuda[:N] or opencl[:N]", nameof(text)),
        };
    }

    /// <summary>
    /// Whether a device of <paramref name="kind"/> can be used here. Never throws: when it cannot,
    /// <paramref name="reason"/> says why (no driver, no device, no backend in this build).
    /// </summary>
    public static bool IsAvailable(DeviceKind kind, out string reason) => BackendRegistry.IsAvailable(kind, out reason);

    /// <inheritdoc/>
    public bool Equals(Device? other) => other is not null && other.Kind == Kind && other.Index == Index;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Device d && Equals(d);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, Index);

    /// <summary>Value equality.</summary>
    public static bool operator ==(Device? left, Device? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(Device? left, Device? right) => !(left == right);

    /// <summary><c>cpu</c>, <c>cuda:0</c>, <c>opencl:1</c>.</summary>
    public override string ToString() => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Cuda => $"cuda:{Index}",
        _ => $"opencl:{Index}",
    };

    private static int CheckIndex(int index) =>
        index >= 0 ? index : throw new ArgumentOutOfRangeException(nameof(index), index, "device index must be >= 0");
}
