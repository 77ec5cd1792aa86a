namespace Spamp.Examples.Tasks;

/// <summary>The tasks of the reproduction by command-line name, each with the data folder it looks for by default.</summary>
public static class TaskCatalog
{
    /// <summary>Every task name: the paper's analogues first, then the test-sized one.</summary>
    public static IReadOnlyList<string> Names { get; } = ["fashion-mnist", "shakespeare", "wikitext", "sst2", "uci-digits"];

    /// <summary>
    /// Loads task <paramref name="name"/> from <paramref name="dataDirectory"/>, or from its default folder
    /// (<see cref="DataLocator"/>) when that is null.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the valid ones.</exception>
    /// <exception cref="DirectoryNotFoundException">The data cannot be found.</exception>
    public static TrainingTask Create(string name, string? dataDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "fashion-mnist" => new FashionMnistTask(DataLocator.Resolve("fashion-mnist", dataDirectory)),
            "shakespeare" => new ShakespeareTask(DataLocator.Resolve("tiny-shakespeare", dataDirectory)),
            "wikitext" => new WikiTextTask(DataLocator.Resolve("wikitext-2", dataDirectory)),
            "sst2" => new Sst2Task(DataLocator.Resolve("sst-2", dataDirectory)),
            "uci-digits" => new UciDigitsTask(DataLocator.Resolve("uci-digits", dataDirectory)),
            _ => throw new ArgumentException($"unknown task '{name}'; valid tasks: {string.Join(", ", Names)}", nameof(name)),
        };
    }
}
