namespace Spamp.Optim;

/// <summary>What a step does when the gradients contain NaN or infinity (ALGORITHMS.md 0.4).</summary>
public enum NonFinitePolicy
{
    /// <summary>Skip the step: no transform or update runs, no counter or EMA advances, gradients are zeroed, the skip is counted and reported (recommended default, as AMP's GradScaler). The host path drops the gradients; a device-resident step decides on the device and fills them with zeros there.</summary>
    SkipStep,
    /// <summary>Do nothing special: NaN flows into the update, as PyTorch does by default.</summary>
    Propagate,
    /// <summary>Throw <see cref="NonFiniteGradientException"/> naming the first non-finite parameter; nothing is changed.</summary>
    Throw,
}

/// <summary>A gradient was NaN or infinite under <see cref="NonFinitePolicy.Throw"/>.</summary>
public class NonFiniteGradientException : ArithmeticException
{
    /// <summary>Creates the exception.</summary>
    public NonFiniteGradientException(string message) : base(message) { }

    /// <summary>Required by design guidelines.</summary>
    public NonFiniteGradientException() { }

    /// <summary>Required by design guidelines.</summary>
    public NonFiniteGradientException(string message, Exception innerException) : base(message, innerException) { }
}
