using System.IO.Compression;

namespace FastRnn.Import;

/// <summary>
/// The zip archive <c>torch.save</c> writes by default (PyTorch 1.6 and later): <c>&lt;name&gt;/data.pkl</c>, the
/// pickled object, and <c>&lt;name&gt;/data/&lt;key&gt;</c>, the raw little-endian bytes of each storage, all stored
/// uncompressed.
/// </summary>
/// <remarks>Each entry is checked against the file before it is read: stored (not compressed), within the file,
/// and for a storage exactly its element count times its element size, so no allocation follows an unchecked
/// header field.</remarks>
internal sealed class TorchZipFile : TorchContainer
{
    private readonly FileStream _stream;
    private readonly ZipArchive _archive;
    private readonly string _root;

    private TorchZipFile(string file, FileStream stream) : base(file)
    {
        _stream = stream;
        ZipArchiveEntry[] entries;
        try
        {
            _archive = new ZipArchive(stream, ZipArchiveMode.Read);
            // The entry list is read lazily, on first use: a broken central directory is found here, not above.
            entries = [.. _archive.Entries];
        }
        catch (InvalidDataException e)
        {
            throw TorchErrors.Malformed(file, "archive", $"is not a valid zip archive (a torch.save file is one): {e.Message}", e);
        }
        ZipArchiveEntry[] pickles = entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1).ToArray();
        if (pickles.Length != 1)
            throw TorchErrors.Malformed(file, "archive", pickles.Length == 0
                ? "has no <name>/data.pkl entry; it is a zip archive but not one torch.save wrote"
                : $"has {pickles.Length} <name>/data.pkl entries; torch.save writes one");
        _root = pickles[0].FullName[..^"data.pkl".Length];
        PicklePart = pickles[0].FullName;
        if (_archive.GetEntry(_root + "byteorder") is { } order && Text(order) is not "little")
            throw TorchErrors.Malformed(file, order.FullName, "says the storages are big-endian; only little-endian files are read");
        (Root, _, _) = TorchUnpickler.Load(ReadEntry(pickles[0], pickles[0].Length), 0, file, PicklePart);
    }

    public override string PicklePart { get; }

    public override object? Root { get; }

    public static TorchZipFile Open(string path, FileStream stream) => new(path, stream);

    protected override byte[] Read(TorchStorage storage)
    {
        string name = $"{_root}data/{storage.Key}";
        ZipArchiveEntry entry = _archive.GetEntry(name) ?? throw TorchErrors.Malformed(File, $"storage '{storage.Key}'", $"is missing: the archive has no entry {name}");
        long bytes = ByteLength(storage, _stream.Length, File, $"storage '{storage.Key}'");
        if (entry.Length != bytes)
            throw TorchErrors.Malformed(File, name, $"is {entry.Length} bytes but its storage holds {storage.ElementCount} {storage.Type.DType} elements ({bytes} bytes)");
        return ReadEntry(entry, bytes);
    }

    private byte[] ReadEntry(ZipArchiveEntry entry, long length)
    {
        if (entry.CompressedLength != entry.Length)
            throw TorchErrors.Malformed(File, entry.FullName, "is compressed; torch.save stores every entry uncompressed");
        if (entry.Length > _stream.Length || entry.Length > Array.MaxLength)
            throw TorchErrors.Malformed(File, entry.FullName, $"says it is {entry.Length} bytes, but the file is {_stream.Length}");
        var data = new byte[length];
        try
        {
            using Stream s = entry.Open();
            s.ReadExactly(data);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw TorchErrors.Malformed(File, entry.FullName, $"cannot be read (the file is truncated or corrupt): {e.Message}", e);
        }
        return data;
    }

    private string Text(ZipArchiveEntry entry)
        => entry.Length <= 16 ? System.Text.Encoding.ASCII.GetString(ReadEntry(entry, entry.Length)).Trim() : "";

    /// <summary>Closes the archive; the stream belongs to the caller.</summary>
    public override void Dispose()
    {
        _archive.Dispose();
        base.Dispose();
    }
}
