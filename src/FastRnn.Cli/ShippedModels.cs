namespace FastRnn.Cli;

/// <summary>Finds the models shipped in the repository's <c>weights/</c> folder.</summary>
internal static class ShippedModels
{
    /// <summary>
    /// The path of <paramref name="fileName"/> in <c>weights/</c>, searched upwards from the current directory and
    /// from the tool's own location, so <c>dotnet run --project src/FastRnn.Cli</c> works from the repository root.
    /// </summary>
    public static string Find(string fileName)
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "weights", fileName);
                if (File.Exists(candidate))
                    return candidate;
            }
        }
        throw new FileNotFoundException($"shipped model weights/{fileName} not found above {Environment.CurrentDirectory}; pass --model <file.frnn>");
    }
}
