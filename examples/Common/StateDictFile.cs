using System.Globalization;
using System.Text.Json;
using Spamp.Layers;
using Spamp.Optim;

namespace Spamp.Examples;

/// <summary>
/// Saves and loads an optimizer <see cref="StateDict"/> as two files: <c>NAME.json</c>, a manifest with
/// every key in order, its type and (for scalars and arrays) its value; and <c>NAME.safetensors</c> with
/// the tensors. Doubles are written with round-trip formatting as strings (so NaN and infinities survive
/// and a reloaded value is bit-identical); longs as JSON numbers.
/// </summary>
public static class StateDictFile
{
    /// <summary>Writes <paramref name="state"/> to <paramref name="basePath"/>.json and .safetensors.</summary>
    /// <exception cref="NotSupportedException">A value of a type the format does not know.</exception>
    public static void Save(string basePath, StateDict state)
    {
        ArgumentNullException.ThrowIfNull(basePath);
        ArgumentNullException.ThrowIfNull(state);
        var tensors = new Dictionary<string, Tensor>();
        using var stream = File.Create(basePath + ".json");
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartArray();
            foreach (var (key, value) in state)
            {
                json.WriteStartObject();
                json.WriteString("key", key);
                switch (value)
                {
                    case Tensor t:
                        json.WriteString("type", "tensor");
                        tensors[key] = t;
                        break;
                    case double d:
                        json.WriteString("type", "double");
                        json.WriteString("value", d.ToString("R", CultureInfo.InvariantCulture));
                        break;
                    case long or int:
                        json.WriteString("type", "long");
                        json.WriteNumber("value", Convert.ToInt64(value, CultureInfo.InvariantCulture));
                        break;
                    case bool b:
                        json.WriteString("type", "bool");
                        json.WriteBoolean("value", b);
                        break;
                    case double[] doubles:
                        json.WriteString("type", "double[]");
                        json.WriteStartArray("value");
                        foreach (double d in doubles)
                        {
                            json.WriteStringValue(d.ToString("R", CultureInfo.InvariantCulture));
                        }

                        json.WriteEndArray();
                        break;
                    case long[] longs:
                        json.WriteString("type", "long[]");
                        json.WriteStartArray("value");
                        foreach (long l in longs)
                        {
                            json.WriteNumberValue(l);
                        }

                        json.WriteEndArray();
                        break;
                    default:
                        throw new NotSupportedException($"optimizer state '{key}': cannot save a value of type {value?.GetType().Name ?? "null"}");
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        SafeTensors.Save(basePath + ".safetensors", tensors);
    }

    /// <summary>
    /// Reads what <see cref="Save"/> wrote. The tensors in the result are owned by the caller (dispose them
    /// after <see cref="Optimizer.LoadStateDict"/>).
    /// </summary>
    public static StateDict Load(string basePath)
    {
        ArgumentNullException.ThrowIfNull(basePath);
        Dictionary<string, Tensor> tensors = SafeTensors.Load(basePath + ".safetensors");
        using JsonDocument manifest = JsonDocument.Parse(File.ReadAllBytes(basePath + ".json"));
        var state = new StateDict();
        foreach (JsonElement entry in manifest.RootElement.EnumerateArray())
        {
            string key = entry.GetProperty("key").GetString()!;
            string type = entry.GetProperty("type").GetString()!;
            state[key] = type switch
            {
                "tensor" => tensors[key],
                "double" => ParseDouble(entry.GetProperty("value")),
                "long" => entry.GetProperty("value").GetInt64(),
                "bool" => entry.GetProperty("value").GetBoolean(),
                "double[]" => entry.GetProperty("value").EnumerateArray().Select(ParseDouble).ToArray(),
                "long[]" => entry.GetProperty("value").EnumerateArray().Select(e => e.GetInt64()).ToArray(),
                _ => throw new InvalidDataException($"{basePath}.json: key '{key}' has unknown type '{type}'"),
            };
        }

        return state;
    }

    private static double ParseDouble(JsonElement e) => double.Parse(e.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture);
}
