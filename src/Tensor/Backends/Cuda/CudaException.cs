namespace Spamp.Backends.Cuda;

/// <summary>
/// A CUDA driver or NVRTC call failed. The message names the call and the driver's text for the
/// error; a failed compilation carries the compiler's full log.
/// </summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates the exception for <paramref name="result"/> returned by <paramref name="call"/>.</summary>
    public CudaException(int result, string call, string text)
        : base($"{call} failed: {text} ({result})")
    {
        Result = result;
        Call = call;
    }

    /// <summary>The CUresult or nvrtcResult code.</summary>
    public int Result { get; }

    /// <summary>The API function that returned it.</summary>
    public string Call { get; }

    /// <summary>The name cuda.h gives a CUresult, for when the driver itself cannot be asked.</summary>
    public static string ErrorName(int result) => result switch
    {
        0 => "CUDA_SUCCESS",
        1 => "CUDA_ERROR_INVALID_VALUE",
        2 => "CUDA_ERROR_OUT_OF_MEMORY",
        3 => "CUDA_ERROR_NOT_INITIALIZED",
        4 => "CUDA_ERROR_DEINITIALIZED",
        100 => "CUDA_ERROR_NO_DEVICE",
        101 => "CUDA_ERROR_INVALID_DEVICE",
        200 => "CUDA_ERROR_INVALID_IMAGE",
        201 => "CUDA_ERROR_INVALID_CONTEXT",
        209 => "CUDA_ERROR_NO_BINARY_FOR_GPU",
        218 => "CUDA_ERROR_INVALID_PTX",
        222 => "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
        300 => "CUDA_ERROR_INVALID_SOURCE",
        400 => "CUDA_ERROR_INVALID_HANDLE",
        500 => "CUDA_ERROR_NOT_FOUND",
        600 => "CUDA_ERROR_NOT_READY",
        700 => "CUDA_ERROR_ILLEGAL_ADDRESS",
        701 => "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
        702 => "CUDA_ERROR_LAUNCH_TIMEOUT",
        719 => "CUDA_ERROR_LAUNCH_FAILED",
        803 => "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
        804 => "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE",
        999 => "CUDA_ERROR_UNKNOWN",
        _ => "CUDA_ERROR_UNRECOGNIZED",
    };
}
