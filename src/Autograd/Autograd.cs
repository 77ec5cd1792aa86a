namespace Spamp;

/// <summary>
/// Global switches of the autograd engine, per thread: whether operations record a graph
/// (<see cref="NoGrad"/>) and whether every operation checks its result for NaN and infinity
/// (<see cref="DetectAnomaly"/>).
/// </summary>
public static class Autograd
{
    [ThreadStatic]
    private static bool _gradDisabled;

    [ThreadStatic]
    private static bool _anomalyDetection;

    [ThreadStatic]
    private static string? _modulePath;

    /// <summary>True when operations on variables that require gradients record the graph (the default).</summary>
    public static bool IsGradEnabled => !_gradDisabled;

    /// <summary>True inside <see cref="DetectAnomaly"/>.</summary>
    public static bool IsAnomalyDetectionEnabled => _anomalyDetection;

    /// <summary>
    /// The module path of the code running now (set by layers through <see cref="EnterModule"/>),
    /// reported by anomaly detection so a NaN is traced to <c>blocks.3.attn</c>, not just to "matmul".
    /// </summary>
    public static string? CurrentModulePath => _modulePath;

    /// <summary>
    /// Turns graph recording off until the returned object is disposed: for evaluation and for
    /// optimizer updates. <c>using (Autograd.NoGrad()) { ... }</c>
    /// </summary>
    public static IDisposable NoGrad() => Restore.Create(() => _gradDisabled = true, _gradDisabled, value => _gradDisabled = value);

    /// <summary>Turns graph recording back on inside a <see cref="NoGrad"/> region.</summary>
    public static IDisposable EnableGrad() => Restore.Create(() => _gradDisabled = false, _gradDisabled, value => _gradDisabled = value);

    /// <summary>
    /// Until disposed, every forward and backward operation checks its result and throws
    /// <see cref="AnomalyException"/> naming the first operation (and module) that produced a NaN or
    /// an infinity. Slow (one extra pass per op): for debugging.
    /// </summary>
    public static IDisposable DetectAnomaly() => Restore.Create(() => _anomalyDetection = true, _anomalyDetection, value => _anomalyDetection = value);

    /// <summary>Marks the code until disposal as running inside module <paramref name="path"/> (for anomaly messages).</summary>
    public static IDisposable EnterModule(string path) => Restore.Create(() => _modulePath = path, _modulePath, value => _modulePath = value);

    private sealed class Restore : IDisposable
    {
        private readonly Action _restore;
        private bool _done;

        private Restore(Action restore) => _restore = restore;

        /// <summary>Applies a setting now and returns the object that puts the previous value back.</summary>
        public static Restore Create<T>(Action apply, T previous, Action<T> set)
        {
            apply();
            return new Restore(() => set(previous));
        }

        public void Dispose()
        {
            if (!_done)
            {
                _done = true;
                _restore();
            }
        }
    }
}

/// <summary>An operation produced NaN or infinity while <see cref="Autograd.DetectAnomaly"/> was on.</summary>
public class AnomalyException : ArithmeticException
{
    /// <summary>Creates the exception.</summary>
    public AnomalyException(string message) : base(message) { }

    /// <summary>Required by design guidelines.</summary>
    public AnomalyException() { }

    /// <summary>Required by design guidelines.</summary>
    public AnomalyException(string message, Exception innerException) : base(message, innerException) { }
}
