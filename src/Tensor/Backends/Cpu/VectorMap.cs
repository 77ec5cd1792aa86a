using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Spamp.Backends.Cpu;

/// <summary>
/// An element-wise function of two values for the operations TensorPrimitives lacks (sign, masks
/// of ReLU and clamp gradients, leaky ReLU): one scalar form and two vector widths, so
/// <see cref="VectorMap.Map"/> runs it 16 floats at a time on AVX-512 and 8 on AVX2.
/// Instances carry the operation's parameters (a slope, bounds).
/// </summary>
internal interface IVectorOp<T> where T : unmanaged
{
    T Apply(T x, T y);

    Vector256<T> Apply(Vector256<T> x, Vector256<T> y);

    Vector512<T> Apply(Vector512<T> x, Vector512<T> y);
}

/// <summary>Runs an <see cref="IVectorOp{T}"/> over spans.</summary>
internal static class VectorMap
{
    /// <summary>d[i] = op(x[i], y[i]); d may be x or y itself.</summary>
    public static void Map<T, TOp>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d, TOp op)
        where T : unmanaged
        where TOp : struct, IVectorOp<T>
    {
        int n = d.Length;
        int i = 0;
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        ref T dr = ref MemoryMarshal.GetReference(d);
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                op.Apply(Vector512.LoadUnsafe(ref xr, (nuint)i), Vector512.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref dr, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                op.Apply(Vector256.LoadUnsafe(ref xr, (nuint)i), Vector256.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref dr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            d[i] = op.Apply(x[i], y[i]);
        }
    }
}
