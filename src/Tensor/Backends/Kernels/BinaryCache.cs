using System.Security.Cryptography;
using System.Text;

namespace Spamp.Backends.Kernels;

/// <summary>
/// Compiled kernel binaries on disk, so a process does not pay the driver's compiler again for a
/// program an earlier process built. Keyed by SHA-256 of everything that decides the binary: the
/// full source, the compiler options, the device and the driver version. The directory is
/// <c>$SPAMP_KERNEL_CACHE</c>, else the user's cache directory (<c>$XDG_CACHE_HOME</c> or
/// <c>~/.cache</c>, <c>%LOCALAPPDATA%</c> on Windows) + <c>spamp/kernels</c>. The cache is an
/// optimisation only: an unwritable directory or a stale file just means compiling from source.
/// </summary>
internal static class BinaryCache
{
    /// <summary>The directory binaries are kept in.</summary>
    public static string Directory { get; } = ChooseDirectory();

    /// <summary>The cache key of a program: hex SHA-256 of its inputs.</summary>
    public static string Key(string source, string options, string device, string driver)
    {
        string text = string.Join("\n\u0001", source, options, device, driver);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The stored binary of <paramref name="key"/>, or null.</summary>
    public static byte[]? TryRead(string key)
    {
        try
        {
            string path = PathOf(key);
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Stores <paramref name="binary"/> under <paramref name="key"/> (written to a temporary file and renamed, so readers never see half a file).</summary>
    public static void Write(string key, byte[] binary)
    {
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            string path = PathOf(key);
            string temporary = $"{path}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
            File.WriteAllBytes(temporary, binary);
            File.Move(temporary, path, overwrite: true);
        }
        catch (IOException)
        {
            // Not fatal: the next process compiles again.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Removes a stored binary the driver rejected.</summary>
    public static void Forget(string key)
    {
        try
        {
            File.Delete(PathOf(key));
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string PathOf(string key) => Path.Combine(Directory, key + ".bin");

    private static string ChooseDirectory()
    {
        string? explicitDirectory = Environment.GetEnvironmentVariable("SPAMP_KERNEL_CACHE");
        if (!string.IsNullOrEmpty(explicitDirectory))
        {
            return explicitDirectory;
        }

        string root = OperatingSystem.IsWindows()
            ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
            : Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "spamp", "kernels");
    }
}
