using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Spamp.Layers;

namespace Spamp.Tests.Layers;

/// <summary>
/// The safetensors reader and writer: files written by tests/reference/generate_layers.py (by hand,
/// following the format specification, since Debian has no safetensors package) load with the
/// expected values; our output loads back identically and has the byte layout the reference reader
/// requires; every kind of corruption throws <see cref="SafeTensorsFormatException"/> naming it.
/// </summary>
[TestFixture]
public sealed class SafeTensorsTests
{
    private static readonly string DataDirectory = Path.Combine(TestContext.CurrentContext.TestDirectory, "reference");

    [Test]
    public void LoadsTheReferenceFileWithEveryDtype()
    {
        using var scope = TensorScope.Begin();
        Dictionary<string, Tensor> tensors = SafeTensors.Load(Path.Combine(DataDirectory, "reference.safetensors"), out var metadata);
        Assert.That(metadata["format"], Is.EqualTo("pt"));
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(DataDirectory, "layers.json")));
        JsonElement expected = document.RootElement.GetProperty("safetensors");
        Assert.That(tensors["bf16"].DType, Is.EqualTo(DType.BFloat16));
        Assert.That(tensors["f16"].DType, Is.EqualTo(DType.Float16));
        Assert.That(tensors["i32"].DType, Is.EqualTo(DType.Int32));
        Assert.That(tensors.Keys, Is.EquivalentTo(expected.EnumerateObject().Select(p => p.Name)));
        foreach (JsonProperty p in expected.EnumerateObject())
        {
            Tensor t = tensors[p.Name];
            int[] shape = p.Value.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            Assert.That(t.Shape, Is.EqualTo(new Shape(shape)), p.Name);
            double[] want = p.Value.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            double[] have = t.DType == DType.Bool ? t.ToArray<bool>().Select(b => b ? 1.0 : 0.0).ToArray()
                : t.DType == DType.Int64 ? t.ToArray<long>().Select(v => (double)v).ToArray() : t.ToDoubleArray();
            Assert.That(have, Is.EqualTo(want), p.Name);
            t.Dispose();
        }
    }

    [Test]
    public void TorchStateDictLoadsIntoTheSameModelAndReproducesItsOutput()
    {
        using var scope = TensorScope.Begin();
        using var model = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
        model.LoadSafeTensors(Path.Combine(DataDirectory, "sequential.safetensors"));
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(DataDirectory, "layers.json")));
        JsonElement sequential = document.RootElement.GetProperty("sequential");
        Variable output = model.Forward(new Variable(PyTorchReference.Load(sequential.GetProperty("input"))));
        PyTorchReference.AssertClose("output", output.Data, sequential.GetProperty("output"));
    }

    [Test]
    public void SaveThenLoadGivesIdenticalTensorsAndMetadata()
    {
        using var scope = TensorScope.Begin();
        var tensors = new Dictionary<string, Tensor>
        {
            ["a.weight"] = Tensor.Randn([3, 5], generator: new Generator(1)),
            ["b"] = Tensor.Randn([7], DType.Float64, generator: new Generator(2)),
            ["h"] = Tensor.Randn([2, 2], DType.Float16, generator: new Generator(3)),
            ["bf"] = Tensor.Randn([3], DType.BFloat16, generator: new Generator(4)),
            ["i"] = Tensor.From(new long[] { 1, -2, long.MaxValue }, 3),
            ["m"] = Tensor.From(new bool[] { true, false }, 2),
        };
        using var stream = new MemoryStream();
        SafeTensors.Save(stream, tensors, new Dictionary<string, string> { ["epoch"] = "3" });
        stream.Position = 0;
        Dictionary<string, Tensor> loaded = SafeTensors.Load(stream, out var metadata);
        Assert.That(metadata, Is.EqualTo(new Dictionary<string, string> { ["epoch"] = "3" }));
        foreach (var (name, tensor) in tensors)
        {
            Assert.That(loaded[name].DType, Is.EqualTo(tensor.DType), name);
            Assert.That(loaded[name].Shape, Is.EqualTo(tensor.Shape), name);
            Assert.That(Bytes(loaded[name]), Is.EqualTo(Bytes(tensor)), name);
            loaded[name].Dispose();
        }
    }

    /// <summary>
    /// The layout the reference reader (safetensors.torch.load_file) requires, checked byte by byte:
    /// u64 little-endian header length, a JSON object whose entries have dtype, shape and
    /// data_offsets, header padded with spaces to 8 bytes, offsets contiguous from 0 to the end of the file.
    /// </summary>
    [Test]
    public void SavedBytesFollowTheReferenceLayout()
    {
        using var scope = TensorScope.Begin();
        var tensors = new Dictionary<string, Tensor>
        {
            ["w"] = Tensor.From(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3),
            ["b"] = Tensor.From(new float[] { -1 }, 1),
        };
        using var stream = new MemoryStream();
        SafeTensors.Save(stream, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        byte[] file = stream.ToArray();
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.That(n % 8, Is.Zero, "header padded to 8 bytes");
        string header = Encoding.UTF8.GetString(file, 8, (int)n);
        Assert.That(header, Does.StartWith("{\"__metadata__\":{\"format\":\"pt\"}"));
        Assert.That(header.TrimEnd(' '), Does.EndWith("}"));
        Assert.That(header[header.TrimEnd(' ').Length..], Is.All.EqualTo(' '));
        using var json = JsonDocument.Parse(header);
        JsonElement b = json.RootElement.GetProperty("b"), w = json.RootElement.GetProperty("w");
        Assert.That(b.GetProperty("dtype").GetString(), Is.EqualTo("F32"));
        Assert.That(b.GetProperty("data_offsets").EnumerateArray().Select(v => v.GetInt64()), Is.EqualTo(new long[] { 0, 4 }));
        Assert.That(w.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(w.GetProperty("data_offsets").EnumerateArray().Select(v => v.GetInt64()), Is.EqualTo(new long[] { 4, 28 }));
        Assert.That(file.Length, Is.EqualTo(8 + (int)n + 28));
        Assert.That(BitConverter.ToSingle(file, 8 + (int)n), Is.EqualTo(-1f));
        Assert.That(BitConverter.ToSingle(file, 8 + (int)n + 4 + 20), Is.EqualTo(6f));
    }

    [Test]
    public void ModuleRoundTripThroughAFile()
    {
        using var scope = TensorScope.Begin();
        string path = Path.Combine(Path.GetTempPath(), $"spamp-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var source = new Sequential(new Linear(3, 4, generator: new Generator(5)), new LayerNorm(4));
            using var target = new Sequential(new Linear(3, 4, generator: new Generator(6)), new LayerNorm(4));
            source.SaveSafeTensors(path);
            target.LoadSafeTensors(path);
            foreach (var ((name, a), (_, b)) in source.NamedParameters().Zip(target.NamedParameters()))
            {
                Assert.That(b.Data.ToArray<float>(), Is.EqualTo(a.Data.ToArray<float>()), name);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] ValidFile()
    {
        using var scope = TensorScope.Begin();
        using var stream = new MemoryStream();
        SafeTensors.Save(stream, new Dictionary<string, Tensor> { ["x"] = Tensor.From(new float[] { 1, 2, 3, 4 }, 4) });
        return stream.ToArray();
    }

    /// <summary>A file with <paramref name="header"/> as its JSON header and <paramref name="dataBytes"/> zero bytes of data.</summary>
    private static byte[] FileWith(string header, int dataBytes)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        return file;
    }

    private static IEnumerable<TestCaseData> Corruptions()
    {
        yield return new TestCaseData(new byte[] { 1, 2, 3 }, "too short").SetName("FileShorterThanTheLength");
        byte[] longHeader = ValidFile();
        BinaryPrimitives.WriteUInt64LittleEndian(longHeader, 1_000_000);
        yield return new TestCaseData(longHeader, "beyond the end of the file").SetName("HeaderLengthBeyondFile");
        yield return new TestCaseData(FileWith("{\"x\": {\"dtype\": \"F32\",", 16), "not valid JSON").SetName("BadJson");
        yield return new TestCaseData(FileWith("[1, 2]", 0), "expected an object").SetName("JsonNotAnObject");
        yield return new TestCaseData(FileWith("{\"x\": {\"dtype\": \"F8\", \"shape\": [2], \"data_offsets\": [0, 2]}}", 2), "unknown dtype 'F8'").SetName("UnknownDtype");
        yield return new TestCaseData(FileWith("{\"x\": {\"dtype\": \"F32\", \"shape\": [2]}}", 8), "data_offsets").SetName("MissingOffsets");
        yield return new TestCaseData(FileWith("{\"x\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 0]}}", 8), "out of range").SetName("OffsetsReversed");
        yield return new TestCaseData(FileWith("{\"x\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", 8), "needs 12").SetName("OffsetsDoNotMatchShape");
        yield return new TestCaseData(FileWith("{\"x\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"y\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 12), "overlap").SetName("OverlappingTensors");
        yield return new TestCaseData(FileWith("{\"x\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", 10), "truncated data").SetName("TruncatedData");
        yield return new TestCaseData(FileWith("{\"x\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 0]}}", 0), "invalid shape").SetName("NegativeShape");
        yield return new TestCaseData(FileWith("{\"__metadata__\": {\"a\": 1}}", 0), "not a string").SetName("NonStringMetadata");
    }

    [TestCaseSource(nameof(Corruptions))]
    public void CorruptFileThrowsNamingTheProblem(byte[] file, string problem)
    {
        using var scope = TensorScope.Begin();
        var error = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(new MemoryStream(file)));
        Assert.That(error!.Message, Does.Contain(problem));
    }

    [Test]
    public void ValidTensorsBeforeACorruptOneAreNotCreated()
    {
        // The valid tensor 'a' comes first in the header; validation rejects 'b' before any tensor exists.
        byte[] file = FileWith("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"b\": {\"dtype\": \"Q4\", \"shape\": [1], \"data_offsets\": [4, 5]}}", 5);
        long before = BackendRegistry.For(Device.Cpu).Allocator.Stats.AccountedBuffers;
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(new MemoryStream(file)));
        Assert.That(BackendRegistry.For(Device.Cpu).Allocator.Stats.AccountedBuffers, Is.EqualTo(before));
    }

    private static byte[] Bytes(Tensor t) => t.DType switch
    {
        DType.Float32 => t.ToArray<float>().SelectMany(BitConverter.GetBytes).ToArray(),
        DType.Float64 => t.ToArray<double>().SelectMany(BitConverter.GetBytes).ToArray(),
        DType.Float16 => t.ToArray<Half>().SelectMany(BitConverter.GetBytes).ToArray(),
        DType.BFloat16 => t.To(DType.Float32).ToArray<float>().SelectMany(BitConverter.GetBytes).ToArray(),
        DType.Int64 => t.ToArray<long>().SelectMany(BitConverter.GetBytes).ToArray(),
        DType.Bool => t.ToArray<bool>().SelectMany(BitConverter.GetBytes).ToArray(),
        _ => throw new ArgumentException(t.DType.ToString()),
    };
}
