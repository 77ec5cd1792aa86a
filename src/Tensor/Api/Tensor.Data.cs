namespace Spamp;

public sealed partial class Tensor
{
    /// <summary>
    /// Copies the elements to a new host array in row-major order. <typeparamref name="T"/> must
    /// match <see cref="DType"/> (use <see cref="To(Spamp.DType)"/> first to convert). On a GPU this
    /// waits for the device.
    /// </summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        CheckElementType<T>("to_array");
        var result = new T[Numel];
        Backend.Download<T>(Storage, Layout, result);
        return result;
    }

    /// <summary>Copies the elements into <paramref name="destination"/> (length must equal <see cref="Numel"/>).</summary>
    public void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        CheckElementType<T>("copy_to");
        if (destination.Length != Numel)
        {
            throw new ShapeMismatchException($"copy_to: destination holds {destination.Length} elements, tensor {Shape} has {Numel}", nameof(destination));
        }

        Backend.Download(Storage, Layout, destination);
    }

    /// <summary>The elements converted to double, whatever the dtype (convenient for tests and printing).</summary>
    public double[] ToDoubleArray()
    {
        if (DType == DType.Float64)
        {
            return ToArray<double>();
        }

        using Tensor asDouble = To(DType.Float64);
        return asDouble.ToArray<double>();
    }

    /// <summary>The single element of a one-element tensor (PyTorch's item()).</summary>
    public T Item<T>() where T : unmanaged
    {
        if (Numel != 1)
        {
            throw new ShapeMismatchException($"item: tensor of shape {Shape} has {Numel} elements, expected exactly 1");
        }

        return ToArray<T>()[0];
    }

    /// <summary>The single element as a double, whatever the dtype.</summary>
    public double ItemAsDouble()
    {
        if (Numel != 1)
        {
            throw new ShapeMismatchException($"item: tensor of shape {Shape} has {Numel} elements, expected exactly 1");
        }

        return ToDoubleArray()[0];
    }

    private void CheckElementType<T>(string op) where T : unmanaged
    {
        DType asked = DTypeInfo.Of<T>();
        if (asked != DType)
        {
            throw new DTypeMismatchException($"{op}: tensor has dtype {DType.Name()}, asked for {asked.Name()} ({typeof(T).Name}); convert with To(DType.{asked}) first");
        }
    }
}
