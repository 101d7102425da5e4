namespace FastRnn.Import;

/// <summary>
/// The two files <c>torch.save</c> writes, read the same way: the object its main pickle holds
/// (<see cref="Root"/>), and the bytes of each storage that pickle names.
/// </summary>
internal abstract class TorchContainer : IDisposable
{
    private readonly Dictionary<string, byte[]> _bytes = new(StringComparer.Ordinal);

    protected TorchContainer(string file) => File = file;

    public string File { get; }

    /// <summary>The name of the main pickle in messages: <c>archive/data.pkl</c>, or <c>the main pickle</c>.</summary>
    public abstract string PicklePart { get; }

    public abstract object? Root { get; }

    /// <summary>The storage's bytes, exactly its element count times its element size, read once and shared by its views.</summary>
    public byte[] Bytes(TorchStorage storage)
    {
        if (!_bytes.TryGetValue(storage.Key, out byte[]? bytes))
        {
            bytes = Read(storage);
            _bytes.Add(storage.Key, bytes);
        }
        return bytes;
    }

    protected abstract byte[] Read(TorchStorage storage);

    /// <summary>Element count times element size, if the file can hold that many bytes and one array can too.</summary>
    protected static long ByteLength(TorchStorage storage, long available, string file, string part)
    {
        if (storage.ElementCount > available / storage.Type.ElementSize)
            throw TorchErrors.Malformed(file, part, $"says it holds {storage.ElementCount} {storage.Type.DType} elements, more than the {available} bytes present");
        long bytes = storage.ElementCount * storage.Type.ElementSize;
        if (bytes > Array.MaxLength)
            throw TorchErrors.Malformed(file, part, $"is {bytes} bytes; at most {Array.MaxLength} fit in one array");
        return bytes;
    }

    public virtual void Dispose()
    {
    }
}
