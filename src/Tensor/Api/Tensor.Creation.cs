using System.Runtime.InteropServices;
using Spamp.Backends;

namespace Spamp;

public sealed partial class Tensor
{
    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(Shape shape, DType dtype = DType.Float32, Device? device = null) => Full(shape, 0, dtype, device);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(Shape shape, DType dtype = DType.Float32, Device? device = null) => Full(shape, 1, dtype, device);

    /// <summary>A tensor with every element equal to <paramref name="value"/>.</summary>
    public static Tensor Full(Shape shape, double value, DType dtype = DType.Float32, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        Tensor result = Empty(shape, dtype, device ?? Device.Cpu);
        result.Backend.Fill(result.Storage, result.Layout, value);
        return result;
    }

    /// <summary>Zeros with the shape, dtype and device of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Zeros(like.Shape, like.DType, like.Device);

    /// <summary>Ones with the shape, dtype and device of <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like) => Ones(like.Shape, like.DType, like.Device);

    /// <summary>A rank-0 tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, Device? device = null) => Full(Shape.Scalar, value, dtype, device);

    /// <summary>
    /// The values start, start+step, ... below end (PyTorch's arange). The dtype defaults to Int64
    /// when all three arguments are integers, else Float32.
    /// </summary>
    public static Tensor Arange(double start, double end, double step = 1, DType? dtype = null, Device? device = null)
    {
        if (step == 0 || double.IsNaN(step) || double.IsInfinity(step))
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "arange: step must be finite and non-zero");
        }

        double count = Math.Ceiling((end - start) / step);
        if (count > int.MaxValue || double.IsNaN(count))
        {
            throw new ArgumentOutOfRangeException(nameof(end), end, $"arange: [{start}, {end}) with step {step} has too many elements");
        }

        bool integral = start == Math.Floor(start) && end == Math.Floor(end) && step == Math.Floor(step);
        Tensor result = Empty(new Shape(Math.Max(0, (int)count)), dtype ?? (integral ? DType.Int64 : DType.Float32), device ?? Device.Cpu);
        result.Backend.Arange(result.Storage, result.Numel, start, step);
        return result;
    }

    /// <summary>0, 1, ..., end-1 as Int64 (or <paramref name="dtype"/>).</summary>
    public static Tensor Arange(int end, DType dtype = DType.Int64, Device? device = null) => Arange(0, end, 1, dtype, device);

    /// <summary>
    /// A tensor holding a copy of <paramref name="data"/> with <paramref name="shape"/> (a vector when
    /// the shape is omitted). The dtype is that of <typeparamref name="T"/>.
    /// </summary>
    public static Tensor From<T>(ReadOnlySpan<T> data, Shape? shape = null, Device? device = null) where T : unmanaged
    {
        shape ??= new Shape(data.Length);
        if (shape.Numel != data.Length)
        {
            throw new ShapeMismatchException($"from: {data.Length} values cannot fill shape {shape} ({shape.Numel} elements)", nameof(shape));
        }

        Tensor result = Empty(shape, DTypeInfo.Of<T>(), device ?? Device.Cpu);
        result.Backend.Upload(data, result.Storage, 0);
        return result;
    }

    /// <summary>A tensor holding a copy of <paramref name="data"/> (see <see cref="From{T}(ReadOnlySpan{T}, Shape?, Device?)"/>).</summary>
    public static Tensor From<T>(T[] data, params int[] shape) where T : unmanaged =>
        From<T>(data.AsSpan(), shape.Length == 0 ? null : new Shape(shape));

    /// <summary>A tensor from a rectangular 2-D array.</summary>
    public static Tensor From<T>(T[,] data) where T : unmanaged =>
        From<T>(MemoryMarshal.CreateReadOnlySpan(ref data[0, 0], data.Length), new Shape(data.GetLength(0), data.GetLength(1)));

    /// <summary>Uniform samples on [low, high) from the counter-based Philox stream of <paramref name="generator"/> (default: <see cref="Generator.Default"/>).</summary>
    public static Tensor Rand(Shape shape, DType dtype = DType.Float32, Device? device = null, Generator? generator = null, double low = 0, double high = 1) =>
        Random(RandomKind.Uniform, shape, dtype, device, generator, low, high, "rand");

    /// <summary>Normal samples with mean 0 and standard deviation 1 (or the given ones).</summary>
    public static Tensor Randn(Shape shape, DType dtype = DType.Float32, Device? device = null, Generator? generator = null, double mean = 0, double std = 1) =>
        Random(RandomKind.Normal, shape, dtype, device, generator, mean, std, "randn");

    /// <summary>Samples that are 1 with probability <paramref name="p"/>, else 0.</summary>
    public static Tensor Bernoulli(Shape shape, double p, DType dtype = DType.Float32, Device? device = null, Generator? generator = null)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "bernoulli: p must be in [0, 1]");
        }

        return Random(RandomKind.Bernoulli, shape, dtype, device, generator, p, 0, "bernoulli");
    }

    private static Tensor Random(RandomKind kind, Shape shape, DType dtype, Device? device, Generator? generator, double a, double b, string op)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (!dtype.IsFloatingPoint())
        {
            throw new DTypeMismatchException($"{op}: dtype {dtype.Name()} is not a floating-point type", nameof(dtype));
        }

        generator ??= Generator.Default;
        DType computeType = dtype == DType.Float64 ? DType.Float64 : DType.Float32;
        Tensor result = Empty(shape, computeType, device ?? Device.Cpu);
        ulong offset = generator.Reserve(CounterBlocks(kind, computeType, shape.Numel));
        result.Backend.FillRandom(kind, result.Storage, shape.Numel, generator.Seed, offset, a, b);
        return computeType == dtype ? result : result.CastAndDispose(dtype);
    }

    /// <summary>
    /// How many Philox counter values a draw consumes (each block gives four 32-bit words): four
    /// float32 uniforms or Bernoulli draws per block; two normals or float64 uniforms per block.
    /// </summary>
    private static ulong CounterBlocks(RandomKind kind, DType dtype, int count)
    {
        int perBlock = kind == RandomKind.Normal || dtype == DType.Float64 ? 2 : 4;
        return (ulong)((count + perBlock - 1) / perBlock);
    }
}
