namespace Spamp;

/// <summary>
/// Two tensor shapes do not fit an operation. The message names the op, the arguments and their
/// shapes, e.g. <c>matmul: lhs [32,64] and rhs [32,10]: inner dimensions 64 and 32 differ</c>.
/// </summary>
public class ShapeMismatchException : ArgumentException
{
    /// <summary>Creates the exception with a complete message.</summary>
    public ShapeMismatchException(string message, string? paramName = null) : base(message, paramName) { }

    /// <summary>Creates the exception with a complete message and cause.</summary>
    public ShapeMismatchException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Required by design guidelines.</summary>
    public ShapeMismatchException() { }

    /// <summary>The message alone, without ArgumentException's " (Parameter 'x')" suffix.</summary>
    public override string Message => base.Message.Split(" (Parameter '")[0];
}

/// <summary>An operation does not support a tensor's element type, or two element types conflict.</summary>
public class DTypeMismatchException : ArgumentException
{
    /// <summary>Creates the exception with a complete message.</summary>
    public DTypeMismatchException(string message, string? paramName = null) : base(message, paramName) { }

    /// <summary>Creates the exception with a complete message and cause.</summary>
    public DTypeMismatchException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Required by design guidelines.</summary>
    public DTypeMismatchException() { }

    /// <summary>The message alone.</summary>
    public override string Message => base.Message.Split(" (Parameter '")[0];
}

/// <summary>Tensors on different devices were combined, or a device cannot be used.</summary>
public class DeviceMismatchException : ArgumentException
{
    /// <summary>Creates the exception with a complete message.</summary>
    public DeviceMismatchException(string message, string? paramName = null) : base(message, paramName) { }

    /// <summary>Creates the exception with a complete message and cause.</summary>
    public DeviceMismatchException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Required by design guidelines.</summary>
    public DeviceMismatchException() { }

    /// <summary>The message alone.</summary>
    public override string Message => base.Message.Split(" (Parameter '")[0];
}

/// <summary>A tensor was used after Dispose (directly or by its TensorScope).</summary>
public class TensorDisposedException : ObjectDisposedException
{
    /// <summary>Creates the exception.</summary>
    public TensorDisposedException(string message) : base("Tensor", message) { }

    /// <summary>Required by design guidelines.</summary>
    public TensorDisposedException() : base("Tensor") { }

    /// <summary>Required by design guidelines.</summary>
    public TensorDisposedException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>A device ran out of memory. The message says how much was asked, cached and live.</summary>
public class DeviceOutOfMemoryException : OutOfMemoryException
{
    /// <summary>Creates the exception.</summary>
    public DeviceOutOfMemoryException(string message) : base(message) { }

    /// <summary>Required by design guidelines.</summary>
    public DeviceOutOfMemoryException() { }

    /// <summary>Required by design guidelines.</summary>
    public DeviceOutOfMemoryException(string message, Exception innerException) : base(message, innerException) { }
}
