namespace FastRnn.Tests.Fuzz;

/// <summary>
/// A file of gigabytes that costs nothing: <paramref name="prefix"/> written, then the length set with
/// <see cref="FileStream.SetLength"/>, which on every common file system leaves the rest as an unallocated hole that
/// reads as zeros. Deleted on dispose.
/// </summary>
internal sealed class SparseFile : IDisposable
{
    public SparseFile(string extension, byte[] prefix, long length)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"fastrnn-sparse-{Guid.NewGuid():N}{extension}");
        using var stream = new FileStream(Path, FileMode.CreateNew, FileAccess.Write);
        stream.Write(prefix);
        stream.SetLength(length);
    }

    public string Path { get; }

    public string Name => System.IO.Path.GetFileName(Path);

    public void Dispose() => File.Delete(Path);
}
