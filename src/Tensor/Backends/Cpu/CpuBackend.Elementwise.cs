using System.Numerics;
using Spamp.Memory;

namespace Spamp.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    // ---- unary ---------------------------------------------------------------------------------

    /// <inheritdoc/>
    public override void Unary(UnaryOp op, Storage src, Layout srcLayout, Storage dst, UnaryArgs args = default)
    {
        switch (dst.DType)
        {
            case DType.Float32: UnaryFloat<float>(op, src, srcLayout, dst, args); break;
            case DType.Float64: UnaryFloat<double>(op, src, srcLayout, dst, args); break;
            case DType.Int32: UnaryInteger<int>(op, src, srcLayout, dst, args); break;
            case DType.Int64: UnaryInteger<long>(op, src, srcLayout, dst, args); break;
            default: throw Unsupported($"unary {op}", dst.DType);
        }
    }

    private static UnaryScalars<T> Scalars<T>(UnaryArgs args) where T : INumberBase<T> =>
        new(T.CreateSaturating(args.A), T.CreateSaturating(args.B), !double.IsNaN(args.A), !double.IsNaN(args.B));

    private static void UnaryFloat<T>(UnaryOp op, Storage src, Layout layout, Storage dst, UnaryArgs args)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = Scalars<T>(args);
        switch (op)
        {
            case UnaryOp.Neg: RunUnary<T, NegKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Abs: RunUnary<T, AbsKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Sign: RunUnary<T, SignKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Exp: RunUnary<T, ExpKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Log: RunUnary<T, LogKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Sqrt: RunUnary<T, SqrtKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Rsqrt: RunUnary<T, RsqrtKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Square: RunUnary<T, SquareKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Reciprocal: RunUnary<T, ReciprocalKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Relu: RunUnary<T, ReluKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.GeluTanh: RunUnary<T, GeluTanhKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.GeluErf: RunUnary<T, GeluErfKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Silu: RunUnary<T, SiluKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Sigmoid: RunUnary<T, SigmoidKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Tanh: RunUnary<T, TanhKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Sin: RunUnary<T, SinKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Cos: RunUnary<T, CosKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.PowScalar: RunUnary<T, PowScalarKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Clamp: RunUnary<T, ClampKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.LeakyRelu: RunUnary<T, LeakyReluKernel<T>>(src, layout, dst, p); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "unknown unary op");
        }
    }

    private static void UnaryInteger<T>(UnaryOp op, Storage src, Layout layout, Storage dst, UnaryArgs args)
        where T : unmanaged, IBinaryInteger<T>, ISignedNumber<T>
    {
        var p = Scalars<T>(args);
        switch (op)
        {
            case UnaryOp.Neg: RunUnary<T, NegKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Abs: RunUnary<T, AbsKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Sign: RunUnary<T, SignKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Square: RunUnary<T, SquareKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Relu: RunUnary<T, ReluKernel<T>>(src, layout, dst, p); break;
            case UnaryOp.Clamp: RunUnary<T, ClampKernel<T>>(src, layout, dst, p); break;
            default: throw Unsupported($"unary {op}", dst.DType);
        }
    }

    /// <summary>
    /// A strided source is first gathered into the (contiguous) destination and transformed in
    /// place there, so every operation only ever needs its contiguous span form.
    /// </summary>
    private static void RunUnary<T, TKernel>(Storage src, Layout layout, Storage dst, UnaryScalars<T> p)
        where T : unmanaged
        where TKernel : IUnaryKernel<T>
    {
        int n = layout.Numel;
        if (n == 0)
        {
            return;
        }

        T* d = Ptr<T>(dst);
        T* x = Ptr<T>(src) + layout.Offset;
        if (!layout.IsContiguous)
        {
            CopyBytes((byte*)Ptr<T>(src), layout, (byte*)d, Dense(layout.Shape), sizeof(T));
            x = d;
        }

        CpuParallel.For(n, TKernel.Cost, new UnaryBody<T, TKernel>(x, d, p));
    }

    private readonly struct UnaryBody<T, TKernel>(T* x, T* d, UnaryScalars<T> p) : IRangeBody
        where T : unmanaged
        where TKernel : IUnaryKernel<T>
    {
        public void Execute(int start, int end) =>
            TKernel.Apply(new ReadOnlySpan<T>(x + start, end - start), new Span<T>(d + start, end - start), p);
    }

    /// <inheritdoc/>
    public override void UnaryBackward(UnaryOp op, Storage input, Storage output, Storage gradOutput, Storage gradInput, int count, UnaryArgs args = default)
    {
        switch (gradInput.DType)
        {
            case DType.Float32: UnaryBackwardFloat<float>(op, input, output, gradOutput, gradInput, count, args); break;
            case DType.Float64: UnaryBackwardFloat<double>(op, input, output, gradOutput, gradInput, count, args); break;
            default: throw Unsupported($"unary backward {op}", gradInput.DType);
        }
    }

    private static void UnaryBackwardFloat<T>(UnaryOp op, Storage input, Storage output, Storage gradOutput, Storage gradInput, int count, UnaryArgs args)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = Scalars<T>(args);
        var pointers = new BackwardPointers<T>(Ptr<T>(input), Ptr<T>(output), Ptr<T>(gradOutput), Ptr<T>(gradInput));
        switch (op)
        {
            case UnaryOp.Neg: RunUnaryBackward<T, NegBackward<T>>(pointers, count, p); break;
            case UnaryOp.Abs: RunUnaryBackward<T, AbsBackward<T>>(pointers, count, p); break;
            case UnaryOp.Sign: RunUnaryBackward<T, SignBackward<T>>(pointers, count, p); break;
            case UnaryOp.Exp: RunUnaryBackward<T, ExpBackward<T>>(pointers, count, p); break;
            case UnaryOp.Log: RunUnaryBackward<T, LogBackward<T>>(pointers, count, p); break;
            case UnaryOp.Sqrt: RunUnaryBackward<T, SqrtBackward<T>>(pointers, count, p); break;
            case UnaryOp.Rsqrt: RunUnaryBackward<T, RsqrtBackward<T>>(pointers, count, p); break;
            case UnaryOp.Square: RunUnaryBackward<T, SquareBackward<T>>(pointers, count, p); break;
            case UnaryOp.Reciprocal: RunUnaryBackward<T, ReciprocalBackward<T>>(pointers, count, p); break;
            case UnaryOp.Relu: RunUnaryBackward<T, ReluBackward<T>>(pointers, count, p); break;
            case UnaryOp.GeluTanh: RunUnaryBackward<T, GeluTanhBackward<T>>(pointers, count, p); break;
            case UnaryOp.GeluErf: RunUnaryBackward<T, GeluErfBackward<T>>(pointers, count, p); break;
            case UnaryOp.Silu: RunUnaryBackward<T, SiluBackward<T>>(pointers, count, p); break;
            case UnaryOp.Sigmoid: RunUnaryBackward<T, SigmoidBackward<T>>(pointers, count, p); break;
            case UnaryOp.Tanh: RunUnaryBackward<T, TanhBackward<T>>(pointers, count, p); break;
            case UnaryOp.Sin: RunUnaryBackward<T, SinBackward<T>>(pointers, count, p); break;
            case UnaryOp.Cos: RunUnaryBackward<T, CosBackward<T>>(pointers, count, p); break;
            case UnaryOp.PowScalar: RunUnaryBackward<T, PowScalarBackward<T>>(pointers, count, p); break;
            case UnaryOp.Clamp: RunUnaryBackward<T, ClampBackward<T>>(pointers, count, p); break;
            case UnaryOp.LeakyRelu: RunUnaryBackward<T, LeakyReluBackward<T>>(pointers, count, p); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "unknown unary op");
        }
    }

    private readonly struct BackwardPointers<T>(T* input, T* output, T* gradOutput, T* gradInput) where T : unmanaged
    {
        public readonly T* Input = input, Output = output, GradOutput = gradOutput, GradInput = gradInput;
    }

    private static void RunUnaryBackward<T, TKernel>(BackwardPointers<T> pointers, int count, UnaryScalars<T> p)
        where T : unmanaged
        where TKernel : IUnaryBackwardKernel<T>
    {
        int blocks = (count + UnaryBlocks.Size - 1) / UnaryBlocks.Size;
        CpuParallel.For(blocks, (long)UnaryBlocks.Size * TKernel.Cost, new UnaryBackwardBody<T, TKernel>(pointers, count, p));
    }

    private readonly struct UnaryBackwardBody<T, TKernel>(BackwardPointers<T> ptr, int count, UnaryScalars<T> p) : IRangeBody
        where T : unmanaged
        where TKernel : IUnaryBackwardKernel<T>
    {
        public void Execute(int start, int end)
        {
            Span<T> scratch = stackalloc T[3 * UnaryBlocks.Size];
            for (int block = start; block < end; block++)
            {
                int i = block * UnaryBlocks.Size;
                int n = Math.Min(UnaryBlocks.Size, count - i);
                TKernel.Apply(
                    new ReadOnlySpan<T>(ptr.Input + i, n), new ReadOnlySpan<T>(ptr.Output + i, n),
                    new ReadOnlySpan<T>(ptr.GradOutput + i, n), new Span<T>(ptr.GradInput + i, n),
                    scratch[..n], scratch.Slice(UnaryBlocks.Size, n), scratch.Slice(2 * UnaryBlocks.Size, n), p);
            }
        }
    }

    // ---- binary --------------------------------------------------------------------------------

    /// <inheritdoc/>
    public override void Binary(BinaryOp op, Storage a, Layout aLayout, Storage b, Layout bLayout, Storage dst)
    {
        if (aLayout.Numel == 0)
        {
            return;
        }

        var loop = StridedLoop.Create(aLayout.Shape, aLayout, bLayout, Dense(aLayout.Shape));
        switch (dst.DType)
        {
            case DType.Float32: BinaryFloat(op, loop, Ptr<float>(a), Ptr<float>(b), Ptr<float>(dst)); break;
            case DType.Float64: BinaryFloat(op, loop, Ptr<double>(a), Ptr<double>(b), Ptr<double>(dst)); break;
            case DType.Int32: BinaryInteger(op, loop, Ptr<int>(a), Ptr<int>(b), Ptr<int>(dst)); break;
            case DType.Int64: BinaryInteger(op, loop, Ptr<long>(a), Ptr<long>(b), Ptr<long>(dst)); break;
            default: throw Unsupported($"binary {op}", dst.DType);
        }
    }

    private static void BinaryFloat<T>(BinaryOp op, StridedLoop loop, T* a, T* b, T* d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case BinaryOp.Div: loop.Run(new BinarySegments<T, DivKernel<T>>(a, b, d)); break;
            case BinaryOp.Pow: loop.Run(new BinarySegments<T, PowKernel<T>>(a, b, d), costPerElement: 8); break;
            default: BinaryInteger(op, loop, a, b, d); break;
        }
    }

    /// <summary>The operations every numeric type has (also the float types' share).</summary>
    private static void BinaryInteger<T>(BinaryOp op, StridedLoop loop, T* a, T* b, T* d) where T : unmanaged, INumber<T>
    {
        switch (op)
        {
            case BinaryOp.Add: loop.Run(new BinarySegments<T, AddKernel<T>>(a, b, d)); break;
            case BinaryOp.Sub: loop.Run(new BinarySegments<T, SubKernel<T>>(a, b, d)); break;
            case BinaryOp.Mul: loop.Run(new BinarySegments<T, MulKernel<T>>(a, b, d)); break;
            case BinaryOp.Maximum: loop.Run(new BinarySegments<T, MaximumKernel<T>>(a, b, d)); break;
            case BinaryOp.Minimum: loop.Run(new BinarySegments<T, MinimumKernel<T>>(a, b, d)); break;
            default: throw Unsupported($"binary {op}", DTypeInfo.Of<T>());
        }
    }

    /// <inheritdoc/>
    public override void BinaryScalar(BinaryOp op, Storage src, Layout srcLayout, double scalar, bool scalarFirst, Storage dst)
    {
        if (srcLayout.Numel == 0)
        {
            return;
        }

        var loop = StridedLoop.Create(srcLayout.Shape, srcLayout, Dense(srcLayout.Shape));
        switch (dst.DType)
        {
            case DType.Float32: BinaryScalarFloat(op, loop, Ptr<float>(src), (float)scalar, scalarFirst, Ptr<float>(dst)); break;
            case DType.Float64: BinaryScalarFloat(op, loop, Ptr<double>(src), scalar, scalarFirst, Ptr<double>(dst)); break;
            case DType.Int32: BinaryScalarInteger(op, loop, Ptr<int>(src), int.CreateSaturating(scalar), scalarFirst, Ptr<int>(dst)); break;
            case DType.Int64: BinaryScalarInteger(op, loop, Ptr<long>(src), long.CreateSaturating(scalar), scalarFirst, Ptr<long>(dst)); break;
            default: throw Unsupported($"binary {op}", dst.DType);
        }
    }

    private static void BinaryScalarFloat<T>(BinaryOp op, StridedLoop loop, T* x, T s, bool first, T* d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case BinaryOp.Div: loop.Run(new BinaryScalarSegments<T, DivKernel<T>>(x, s, first, d)); break;
            case BinaryOp.Pow: loop.Run(new BinaryScalarSegments<T, PowKernel<T>>(x, s, first, d), costPerElement: 8); break;
            default: BinaryScalarInteger(op, loop, x, s, first, d); break;
        }
    }

    private static void BinaryScalarInteger<T>(BinaryOp op, StridedLoop loop, T* x, T s, bool first, T* d) where T : unmanaged, INumber<T>
    {
        switch (op)
        {
            case BinaryOp.Add: loop.Run(new BinaryScalarSegments<T, AddKernel<T>>(x, s, first, d)); break;
            case BinaryOp.Sub: loop.Run(new BinaryScalarSegments<T, SubKernel<T>>(x, s, first, d)); break;
            case BinaryOp.Mul: loop.Run(new BinaryScalarSegments<T, MulKernel<T>>(x, s, first, d)); break;
            case BinaryOp.Maximum: loop.Run(new BinaryScalarSegments<T, MaximumKernel<T>>(x, s, first, d)); break;
            case BinaryOp.Minimum: loop.Run(new BinaryScalarSegments<T, MinimumKernel<T>>(x, s, first, d)); break;
            default: throw Unsupported($"binary {op}", DTypeInfo.Of<T>());
        }
    }

    // ---- comparison and selection --------------------------------------------------------------

    /// <inheritdoc/>
    public override void Compare(CompareOp op, Storage a, Layout aLayout, Storage b, Layout bLayout, Storage dst)
    {
        if (aLayout.Numel == 0)
        {
            return;
        }

        var loop = StridedLoop.Create(aLayout.Shape, aLayout, bLayout, Dense(aLayout.Shape));
        bool* d = Ptr<bool>(dst);
        switch (a.DType)
        {
            case DType.Float32: CompareTyped(op, loop, Ptr<float>(a), Ptr<float>(b), d); break;
            case DType.Float64: CompareTyped(op, loop, Ptr<double>(a), Ptr<double>(b), d); break;
            case DType.Int32: CompareTyped(op, loop, Ptr<int>(a), Ptr<int>(b), d); break;
            case DType.Int64: CompareTyped(op, loop, Ptr<long>(a), Ptr<long>(b), d); break;
            case DType.Bool when op is CompareOp.Eq or CompareOp.Ne: CompareTyped(op, loop, Ptr<byte>(a), Ptr<byte>(b), d); break;
            default: throw Unsupported($"compare {op}", a.DType);
        }
    }

    private static void CompareTyped<T>(CompareOp op, StridedLoop loop, T* a, T* b, bool* d) where T : unmanaged, INumber<T>
    {
        switch (op)
        {
            case CompareOp.Eq: loop.Run(new CompareSegments<T, EqKernel<T>>(a, b, d)); break;
            case CompareOp.Ne: loop.Run(new CompareSegments<T, NeKernel<T>>(a, b, d)); break;
            case CompareOp.Lt: loop.Run(new CompareSegments<T, LtKernel<T>>(a, b, d)); break;
            case CompareOp.Le: loop.Run(new CompareSegments<T, LeKernel<T>>(a, b, d)); break;
            case CompareOp.Gt: loop.Run(new CompareSegments<T, GtKernel<T>>(a, b, d)); break;
            case CompareOp.Ge: loop.Run(new CompareSegments<T, GeKernel<T>>(a, b, d)); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "unknown comparison");
        }
    }

    /// <inheritdoc/>
    public override void Where(Storage condition, Layout conditionLayout, Storage a, Layout aLayout, Storage b, Layout bLayout, Storage dst)
    {
        if (aLayout.Numel == 0)
        {
            return;
        }

        var loop = StridedLoop.Create(aLayout.Shape, conditionLayout, aLayout, bLayout, Dense(aLayout.Shape));
        byte* c = Ptr<byte>(condition);
        switch (dst.DType.SizeOf())
        {
            case 1: loop.Run(new WhereSegments<byte>(c, Ptr<byte>(a), Ptr<byte>(b), Ptr<byte>(dst))); break;
            case 2: loop.Run(new WhereSegments<ushort>(c, Ptr<ushort>(a), Ptr<ushort>(b), Ptr<ushort>(dst))); break;
            case 4: loop.Run(new WhereSegments<uint>(c, Ptr<uint>(a), Ptr<uint>(b), Ptr<uint>(dst))); break;
            default: loop.Run(new WhereSegments<ulong>(c, Ptr<ulong>(a), Ptr<ulong>(b), Ptr<ulong>(dst))); break;
        }
    }
}
