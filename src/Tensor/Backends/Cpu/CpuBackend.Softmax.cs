using System.Numerics;
using Spamp.Memory;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Spamp.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>
    /// Columns handled together when the softmax axis is not innermost: the per-column max and sum
    /// rows of this width live on the stack and stay in L1 while the axis is swept.
    /// </summary>
    private const int SoftmaxColumns = 1024;

    /// <inheritdoc/>
    public override void Softmax(Storage src, int outer, int size, int inner, bool log, Storage dst)
    {
        switch (dst.DType)
        {
            case DType.Float32: RunSoftmax(new SoftmaxBody<float>(Ptr<float>(src), Ptr<float>(dst), outer, size, inner, log)); break;
            case DType.Float64: RunSoftmax(new SoftmaxBody<double>(Ptr<double>(src), Ptr<double>(dst), outer, size, inner, log)); break;
            default: throw Unsupported("softmax", dst.DType);
        }
    }

    /// <inheritdoc/>
    public override void SoftmaxBackward(Storage output, Storage gradOutput, int outer, int size, int inner, bool log, Storage gradInput)
    {
        switch (gradInput.DType)
        {
            case DType.Float32: RunSoftmax(new SoftmaxBackwardBody<float>(Ptr<float>(output), Ptr<float>(gradOutput), Ptr<float>(gradInput), outer, size, inner, log)); break;
            case DType.Float64: RunSoftmax(new SoftmaxBackwardBody<double>(Ptr<double>(output), Ptr<double>(gradOutput), Ptr<double>(gradInput), outer, size, inner, log)); break;
            default: throw Unsupported("softmax backward", gradInput.DType);
        }
    }

    /// <summary>A softmax-shaped job: items are (outer index, column chunk) pairs, independent of each other.</summary>
    private interface ISoftmaxBody : IRangeBody
    {
        int Outer { get; }

        int Size { get; }

        int Inner { get; }
    }

    private static void RunSoftmax<TBody>(TBody body) where TBody : struct, ISoftmaxBody
    {
        if (body.Outer == 0 || body.Size == 0 || body.Inner == 0)
        {
            return;
        }

        int chunksPerOuter = (body.Inner + SoftmaxColumns - 1) / SoftmaxColumns;
        long costPerItem = 8L * body.Size * Math.Min(body.Inner, SoftmaxColumns);
        CpuParallel.For(body.Outer * chunksPerOuter, costPerItem, body);
    }

    private readonly struct SoftmaxBody<T>(T* src, T* dst, int outer, int size, int inner, bool log) : ISoftmaxBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Outer => outer;

        public int Size => size;

        public int Inner => inner;

        public void Execute(int start, int end)
        {
            int chunks = (inner + SoftmaxColumns - 1) / SoftmaxColumns;
            for (int item = start; item < end; item++)
            {
                int o = item / chunks, c0 = item % chunks * SoftmaxColumns;
                long baseOffset = ((long)o * size * inner) + c0;
                if (inner == 1)
                {
                    Row(new ReadOnlySpan<T>(src + baseOffset, size), new Span<T>(dst + baseOffset, size));
                }
                else
                {
                    Columns(src + baseOffset, dst + baseOffset, Math.Min(SoftmaxColumns, inner - c0));
                }
            }
        }

        private void Row(ReadOnlySpan<T> x, Span<T> d)
        {
            T max = TP.Max(x);
            TP.Subtract(x, max, d);
            if (log)
            {
                // log softmax = (x - max) - log(sum exp(x - max)); the exps go through a stack block.
                Span<T> t = stackalloc T[UnaryBlocks.Size];
                T sum = T.Zero;
                for (int i = 0; i < d.Length; i += UnaryBlocks.Size)
                {
                    int n = Math.Min(UnaryBlocks.Size, d.Length - i);
                    TP.Exp(d.Slice(i, n), t[..n]);
                    sum += TP.Sum<T>(t[..n]);
                }

                TP.Subtract(d, T.Log(sum), d);
            }
            else
            {
                TP.Exp(d, d);
                TP.Divide(d, AccurateSum.Sum<T>(d), d);
            }
        }

        /// <summary>The softmax axis has stride <c>inner</c>: sweep it as rows of <paramref name="width"/> columns.</summary>
        private void Columns(T* x, T* d, int width)
        {
            Span<T> max = stackalloc T[width];
            Span<T> sum = stackalloc T[width];
            new ReadOnlySpan<T>(x, width).CopyTo(max);
            for (int j = 1; j < size; j++)
            {
                TP.Max(max, new ReadOnlySpan<T>(x + ((long)j * inner), width), max);
            }

            sum.Clear();
            for (int j = 0; j < size; j++)
            {
                var dj = new Span<T>(d + ((long)j * inner), width);
                TP.Subtract(new ReadOnlySpan<T>(x + ((long)j * inner), width), max, dj);
                TP.Exp(dj, dj);
                TP.Add(sum, dj, sum);
            }

            if (log)
            {
                TP.Log(sum, sum);
                TP.Add(sum, max, sum); // log-sum-exp per column
                for (int j = 0; j < size; j++)
                {
                    TP.Subtract(new ReadOnlySpan<T>(x + ((long)j * inner), width), sum, new Span<T>(d + ((long)j * inner), width));
                }
            }
            else
            {
                TP.Reciprocal(sum, sum);
                for (int j = 0; j < size; j++)
                {
                    var dj = new Span<T>(d + ((long)j * inner), width);
                    TP.Multiply(dj, sum, dj);
                }
            }
        }
    }

    private readonly struct SoftmaxBackwardBody<T>(T* y, T* dy, T* dx, int outer, int size, int inner, bool log) : ISoftmaxBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public int Outer => outer;

        public int Size => size;

        public int Inner => inner;

        public void Execute(int start, int end)
        {
            int chunks = (inner + SoftmaxColumns - 1) / SoftmaxColumns;
            for (int item = start; item < end; item++)
            {
                int o = item / chunks, c0 = item % chunks * SoftmaxColumns;
                long baseOffset = ((long)o * size * inner) + c0;
                if (inner == 1)
                {
                    Row(new ReadOnlySpan<T>(y + baseOffset, size), new ReadOnlySpan<T>(dy + baseOffset, size), new Span<T>(dx + baseOffset, size));
                }
                else
                {
                    Columns(y + baseOffset, dy + baseOffset, dx + baseOffset, Math.Min(SoftmaxColumns, inner - c0));
                }
            }
        }

        private void Row(ReadOnlySpan<T> yr, ReadOnlySpan<T> g, Span<T> d)
        {
            if (log)
            {
                // dx = dy - exp(y) * sum(dy); exp(y) goes through a stack block so dx may alias dy.
                T negSum = -AccurateSum.Sum(g);
                Span<T> t = stackalloc T[UnaryBlocks.Size];
                for (int i = 0; i < d.Length; i += UnaryBlocks.Size)
                {
                    int n = Math.Min(UnaryBlocks.Size, d.Length - i);
                    TP.Exp(yr.Slice(i, n), t[..n]);
                    TP.MultiplyAdd(t[..n], negSum, g.Slice(i, n), d.Slice(i, n));
                }
            }
            else
            {
                // dx = y * (dy - sum(dy * y))
                T dot = AccurateSum.Dot(g, yr);
                TP.Subtract(g, dot, d);
                TP.Multiply(d, yr, d);
            }
        }

        private void Columns(T* yp, T* gp, T* dp, int width)
        {
            Span<T> sum = stackalloc T[width];
            Span<T> t = stackalloc T[width];
            sum.Clear();
            for (int j = 0; j < size; j++)
            {
                var gj = new ReadOnlySpan<T>(gp + ((long)j * inner), width);
                if (log)
                {
                    TP.Add(sum, gj, sum);
                }
                else
                {
                    TP.MultiplyAdd(gj, new ReadOnlySpan<T>(yp + ((long)j * inner), width), sum, sum);
                }
            }

            for (int j = 0; j < size; j++)
            {
                long at = (long)j * inner;
                var yj = new ReadOnlySpan<T>(yp + at, width);
                var gj = new ReadOnlySpan<T>(gp + at, width);
                var dj = new Span<T>(dp + at, width);
                if (log)
                {
                    TP.Exp(yj, t);
                    TP.Multiply(t, sum, t);
                    TP.Subtract(gj, t, dj);
                }
                else
                {
                    TP.Subtract(gj, sum, dj);
                    TP.Multiply(dj, yj, dj);
                }
            }
        }
    }
}
