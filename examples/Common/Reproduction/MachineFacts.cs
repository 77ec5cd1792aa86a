using System.Runtime.InteropServices;

namespace Spamp.Examples.Reproduction;

/// <summary>What the report says about the machine, so timings can be read in context.</summary>
/// <param name="Cores">Logical processors the runtime sees.</param>
/// <param name="Processor">The CPU model (from /proc/cpuinfo on Linux; the architecture elsewhere).</param>
/// <param name="OperatingSystem">The OS description.</param>
/// <param name="Runtime">The .NET runtime.</param>
public sealed record MachineFacts(int Cores, string Processor, string OperatingSystem, string Runtime)
{
    /// <summary>The facts of this machine.</summary>
    public static MachineFacts Current() => new(
        Environment.ProcessorCount,
        CpuModel() ?? RuntimeInformation.ProcessArchitecture.ToString(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription);

    private static string? CpuModel()
    {
        const string cpuInfo = "/proc/cpuinfo";
        if (!File.Exists(cpuInfo))
        {
            return null;
        }

        string? line = File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }
}
