using System.IO.Compression;
using Spamp.Data;

namespace Spamp.Tests.Data;

/// <summary>Where the committed data lives, and helpers that write small files for a test.</summary>
internal static class DataFiles
{
    private static readonly Lazy<string> Root = new(FindRepositoryRoot);

    /// <summary>The repository root (the folder holding Spamp.Core.sln).</summary>
    public static string RepositoryRoot => Root.Value;

    /// <summary>examples/data/&lt;name&gt; in the repository.</summary>
    public static string Examples(string name) => Path.Combine(RepositoryRoot, "examples", "data", name);

    /// <summary>shared/data/&lt;name&gt; next to the repository (data that is not committed, such as SST-2).</summary>
    public static string Shared(string name) => Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "data", name));

    /// <summary>The UCI digits file: the committed copy when present, else the shared one, else null.</summary>
    public static string? UciDigits()
    {
        foreach (string path in (string[])[Path.Combine(Examples("uci-digits"), "digits.csv.gz"), Path.Combine(Shared("uci-digits"), "digits.csv.gz")])
        {
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    /// <summary>Writes <paramref name="bytes"/> to a fresh temporary file (gzipped when asked) and returns its path.</summary>
    public static string Write(string directory, string name, byte[] bytes, bool gzip = false)
    {
        string path = Path.Combine(directory, name);
        if (!gzip)
        {
            File.WriteAllBytes(path, bytes);
            return path;
        }

        using (var file = File.Create(path))
        using (var zip = new GZipStream(file, CompressionLevel.Fastest))
        {
            zip.Write(bytes);
        }

        return path;
    }

    /// <summary>Big-endian IDX bytes: the magic, the sizes, then the payload.</summary>
    public static byte[] Idx(int magic, int[] sizes, byte[] payload)
    {
        var bytes = new byte[4 + (4 * sizes.Length) + payload.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int i = 0; i < sizes.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * i)), sizes[i]);
        }

        payload.CopyTo(bytes, 4 + (4 * sizes.Length));
        return bytes;
    }

    /// <summary>A fresh, empty temporary folder for one test.</summary>
    public static string TempDirectory()
    {
        string path = Path.Combine(Path.GetTempPath(), "spamp-data-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Asserts that <paramref name="read"/> throws a DataFormatException naming the file, the position and the problem.</summary>
    public static DataFormatException ThrowsFormat(Action read, string path, string position, string problem)
    {
        DataFormatException? e = null;
        try
        {
            read();
        }
        catch (DataFormatException caught)
        {
            e = caught;
        }

        DataFormatException error = e ?? throw new AssertionException($"expected a DataFormatException about \"{problem}\" in {path}");
        Assert.That(error.Message, Does.Contain(path), "the message names the file");
        Assert.That(error.Message, Does.Contain(position), "the message names where");
        Assert.That(error.Message, Does.Contain(problem), "the message names the problem");
        Assert.That(error.FilePath, Is.EqualTo(path));
        Assert.That(error.ByteOffset >= 0 || error.LineNumber > 0, Is.True, "the position is also a property");
        return error;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Spamp.Core.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("tests: cannot find Spamp.Core.sln above " + TestContext.CurrentContext.TestDirectory);
    }
}
