namespace FastRnn.Tests.Support;

internal static class Fixtures
{
    public static string Directory(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>The repository's root: the nearest directory above the test binaries that holds FastRnn.sln.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FastRnn.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException($"no directory above {AppContext.BaseDirectory} contains FastRnn.sln");
    }

    /// <summary>The path of a model shipped in the repository's weights/ folder.</summary>
    public static string ShippedModel(string fileName) => Path.Combine(RepositoryRoot(), "weights", fileName);

    public static IEnumerable<string> Files(string name, string pattern)
        => System.IO.Directory.EnumerateFiles(Directory(name), pattern).Order(StringComparer.Ordinal);
}
