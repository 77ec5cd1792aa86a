using System.Collections;
using NUnit.Framework;
using Spamp.Backends;
using Spamp.Backends.Cpu;
using Spamp.Memory;

namespace Spamp.Tests.Backends;

/// <summary>
/// The backends the backend-level tests run against: the CPU backend, and every GPU device that is
/// available here (OpenCL devices, e.g. PoCL on CI; CUDA devices on a machine with an NVIDIA driver
/// and NVRTC). Each inherits every test, with the same naive double-precision references.
/// </summary>
public static class BackendSource
{
    /// <summary>The GPU kinds, each tried from device 0 up.</summary>
    private static readonly DeviceKind[] GpuKinds = [DeviceKind.OpenCl, DeviceKind.Cuda];

    /// <summary>The CPU backend and the backend of every available GPU device, named "cpu", "opencl", "cuda:1", ...</summary>
    public static IEnumerable Backends()
    {
        yield return new TestFixtureData(CpuBackend.Instance).SetArgDisplayNames("cpu");
        foreach (Device device in AvailableGpuDevices())
        {
            yield return new TestFixtureData(BackendRegistry.For(device)).SetArgDisplayNames(Name(device));
        }
    }

    /// <summary>
    /// Device 0 of every GPU kind, available or not (a fixture on an absent device is ignored with the
    /// reason, so a run shows what was skipped and why), and every further available device.
    /// </summary>
    public static IEnumerable GpuDevices()
    {
        var devices = GpuKinds.Select(kind => Of(kind, 0)).Union(AvailableGpuDevices());
        foreach (Device device in devices)
        {
            yield return new TestFixtureData(device).SetArgDisplayNames(Name(device));
        }
    }

    /// <summary>The backend of <paramref name="device"/>, or null with the registry's reason.</summary>
    public static Backend? TryBackend(Device device, out string reason)
    {
        try
        {
            reason = "";
            return BackendRegistry.For(device);
        }
        catch (DeviceMismatchException e)
        {
            reason = e.Message;
            return null;
        }
    }

    private static IEnumerable<Device> AvailableGpuDevices()
    {
        foreach (DeviceKind kind in GpuKinds)
        {
            for (int index = 0; TryBackend(Of(kind, index), out _) is not null; index++)
            {
                yield return Of(kind, index);
            }
        }
    }

    private static Device Of(DeviceKind kind, int index) => kind == DeviceKind.Cuda ? Device.Cuda(index) : Device.OpenCl(index);

    private static string Name(Device device) => device.Index == 0 ? device.Kind.ToString().ToLowerInvariant() : device.ToString();
}

/// <summary>A view to test a primitive on: its layout and the storage size it needs.</summary>
public sealed record TestView(string Kind, Layout Layout, int StorageSize)
{
    public override string ToString() => $"{Kind} {Layout}";
}

/// <summary>Storage helpers and reference arithmetic in double for backend tests.</summary>
public static class BackendTestSupport
{
    /// <summary>
    /// The kinds of layout every element-wise primitive must handle for a logical shape:
    /// contiguous, offset and sliced (padded strides), permuted (stored transposed), and broadcast
    /// (stride 0 on the first dimension of size > 1, when there is one).
    /// </summary>
    public static IEnumerable<TestView> Views(int[] shape)
    {
        var s = new Shape(shape);
        yield return new TestView("contiguous", Layout.Contiguous(s), Math.Max(s.Numel, 1));

        // Sliced: every dimension stored with one extra entry, starting at offset 3.
        var strides = new int[shape.Length];
        int stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= shape[d] + 1;
        }

        yield return new TestView("sliced", new Layout(s, strides, 3), stride + 3);

        if (shape.Length >= 2)
        {
            // Permuted: stored with dimensions in reverse order.
            var reversed = new int[shape.Length];
            stride = 1;
            for (int d = 0; d < shape.Length; d++)
            {
                reversed[d] = stride;
                stride *= Math.Max(shape[d], 1);
            }

            yield return new TestView("permuted", new Layout(s, reversed, 0), Math.Max(stride, 1));
        }

