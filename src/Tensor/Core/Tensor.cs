using Spamp.Backends;
using Spamp.Memory;

namespace Spamp;

/// <summary>
/// An n-dimensional array of one <see cref="Spamp.DType"/> on one <see cref="Spamp.Device"/>: a
/// refcounted <see cref="Memory.Storage"/> plus a <see cref="Spamp.Layout"/> (shape, strides,
/// offset). Views share storage; operations are eager and dispatch to the device's
/// <see cref="Backend"/> after validating their arguments once.
/// <para>
/// Tensors own device memory and are <see cref="IDisposable"/>: dispose them, or create them inside
/// a <see cref="TensorScope"/>, and the memory returns to the device pool at once.
/// </para>
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private Storage? _storage;

    internal Tensor(Storage storage, Layout layout)
    {
        _storage = storage;
        Layout = layout;
        TensorScope.Register(this);
    }

    /// <summary>Allocates an uninitialised contiguous tensor (internal: contents are undefined).</summary>
    internal static Tensor Empty(Shape shape, DType dtype, Device device)
    {
        Backend backend = BackendRegistry.For(device);
        return new Tensor(Storage.Allocate(backend, dtype, shape.Numel), Layout.Contiguous(shape));
    }

    /// <summary>A new tensor sharing this tensor's storage with another layout (a view).</summary>
    internal Tensor View(Layout layout)
    {
        Storage storage = Storage;
        storage.Retain();
        return new Tensor(storage, layout);
    }

    /// <summary>The shared storage. Throws if this tensor was disposed.</summary>
    public Storage Storage => _storage ?? throw new TensorDisposedException(
        "this tensor was disposed (directly, or by the TensorScope it was created in); keep it with TensorScope.Keep or create it outside the scope");

    /// <summary>Shape, strides and offset into the storage.</summary>
    public Layout Layout { get; }

    /// <summary>The sizes of the dimensions.</summary>
    public Shape Shape => Layout.Shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => Layout.Rank;

    /// <summary>Number of elements.</summary>
    public int Numel => Layout.Numel;

    /// <summary>Element type.</summary>
    public DType DType => Storage.DType;

    /// <summary>The device holding the data.</summary>
    public Device Device => Storage.Device;

    /// <summary>The device's backend.</summary>
    internal Backend Backend => Storage.Backend;

    /// <summary>True once disposed.</summary>
    public bool IsDisposed => _storage is null;

    /// <summary>True when the elements are densely packed in row-major order.</summary>
    public bool IsContiguous => Layout.IsContiguous;

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => Shape[Shape.NormalizeDim(dim, "size")];

    /// <summary>
    /// Releases this tensor's reference to its storage. The memory returns to the device pool when
    /// the last view of it is disposed. Idempotent.
    /// </summary>
    public void Dispose()
    {
        Storage? storage = Interlocked.Exchange(ref _storage, null);
        storage?.Release();
    }
}
