using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Spamp.Layers;

/// <summary>
/// Reads and writes the safetensors format (huggingface/safetensors), which PyTorch, JAX and others
/// load: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// <c>{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ..., "__metadata__": {"k": "v"}}</c>,
/// then the raw little-endian tensor bytes, offsets relative to the end of the header. Supported
/// dtypes: F32, F64, F16, BF16, I64, I32, BOOL.
/// <para>
/// Loading validates the whole header against the file (lengths, JSON, dtypes, shapes, offsets in
/// range, matching shape x dtype size, not overlapping) before any tensor is created, so a corrupt
/// file throws <see cref="SafeTensorsFormatException"/> and returns nothing half-loaded. Saving
/// writes tensors in name order, back to back, and pads the header with spaces to a multiple of 8
/// bytes, as the reference writer does, so every tensor starts aligned.
/// </para>
/// </summary>
public static class SafeTensors
{
    private const string MetadataKey = "__metadata__";

    /// <summary>Writes <paramref name="tensors"/> (and optional string <paramref name="metadata"/>) to a file at <paramref name="path"/>.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using FileStream stream = File.Create(path);
        Save(stream, tensors, metadata);
    }

    /// <summary>Writes <paramref name="tensors"/> (and optional string <paramref name="metadata"/>) to <paramref name="stream"/>.</summary>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        var names = tensors.Keys.ToList();
        names.Sort(StringComparer.Ordinal);
        var header = new MemoryStream();
        long offset = 0;
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            foreach (string name in names)
            {
                if (name.Length == 0 || name == MetadataKey)
                {
                    throw new ArgumentException($"safetensors: '{name}' cannot be a tensor name", nameof(tensors));
                }

                Tensor tensor = tensors[name];
                long bytes = (long)tensor.Numel * tensor.DType.SizeOf();
                json.WriteStartObject(name);
                json.WriteString("dtype", DTypeCode(tensor.DType));
                json.WriteStartArray("shape");
                foreach (int d in tensor.Shape)
                {
                    json.WriteNumberValue(d);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }

            json.WriteEndObject();
        }

        // Spaces pad the header so the data (and so every tensor of 8-byte-aligned size) starts at a multiple of 8.
        while (header.Length % 8 != 0)
        {
            header.WriteByte((byte)' ');
        }

        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        header.Position = 0;
        header.CopyTo(stream);
        foreach (string name in names)
        {
            stream.Write(RawBytes(tensors[name]));
        }
    }

    /// <summary>Reads every tensor of the file at <paramref name="path"/> (on the CPU).</summary>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, out _);

    /// <summary>Reads every tensor of the file at <paramref name="path"/> and its <c>__metadata__</c> (empty when absent).</summary>
    public static Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata) => Parse(File.ReadAllBytes(path), out metadata);

    /// <summary>Reads every tensor from <paramref name="stream"/> (to its end).</summary>
    public static Dictionary<string, Tensor> Load(Stream stream) => Load(stream, out _);

    /// <summary>Reads every tensor from <paramref name="stream"/> and the <c>__metadata__</c>.</summary>
    public static Dictionary<string, Tensor> Load(Stream stream, out Dictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), out metadata);
    }

    private sealed record Entry(string Name, DType DType, int[] Shape, long Begin, long End);

    private static Dictionary<string, Tensor> Parse(ReadOnlySpan<byte> file, out Dictionary<string, string> metadata)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("safetensors: loading on a big-endian host is not supported");
        }

        if (file.Length < 8)
        {
            throw new SafeTensorsFormatException($"safetensors: file of {file.Length} bytes is too short to hold the 8-byte header length");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > (ulong)(file.Length - 8))
        {
            throw new SafeTensorsFormatException($"safetensors: header length {headerLength} is beyond the end of the file ({file.Length - 8} bytes follow the length)");
        }

        ReadOnlySpan<byte> header = file.Slice(8, (int)headerLength);
        ReadOnlySpan<byte> data = file[(8 + (int)headerLength)..];
        List<Entry> entries = ParseHeader(header, out metadata);

        // Offsets: inside the data, matching shape x dtype size, and not overlapping one another.
        foreach (Entry e in entries)
        {
            long expected = e.Shape.Aggregate(1L, (n, d) => n * d) * e.DType.SizeOf();
            if (e.Begin < 0 || e.End < e.Begin)
            {
                throw new SafeTensorsFormatException($"safetensors: tensor '{e.Name}' has data_offsets out of range [{e.Begin}, {e.End}]");
            }

            if (e.End - e.Begin != expected)
            {
                throw new SafeTensorsFormatException(
                    $"safetensors: tensor '{e.Name}' data_offsets [{e.Begin}, {e.End}] span {e.End - e.Begin} bytes, but shape {Shape.Format(e.Shape)} of {DTypeCode(e.DType)} needs {expected}");
            }

            if (e.End > data.Length)
            {
                throw new SafeTensorsFormatException(
                    $"safetensors: truncated data: tensor '{e.Name}' ends at byte {e.End} of the data section, which has only {data.Length} bytes");
            }
        }

        var byOffset = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        for (int i = 1; i < byOffset.Count; i++)
        {
            if (byOffset[i].Begin < byOffset[i - 1].End)
            {
                throw new SafeTensorsFormatException(
                    $"safetensors: tensors '{byOffset[i - 1].Name}' [{byOffset[i - 1].Begin}, {byOffset[i - 1].End}] and '{byOffset[i].Name}' [{byOffset[i].Begin}, {byOffset[i].End}] overlap");
            }
        }

        // Everything is valid: only now are tensors created.
        var result = new Dictionary<string, Tensor>(entries.Count);
        foreach (Entry e in entries)
        {
            result[e.Name] = TensorScope.Detach(Create(e.DType, data[(int)e.Begin..(int)e.End], new Shape(e.Shape)));
        }

        return result;
    }

    private static List<Entry> ParseHeader(ReadOnlySpan<byte> header, out Dictionary<string, string> metadata)
    {
        metadata = [];
        var entries = new List<Entry>();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header.ToArray());
        }
        catch (JsonException error)
        {
            throw new SafeTensorsFormatException($"safetensors: the header is not valid JSON: {error.Message}", error);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new SafeTensorsFormatException($"safetensors: bad JSON header: expected an object, found {document.RootElement.ValueKind}");
            }

            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (property.Value.ValueKind != JsonValueKind.Object)
                    {
                        throw new SafeTensorsFormatException("safetensors: bad JSON header: __metadata__ must be an object of strings");
                    }

                    foreach (JsonProperty item in property.Value.EnumerateObject())
                    {
                        metadata[item.Name] = item.Value.ValueKind == JsonValueKind.String ? item.Value.GetString()!
                            : throw new SafeTensorsFormatException($"safetensors: bad JSON header: __metadata__ value '{item.Name}' is not a string");
                    }

                    continue;
                }

                entries.Add(ParseEntry(property));
            }
        }

        return entries;
    }

    private static Entry ParseEntry(JsonProperty property)
    {
        string name = property.Name;
        JsonElement value = property.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out JsonElement dtype) || dtype.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out JsonElement shape) || shape.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out JsonElement offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
        {
            throw new SafeTensorsFormatException($"safetensors: bad JSON header: tensor '{name}' needs \"dtype\" (string), \"shape\" (array) and \"data_offsets\" ([begin, end])");
        }

        string code = dtype.GetString()!;
        DType type = code switch
        {
            "F32" => DType.Float32,
            "F64" => DType.Float64,
            "F16" => DType.Float16,
            "BF16" => DType.BFloat16,
            "I64" => DType.Int64,
            "I32" => DType.Int32,
            "BOOL" => DType.Bool,
            _ => throw new SafeTensorsFormatException($"safetensors: unknown dtype '{code}' for tensor '{name}' (supported: F32, F64, F16, BF16, I64, I32, BOOL)"),
        };

        var dims = new int[shape.GetArrayLength()];
        long numel = 1;
        int i = 0;
        foreach (JsonElement d in shape.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out dims[i]) || dims[i] < 0)
            {
                throw new SafeTensorsFormatException($"safetensors: bad JSON header: tensor '{name}' has an invalid shape entry {d.GetRawText()}");
            }

            numel *= dims[i++];
            if (numel > int.MaxValue)
            {
                throw new SafeTensorsFormatException($"safetensors: tensor '{name}' of shape {Shape.Format(dims)} has more than 2^31-1 elements");
            }
        }

        long[] range = new long[2];
        i = 0;
        foreach (JsonElement o in offsets.EnumerateArray())
        {
            if (o.ValueKind != JsonValueKind.Number || !o.TryGetInt64(out range[i++]))
            {
                throw new SafeTensorsFormatException($"safetensors: tensor '{name}' has data_offsets out of range: {offsets.GetRawText()}");
            }
        }

        return new Entry(name, type, dims, range[0], range[1]);
    }

    private static Tensor Create(DType dtype, ReadOnlySpan<byte> bytes, Shape shape) => dtype switch
    {
        DType.Float32 => Tensor.From(MemoryMarshal.Cast<byte, float>(bytes), shape),
        DType.Float64 => Tensor.From(MemoryMarshal.Cast<byte, double>(bytes), shape),
        DType.Float16 => Tensor.From(MemoryMarshal.Cast<byte, Half>(bytes), shape),
        DType.BFloat16 => Tensor.From(MemoryMarshal.Cast<byte, BFloat16>(bytes), shape),
        DType.Int64 => Tensor.From(MemoryMarshal.Cast<byte, long>(bytes), shape),
        DType.Int32 => Tensor.From(MemoryMarshal.Cast<byte, int>(bytes), shape),
        DType.Bool => CreateBool(bytes, shape),
        _ => throw new SafeTensorsFormatException($"safetensors: dtype {dtype.Name()} is not supported"),
    };

    private static Tensor CreateBool(ReadOnlySpan<byte> bytes, Shape shape)
    {
        foreach (byte b in bytes)
        {
            if (b > 1)
            {
                throw new SafeTensorsFormatException($"safetensors: a BOOL tensor of shape {shape} holds the byte {b}, not 0 or 1");
            }
        }

        return Tensor.From(MemoryMarshal.Cast<byte, bool>(bytes), shape);
    }

    private static byte[] RawBytes(Tensor tensor) => tensor.DType switch
    {
        DType.Float32 => MemoryMarshal.AsBytes(tensor.ToArray<float>().AsSpan()).ToArray(),
        DType.Float64 => MemoryMarshal.AsBytes(tensor.ToArray<double>().AsSpan()).ToArray(),
        DType.Float16 => MemoryMarshal.AsBytes(tensor.ToArray<Half>().AsSpan()).ToArray(),
        DType.BFloat16 => MemoryMarshal.AsBytes(tensor.ToArray<BFloat16>().AsSpan()).ToArray(),
        DType.Int64 => MemoryMarshal.AsBytes(tensor.ToArray<long>().AsSpan()).ToArray(),
        DType.Int32 => MemoryMarshal.AsBytes(tensor.ToArray<int>().AsSpan()).ToArray(),
        DType.Bool => MemoryMarshal.AsBytes(tensor.ToArray<bool>().AsSpan()).ToArray(),
        _ => throw new ArgumentException($"safetensors: dtype {tensor.DType.Name()} cannot be saved"),
    };

    private static string DTypeCode(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Float16 => "F16",
        DType.BFloat16 => "BF16",
        DType.Int64 => "I64",
        DType.Int32 => "I32",
        DType.Bool => "BOOL",
        _ => throw new ArgumentException($"safetensors: dtype {dtype.Name()} has no safetensors code"),
    };
}
