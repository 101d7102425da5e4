using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Docs;

/// <summary>
/// Every C# block in the README is a complete program: it must compile against the engine as it is, and a block whose
/// model files are shipped must also run. So the README cannot drift from the API.
/// </summary>
public partial class ReadmeSnippetTests
{
    public static IEnumerable<object[]> Snippets()
    {
        string readme = File.ReadAllText(Path.Combine(Fixtures.RepositoryRoot(), "README.md"));
        int index = 0;
        foreach (Match match in CSharpBlock().Matches(readme))
            yield return [index++, match.Groups[1].Value];
    }

    [Fact]
    public void Readme_HasCSharpSnippets() => Assert.True(Snippets().Count() >= 3, "the README's C# examples were not found");

    [Theory]
    [MemberData(nameof(Snippets))]
    public void Snippet_CompilesAgainstTheEngine_AndRunsWhenItsModelsAreShipped(int index, string code)
    {
        string root = Fixtures.RepositoryRoot();
        // Paths in the README are relative to the repository; anchor them so the program can run from anywhere.
        string anchored = code.Replace("\"weights/", $"\"{root.Replace("\\", "/")}/weights/", StringComparison.Ordinal);
        byte[] assembly = Compile($"readme_snippet_{index}", anchored);

        bool shipped = ModelPath().Matches(code).All(m => File.Exists(Path.Combine(root, m.Groups[1].Value)));
        if (!shipped)
            return; // compiled is all a block about the reader's own model can promise
        var context = new AssemblyLoadContext($"readme {index}", isCollectible: true);
        try
        {
            MethodInfo entry = context.LoadFromStream(new MemoryStream(assembly)).EntryPoint!;
            entry.Invoke(null, entry.GetParameters().Length == 0 ? null : [Array.Empty<string>()]);
        }
        finally
        {
            context.Unload();
        }
    }

    private static byte[] Compile(string name, string code)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(path) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(RnnModel).Assembly.Location)
            .Select(path => MetadataReference.CreateFromFile(path));
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        // What `dotnet new console` gives a reader: implicit usings, nullable on.
        var implicitUsings = CSharpSyntaxTree.ParseText(
            "global using System; global using System.IO; global using System.Collections.Generic; global using System.Linq; global using System.Threading.Tasks;",
            options);
        var compilation = CSharpCompilation.Create(
            name, [CSharpSyntaxTree.ParseText(code, options), implicitUsings], references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        Assert.True(result.Success, $"README C# block {name} does not compile:\n{string.Join("\n", errors)}\n---\n{code}");
        return stream.ToArray();
    }

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"""([^""]+\.frnn)""")]
    private static partial Regex ModelPath();
}
