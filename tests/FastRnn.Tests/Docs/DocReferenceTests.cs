using System.Text.RegularExpressions;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Docs;

/// <summary>
/// A doc or comment that names a test class or a file of the repository is checked here, so a rename cannot leave
/// a stale reference behind: every <c>…Tests</c> name in the docs and the sources is a test class, and every
/// repository path in backticks in the docs exists.
/// </summary>
public partial class DocReferenceTests
{
    private static readonly string Root = Fixtures.RepositoryRoot();

    private static IEnumerable<string> DocFiles()
        => Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md")
            .Concat(Directory.EnumerateFiles(Root, "*.md"))
            .Concat(Directory.Exists(Path.Combine(Root, "weights")) ? Directory.EnumerateFiles(Path.Combine(Root, "weights"), "*.md") : []);

    private static IEnumerable<string> SourceFiles()
        => new[] { "src", "bench", "tools" }
            .Select(folder => Path.Combine(Root, folder))
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*.*", SearchOption.AllDirectories))
            .Where(path => path.EndsWith(".cs", StringComparison.Ordinal) || path.EndsWith(".py", StringComparison.Ordinal))
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    [Fact]
    public void EveryTestClassNamedInDocsOrSources_Exists()
    {
        var testClasses = typeof(DocReferenceTests).Assembly.GetTypes().Select(t => t.Name).ToHashSet();
        var missing = new List<string>();
        foreach (string file in DocFiles().Concat(SourceFiles()))
        {
            foreach (Match m in TestClassName().Matches(File.ReadAllText(file)))
            {
                if (!testClasses.Contains(m.Value))
                    missing.Add($"{Path.GetRelativePath(Root, file)}: {m.Value}");
            }
        }
        Assert.True(missing.Count == 0, "names of test classes that do not exist:\n" + string.Join("\n", missing.Distinct()));
    }

    [Fact]
    public void EveryRepositoryPathInTheDocs_Exists()
    {
        var missing = new List<string>();
        foreach (string file in DocFiles())
        {
            foreach (Match m in QuotedPath().Matches(File.ReadAllText(file)))
            {
                string path = m.Groups[1].Value;
                // Paths are written from the repository root, or from src/FastRnn for the engine's own folders.
                bool exists = File.Exists(Path.Combine(Root, path)) || Directory.Exists(Path.Combine(Root, path))
                    || File.Exists(Path.Combine(Root, "src", "FastRnn", path));
                if (!exists)
                    missing.Add($"{Path.GetRelativePath(Root, file)}: {path}");
            }
        }
        Assert.True(missing.Count == 0, "paths in the docs that do not exist:\n" + string.Join("\n", missing.Distinct()));
    }

    // A type-like word ending in Tests, e.g. `ZeroAllocationTests`; "FastRnn.Tests" (the project) is not one.
    [GeneratedRegex(@"(?<![.\w])[A-Z][A-Za-z0-9]*[a-z0-9]Tests\b")]
    private static partial Regex TestClassName();

    // `Kernels/Activation.cs`, `tools/frnn.py`, `docs/format.md`: a relative path with a folder and a source extension.
    [GeneratedRegex(@"`((?:[A-Za-z0-9_.-]+/)+[A-Za-z0-9_.-]+\.(?:cs|py|md|csproj|json|svg))`")]
    private static partial Regex QuotedPath();
}
