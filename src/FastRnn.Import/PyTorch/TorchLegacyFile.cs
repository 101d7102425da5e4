using System.Buffers.Binary;
using System.Collections;

namespace FastRnn.Import;

/// <summary>
/// The format <c>torch.save(..., _use_new_zipfile_serialization=False)</c> writes (and PyTorch before 1.6): five
/// pickles in a row — a magic number, the protocol version, system information, the object, the list of storage
/// keys — then, for each key in that order, the storage's element count as a little-endian int64 and its bytes.
/// </summary>
internal sealed class TorchLegacyFile : TorchContainer
{
    /// <summary>The first pickle: protocol 2, LONG1 of the magic number 0x1950a86a20f9469cfc6c, STOP.</summary>
    private static ReadOnlySpan<byte> Magic => [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];

    private const int ProtocolVersion = 1001;

    private readonly Dictionary<string, (int Offset, int Length)> _data = new(StringComparer.Ordinal);
    private readonly byte[] _file;

    private TorchLegacyFile(string file, byte[] bytes) : base(file)
    {
        _file = bytes;
        if (!bytes.AsSpan().StartsWith(Magic))
            throw TorchErrors.Malformed(file, "header", "is not a PyTorch file: it is neither a zip archive nor starts with the legacy magic number");
        (object? version, int at, _) = TorchUnpickler.Load(bytes, Magic.Length, file, "the protocol version pickle");
        if (TorchObjects.Integer(version) != ProtocolVersion)
            throw TorchErrors.Malformed(file, "the protocol version pickle", $"holds {version ?? "None"}; expected {ProtocolVersion}");
        (object? info, at, _) = TorchUnpickler.Load(bytes, at, file, "the system information pickle");
        if (info is not Hashtable system || system["little_endian"] is not true)
            throw TorchErrors.Malformed(file, "the system information pickle", "does not say the file is little-endian; only little-endian files are read");
        (Root, at, IReadOnlyDictionary<string, TorchStorage> storages) = TorchUnpickler.Load(bytes, at, file, PicklePart);
        (object? keys, at, _) = TorchUnpickler.Load(bytes, at, file, "the storage key pickle");
        if (keys is not ArrayList list || list.Count != storages.Count)
            throw TorchErrors.Malformed(file, "the storage key pickle", $"is not the list of the {storages.Count} storages the object names");
        foreach (object? key in list)
        {
            if (key is not string k || !storages.TryGetValue(k, out TorchStorage? storage) || _data.ContainsKey(k))
                throw TorchErrors.Malformed(file, "the storage key pickle", $"lists '{key}', which the object does not name once");
            string part = $"storage '{k}'";
            if (bytes.Length - at < sizeof(long))
                throw TorchErrors.Malformed(file, part, $"is missing its element count at byte {at} (the file is truncated)");
            long count = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at));
            at += sizeof(long);
            if (count != storage.ElementCount)
                throw TorchErrors.Malformed(file, part, $"has {count} elements in the data but {storage.ElementCount} in the pickle");
            long length = ByteLength(storage, bytes.Length - at, file, part);
            _data.Add(k, (at, (int)length));
            at += (int)length;
        }
        if (at != bytes.Length)
            throw TorchErrors.Malformed(file, "data", $"has {bytes.Length - at} bytes after the last storage");
    }

    public override string PicklePart => "the object pickle";

    public override object? Root { get; }

    /// <summary>Reads the whole file: every part is needed, and the pickles are small beside the storages.</summary>
    public static TorchLegacyFile Open(string path, FileStream stream)
    {
        if (stream.Length > Array.MaxLength)
            throw TorchErrors.Malformed(path, "file", $"is {stream.Length} bytes; legacy PyTorch files up to {Array.MaxLength} bytes are read (save with torch.save's default zip format)");
        var bytes = new byte[stream.Length];
        stream.Position = 0;
        stream.ReadExactly(bytes);
        return new TorchLegacyFile(path, bytes);
    }

    protected override byte[] Read(TorchStorage storage)
    {
        (int offset, int length) = _data[storage.Key];
        return _file.AsSpan(offset, length).ToArray();
    }
}
