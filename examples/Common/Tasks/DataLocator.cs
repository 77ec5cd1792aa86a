namespace Spamp.Examples.Tasks;

/// <summary>
/// Finds a data folder by name when the command line gives none: the repository's committed copy
/// (<c>examples/data/NAME</c>), then the uncommitted shared copy next to the repository
/// (<c>../shared/data/NAME</c>, where SST-2 lives because it has no licence to be committed). The search
/// walks up from the program's folder and from the working directory, so it works from <c>dotnet run</c>,
/// from tests and from a published binary inside the repository.
/// </summary>
public static class DataLocator
{
    /// <summary>The first existing folder for <paramref name="name"/>, or null.</summary>
    public static string? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (string start in (string[])[AppContext.BaseDirectory, Directory.GetCurrentDirectory()])
        {
            for (string? dir = Path.GetFullPath(start); dir is not null; dir = Path.GetDirectoryName(dir))
            {
                string committed = Path.Combine(dir, "examples", "data", name);
                if (Directory.Exists(committed))
                {
                    return committed;
                }

                if (File.Exists(Path.Combine(dir, "Spamp.Core.sln")))
                {
                    string shared = Path.GetFullPath(Path.Combine(dir, "..", "shared", "data", name));
                    if (Directory.Exists(shared))
                    {
                        return shared;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>
    /// <paramref name="explicitDirectory"/> when given, else <see cref="Find"/>; throws naming where it looked
    /// and the option that sets it.
    /// </summary>
    public static string Resolve(string name, string? explicitDirectory)
    {
        if (explicitDirectory is not null)
        {
            return Directory.Exists(explicitDirectory) ? explicitDirectory
                : throw new DirectoryNotFoundException($"data folder '{explicitDirectory}' does not exist");
        }

        return Find(name) ?? throw new DirectoryNotFoundException(
            $"no '{name}' data: looked for examples/data/{name} and ../shared/data/{name} around the repository; pass --data <dir>");
    }
}
