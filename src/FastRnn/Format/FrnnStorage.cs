namespace FastRnn.Format;

/// <summary>
/// The bytes of an .frnn file, either a caller's buffer or a read-only memory mapping. The parser and
/// <see cref="FrnnFile"/> read only through this type, and only at offsets they have validated against
/// <see cref="Length"/>; offsets are never re-read from the bytes after validation, so a file changed underneath a
/// mapping cannot steer a read outside it.
/// </summary>
internal abstract class FrnnStorage : IDisposable
{
    /// <summary>Number of bytes in the file.</summary>
    public abstract long Length { get; }

    /// <summary>Bytes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>), which the
    /// caller has checked lie inside the file.</summary>
    public abstract ReadOnlySpan<byte> GetBytes(long offset, int length);

    /// <summary><paramref name="count"/> float32 values starting at byte <paramref name="offset"/>, a zero-copy view
    /// the caller has checked lies inside the file.</summary>
    public abstract ReadOnlySpan<float> GetFloat32(long offset, int count);

    /// <summary>Releases the mapping, if any.</summary>
    public abstract void Dispose();
}
