namespace FastRnn.Tests.Format;

/// <summary>A uniquely named file in the temp directory, deleted on dispose.</summary>
internal sealed class TempFile : IDisposable
{
    public TempFile()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"fastrnn-{Guid.NewGuid():N}.frnn");
    }

    public string Path { get; }

    public static TempFile With(byte[] contents)
    {
        var file = new TempFile();
        File.WriteAllBytes(file.Path, contents);
        return file;
    }

    public void Dispose() => File.Delete(Path);
}
