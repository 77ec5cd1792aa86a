namespace Spamp.Layers;

/// <summary>A safetensors file is malformed: the message names the problem (header length, JSON, dtype, offsets, truncation).</summary>
public class SafeTensorsFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public SafeTensorsFormatException(string message) : base(message) { }

    /// <summary>Required by design guidelines.</summary>
    public SafeTensorsFormatException() { }

    /// <summary>Wraps the parser's error.</summary>
    public SafeTensorsFormatException(string message, Exception innerException) : base(message, innerException) { }
}
