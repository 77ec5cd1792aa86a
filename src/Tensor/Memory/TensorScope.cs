namespace Spamp;

/// <summary>
/// Deterministic cleanup for a region of code: every tensor created while the scope is the
/// innermost one on this thread is disposed when the scope is, unless it was kept.
/// <code>
/// using (var scope = TensorScope.Begin())
/// {
///     var loss = Model(x);          // temporaries: freed at the end of the block
///     result = scope.Keep(loss);    // survives, owned by the enclosing scope (or the caller)
/// }
/// </code>
/// Scopes nest; a kept tensor moves to the enclosing scope, or becomes the caller's to dispose when
/// there is none.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic]
    private static TensorScope? _current;

    private readonly TensorScope? _parent;
    private readonly List<Tensor> _owned = [];
    private bool _disposed;

    private TensorScope(TensorScope? parent) => _parent = parent;

    /// <summary>The innermost open scope on this thread, if any.</summary>
    public static TensorScope? Current => _current;

    /// <summary>Opens a scope on this thread.</summary>
    public static TensorScope Begin()
    {
        var scope = new TensorScope(_current);
        _current = scope;
        return scope;
    }

    /// <summary>Number of tensors this scope will dispose.</summary>
    public int Count => _owned.Count;

    internal static void Register(Tensor tensor) => _current?._owned.Add(tensor);

    /// <summary>
    /// Removes <paramref name="tensor"/> from whichever open scope on this thread owns it, so no
    /// scope disposes it: its owner (a parameter, a cache, the caller) now does.
    /// </summary>
    public static Tensor Detach(Tensor tensor)
    {
        for (var scope = _current; scope is not null; scope = scope._parent)
        {
            int i = scope._owned.LastIndexOf(tensor);
            if (i >= 0)
            {
                scope._owned.RemoveAt(i);
                break;
            }
        }

        return tensor;
    }

    /// <summary>Keeps <paramref name="tensor"/> alive past this scope: it moves to the enclosing scope, or to the caller when there is none.</summary>
    public Tensor Keep(Tensor tensor)
    {
        int i = _owned.LastIndexOf(tensor);
        if (i >= 0)
        {
            _owned.RemoveAt(i);
            _parent?._owned.Add(tensor);
        }

        return tensor;
    }

    /// <summary>Disposes every tensor this scope owns and makes the enclosing scope current again.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var tensor in _owned)
        {
            tensor.Dispose();
        }

        _owned.Clear();
        if (_current == this)
        {
            _current = _parent;
        }
    }
}
