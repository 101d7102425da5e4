namespace FastRnn.Tests.Support;

internal static class Fixtures
{
    public static string Directory(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static IEnumerable<string> Files(string name, string pattern)
        => System.IO.Directory.EnumerateFiles(Directory(name), pattern).Order(StringComparer.Ordinal);
}
