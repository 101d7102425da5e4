namespace FastRnn.Tests.Import;

/// <summary>A uniquely named file in the temp directory with a given extension, deleted on dispose.</summary>
internal sealed class ImportTemp : IDisposable
{
    public ImportTemp(string extension)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"fastrnn-import-{Guid.NewGuid():N}{extension}");
    }

    public string Path { get; }

    public static ImportTemp With(string extension, byte[] contents)
    {
        var file = new ImportTemp(extension);
        File.WriteAllBytes(file.Path, contents);
        return file;
    }

    public void Dispose() => File.Delete(Path);
}
