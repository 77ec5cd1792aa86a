namespace Spamp;

public sealed partial class Tensor
{
    /// <summary>
    /// This tensor converted to <paramref name="dtype"/>: a contiguous copy, or a new reference to
    /// the same data when the dtype already matches (dispose it either way).
    /// </summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType)
        {
            return Alias();
        }

        Tensor result = Empty(Shape, dtype, Device);
        Backend.Cast(Storage, Layout, result.Storage);
        return result;
    }

    /// <summary>
    /// This tensor on <paramref name="device"/>: a copy (through the host for now when the two devices
    /// have different backends), or a new reference when it is already there.
    /// </summary>
    public Tensor To(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device == Device)
        {
            return Alias();
        }

        Tensor result = Empty(Shape, DType, device);
        switch (DType)
        {
            case DType.Float32: Transfer<float>(result); break;
            case DType.Float64: Transfer<double>(result); break;
            case DType.Float16: Transfer<Half>(result); break;
            case DType.BFloat16: Transfer<BFloat16>(result); break;
            case DType.Int32: Transfer<int>(result); break;
            case DType.Int64: Transfer<long>(result); break;
            default: Transfer<bool>(result); break;
        }

        return result;
    }

    private void Transfer<T>(Tensor destination) where T : unmanaged
    {
        T[] host = ToArray<T>();
        destination.Backend.Upload<T>(host, destination.Storage, 0);
    }

    /// <summary>Converts to <paramref name="dtype"/> and disposes this tensor (for temporaries); returns this tensor when the dtype already matches.</summary>
    internal Tensor CastAndDispose(DType dtype)
    {
        if (dtype == DType)
        {
            return this;
        }

        Tensor result = To(dtype);
        Dispose();
        return result;
    }
}