        int broadcastDim = Array.FindIndex(shape, n => n > 1);
        if (broadcastDim >= 0)
        {
            int[] bs = s.ContiguousStrides();
            bs[broadcastDim] = 0;
            yield return new TestView($"broadcast{broadcastDim}", new Layout(s, bs, 1), Math.Max(s.Numel, 1) + 1);
        }
    }

    /// <summary>
    /// The views worth testing for a shape: all of them for small shapes; for large ones (there to
    /// cross the parallel threshold) only the contiguous and one strided view, to keep tests fast.
    /// </summary>
    public static IEnumerable<TestView> SampledViews(int[] shape)
    {
        var all = Views(shape).ToList();
        return new Shape(shape).Numel <= 10_000 ? all : [all[0], all[^1]];
    }

    /// <summary>Random values in [-2, 2), rounded to what <paramref name="dtype"/> can hold exactly (integers for integer types).</summary>
    public static double[] RandomValues(System.Random random, DType dtype, int count, double scale = 2)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            double v = ((random.NextDouble() * 2) - 1) * scale;
            values[i] = RoundTo(dtype, dtype.IsInteger() ? Math.Round(v * 5) : dtype == DType.Bool ? (random.Next(2)) : v);
        }

        return values;
    }

    /// <summary>The value <paramref name="dtype"/> stores for <paramref name="v"/>.</summary>
    public static double RoundTo(DType dtype, double v) => dtype switch
    {
        DType.Float32 => (float)v,
        DType.Float16 => (double)(Half)v,
        DType.BFloat16 => (double)(BFloat16)v,
        DType.Int32 => (int)v,
        DType.Int64 => (long)v,
        DType.Bool => v != 0 ? 1 : 0,
        _ => v,
    };

    /// <summary>A storage of <paramref name="dtype"/> holding <paramref name="values"/> (converted).</summary>
    public static Storage Store(Backend backend, DType dtype, double[] values)
    {
        var storage = Storage.Allocate(backend, dtype, values.Length);
        switch (dtype)
        {
            case DType.Float32: backend.Upload<float>(Array.ConvertAll(values, v => (float)v), storage, 0); break;
            case DType.Float64: backend.Upload<double>(values, storage, 0); break;
            case DType.Float16: backend.Upload<Half>(Array.ConvertAll(values, v => (Half)v), storage, 0); break;
            case DType.BFloat16: backend.Upload<BFloat16>(Array.ConvertAll(values, v => (BFloat16)v), storage, 0); break;
            case DType.Int32: backend.Upload<int>(Array.ConvertAll(values, v => (int)v), storage, 0); break;
            case DType.Int64: backend.Upload<long>(Array.ConvertAll(values, v => (long)v), storage, 0); break;
            case DType.Bool: backend.Upload<bool>(Array.ConvertAll(values, v => v != 0), storage, 0); break;
            default: throw new ArgumentOutOfRangeException(nameof(dtype));
        }

        return storage;
    }

    /// <summary>A fresh storage of <paramref name="count"/> elements filled with a sentinel (NaN or -7) so unwritten output shows.</summary>
    public static Storage Output(Backend backend, DType dtype, int count)
    {
        var values = new double[Math.Max(count, 1)];
        Array.Fill(values, dtype.IsFloatingPoint() ? double.NaN : -7);
        return Store(backend, dtype, values);
    }

    /// <summary>The elements of (storage, layout) in row-major order, as doubles.</summary>
    public static double[] Read(Backend backend, Storage storage, Layout layout)
    {
        int n = layout.Numel;
        return storage.DType switch
        {
            DType.Float32 => Array.ConvertAll(Download<float>(backend, storage, layout, n), v => (double)v),
            DType.Float64 => Download<double>(backend, storage, layout, n),
            DType.Float16 => Array.ConvertAll(Download<Half>(backend, storage, layout, n), v => (double)v),
            DType.BFloat16 => Array.ConvertAll(Download<BFloat16>(backend, storage, layout, n), v => (double)v),
            DType.Int32 => Array.ConvertAll(Download<int>(backend, storage, layout, n), v => (double)v),
            DType.Int64 => Array.ConvertAll(Download<long>(backend, storage, layout, n), v => (double)v),
            DType.Bool => Array.ConvertAll(Download<bool>(backend, storage, layout, n), v => v ? 1.0 : 0.0),
            _ => throw new ArgumentOutOfRangeException(nameof(storage)),
        };
    }

    /// <summary>The first <paramref name="count"/> elements of a contiguous storage.</summary>
    public static double[] Read(Backend backend, Storage storage, int count) => Read(backend, storage, Layout.Contiguous(new Shape(count)));

    private static T[] Download<T>(Backend backend, Storage storage, Layout layout, int n) where T : unmanaged
    {
        var result = new T[n];
        backend.Download<T>(storage, layout, result);
        return result;
    }

    /// <summary>Reference gather: the logical elements of <paramref name="layout"/> over host <paramref name="storage"/>.</summary>
    public static double[] Logical(double[] storage, Layout layout)
    {
        var result = new double[layout.Numel];
        var index = new int[layout.Rank];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = storage[layout.IndexOf(index)];
            for (int d = layout.Rank - 1; d >= 0; d--)
            {
                if (++index[d] < layout.Shape[d])
                {
                    break;
                }

                index[d] = 0;
            }
        }

        return result;
    }

    /// <summary>Asserts element-wise closeness: |a - e| &lt;= abs + rel*|e|; NaN must meet NaN, infinities must match.</summary>
    public static void AssertClose(double[] actual, double[] expected, double rel, double abs = 0, string what = "")
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (int i = 0; i < expected.Length; i++)
        {
            double a = actual[i], e = expected[i];
            if (double.IsNaN(e) || double.IsInfinity(e))
            {
                Assert.That(a, Is.EqualTo(e), $"{what}: element {i}");
                continue;
            }

            if (!(Math.Abs(a - e) <= abs + (rel * Math.Abs(e))))
            {
                Assert.Fail($"{what}: element {i} is {a:R}, expected {e:R} (rel {rel}, abs {abs})");
            }
        }
    }

    /// <summary>Row-major multi-index of linear index <paramref name="linear"/>.</summary>
    public static int[] Unravel(int linear, ReadOnlySpan<int> shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = linear % shape[d];
            linear /= shape[d];
        }

        return index;
    }

    /// <summary>Row-major linear index of <paramref name="index"/>.</summary>
    public static int Ravel(ReadOnlySpan<int> index, ReadOnlySpan<int> shape)
    {
        int linear = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            linear = (linear * shape[d]) + index[d];
        }

        return linear;
    }
}
