using Spamp.Memory;

namespace Spamp.Backends;

/// <summary>
/// The device seam: every primitive a device must implement, on (storage, layout) pairs. The public
/// <see cref="Tensor"/> API validates shapes, dtypes and devices once and then calls exactly one
/// of these; backends never re-validate and never see autograd.
/// <para>
/// Conventions for every method: input layouts may be strided, broadcast (stride 0), offset or
/// permuted; an output ("dst") is a fresh contiguous storage of the right dtype and size, unless
/// a parameter says otherwise. Element types are as the Tensor API guarantees: the half-precision
/// types reach only data-movement primitives (the API computes them in float32).
/// </para>
/// </summary>
public abstract partial class Backend
{
    /// <summary>The device this backend drives.</summary>
    public abstract Device Device { get; }

    /// <summary>The device's caching allocator.</summary>
    public abstract CachingAllocator Allocator { get; }

    /// <summary>
    /// Number of times this backend made the host wait for the device (a read-back or an explicit
    /// synchronize). Always 0 on the CPU; GPU tests use it to prove a training step never waits.
    /// </summary>
    public virtual long Synchronizations => 0;

    // ---- data movement -------------------------------------------------------------------------

    /// <summary>Copies host values into <paramref name="dst"/> starting at element <paramref name="dstOffset"/>.</summary>
    public abstract void Upload<T>(ReadOnlySpan<T> source, Storage dst, int dstOffset) where T : unmanaged;

    /// <summary>Gathers the elements of (<paramref name="src"/>, <paramref name="layout"/>) in row-major order into host memory.</summary>
    public abstract void Download<T>(Storage src, Layout layout, Span<T> destination) where T : unmanaged;

    /// <summary>Copies src to dst element by element (same dtype and shape; both layouts may be strided; dst may be a view).</summary>
    public abstract void Copy(Storage src, Layout srcLayout, Storage dst, Layout dstLayout);

    /// <summary>Converts src to <paramref name="dst"/>'s dtype (dst contiguous).</summary>
    public abstract void Cast(Storage src, Layout srcLayout, Storage dst);

    /// <summary>Sets every element of the (possibly strided) view to <paramref name="value"/>.</summary>
    public abstract void Fill(Storage dst, Layout dstLayout, double value);

    /// <summary>dst[i] = start + i*step for i in [0, count).</summary>
    public abstract void Arange(Storage dst, int count, double start, double step);

    /// <summary>
    /// Fills dst[0..count) from the counter-based Philox stream at (seed, offset): element i is a
    /// pure function of (seed, offset, i), so every device produces the same numbers.
    /// </summary>
    public abstract void FillRandom(RandomKind kind, Storage dst, int count, ulong seed, ulong offset, double a, double b);

    // ---- element-wise --------------------------------------------------------------------------

    /// <summary>dst = op(src) (floating or, for Neg/Abs/Sign/Square/Clamp/Relu, integer types).</summary>
    public abstract void Unary(UnaryOp op, Storage src, Layout srcLayout, Storage dst, UnaryArgs args = default);

    /// <summary>gradInput = gradOutput * op'(input), with output = op(input) available for ops whose derivative is cheaper from it. All contiguous, same shape.</summary>
    public abstract void UnaryBackward(UnaryOp op, Storage input, Storage output, Storage gradOutput, Storage gradInput, int count, UnaryArgs args = default);

    /// <summary>dst = a op b; both layouts are already expanded to dst's shape (broadcast dimensions have stride 0).</summary>
    public abstract void Binary(BinaryOp op, Storage a, Layout aLayout, Storage b, Layout bLayout, Storage dst);

    /// <summary>dst = src op scalar, or scalar op src when <paramref name="scalarFirst"/>.</summary>
    public abstract void BinaryScalar(BinaryOp op, Storage src, Layout srcLayout, double scalar, bool scalarFirst, Storage dst);

    /// <summary>dst (Bool) = a cmp b; layouts expanded to dst's shape.</summary>
    public abstract void Compare(CompareOp op, Storage a, Layout aLayout, Storage b, Layout bLayout, Storage dst);

    /// <summary>dst = condition ? a : b; all three layouts expanded to dst's shape; condition is Bool.</summary>
    public abstract void Where(Storage condition, Layout conditionLayout, Storage a, Layout aLayout, Storage b, Layout bLayout, Storage dst);

    // ---- reductions ----------------------------------------------------------------------------

    /// <summary>
    /// Reduces src over the sorted, distinct <paramref name="axes"/>; dst is contiguous with the
    /// keep-dim shape (reduced axes have size 1). Sum/Prod of integers run in the dst type.
    /// </summary>
    public abstract void Reduce(ReduceOp op, Storage src, Layout srcLayout, ReadOnlySpan<int> axes, Storage dst);

    /// <summary>
    /// Max (or min) over one axis with the index of the first extreme element (NaN counts as the
    /// extreme, as in PyTorch); values and indices (Int64) are contiguous with the keep-dim shape.
    /// </summary>
    public abstract void ArgReduce(bool max, Storage src, Layout srcLayout, int axis, Storage values, Storage indices);

    // ---- linear algebra and fused ops ----------------------------------------------------------

    /// <summary>
    /// Batched matrix product: a is [batch, m, k], b is [batch, k, n] (any strides, batch stride
    /// possibly 0 for broadcast), dst is contiguous [batch, m, n].
    /// </summary>
    public abstract void MatMul(Storage a, Layout aLayout, Storage b, Layout bLayout, Storage dst);

    /// <summary>
    /// Softmax (or log-softmax) over the middle axis of a contiguous [outer, size, inner] src.
    /// Computed stably (the maximum is subtracted first).
    /// </summary>
    public abstract void Softmax(Storage src, int outer, int size, int inner, bool log, Storage dst);

    /// <summary>
    /// Gradient of <see cref="Softmax"/> from its output y: dx = y*(dy - sum(dy*y)) for softmax,
    /// dx = dy - exp(y)*sum(dy) for log-softmax. All contiguous [outer, size, inner].
    /// </summary>
    public abstract void SoftmaxBackward(Storage output, Storage gradOutput, int outer, int size, int inner, bool log, Storage gradInput);

    // ---- indexing ------------------------------------------------------------------------------

    /// <summary>dst = src.index_select(axis, index); index is a contiguous Int64 vector already range-checked.</summary>
    public abstract void IndexSelect(Storage src, Layout srcLayout, int axis, Storage index, int indexCount, Storage dst);

    /// <summary>dst (contiguous, in place) .index_add_(axis, index, src): dst[.., index[i], ..] += src[.., i, ..].</summary>
    public abstract void IndexAdd(Storage dst, Layout dstLayout, int axis, Storage index, int indexCount, Storage src, Layout srcLayout);

    /// <summary>dst = src.gather(axis, index); index (Int64) has dst's shape and is range-checked.</summary>
    public abstract void Gather(Storage src, Layout srcLayout, int axis, Storage index, Layout indexLayout, Storage dst);

    /// <summary>dst (contiguous, in place) .scatter_add_(axis, index, src); index and src share a shape.</summary>
    public abstract void ScatterAdd(Storage dst, Layout dstLayout, int axis, Storage index, Layout indexLayout, Storage src, Layout srcLayout);
}
