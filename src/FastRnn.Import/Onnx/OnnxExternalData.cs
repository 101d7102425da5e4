using Onnx;

namespace FastRnn.Import;

/// <summary>
/// The external data files of one model being imported (<c>onnx.save(…, save_as_external_data=True)</c>, the only way
/// an ONNX model over 2 GiB can exist): finds each tensor's bytes in a file next to the model and checks their range
/// against the file before anything is read or allocated. Each file is opened once, shared read-only, for the import.
/// </summary>
/// <remarks>Which locations are accepted is <see cref="OnnxExternalPath"/>'s decision.</remarks>
internal sealed class OnnxExternalData : IDisposable
{
    private readonly string _source;
    private readonly string? _directory;
    private readonly Dictionary<string, ByteSource> _files = new(StringComparer.Ordinal);
    private string? _realDirectory;

    private OnnxExternalData(string source, string? directory)
    {
        _source = source;
        _directory = directory;
    }

    /// <summary>For the model file at <paramref name="path"/>: locations are relative to its directory.</summary>
    public static OnnxExternalData ForModel(string path)
    {
        string full = Path.GetFullPath(path);
        return new OnnxExternalData(Path.GetFileName(full), Path.GetDirectoryName(full));
    }

    /// <summary>For a model given as bytes: there is no directory, so external data is refused, saying how to import it.</summary>
    public static OnnxExternalData None(string source) => new(source, null);

    /// <summary>Whether <paramref name="t"/> keeps its data outside the model (or claims to, in part).</summary>
    public static bool IsExternal(TensorProto t)
        => t.DataLocation == TensorProto.Types.DataLocation.External || t.ExternalData.Count > 0;

    /// <summary>
    /// The range holding <paramref name="t"/>'s bytes, which must be exactly <paramref name="bytes"/> long (its
    /// element count × element size); every entry is checked against the file before this returns.
    /// </summary>
    public OnnxExternalRange Open(TensorProto t, string tensor, long bytes)
    {
        if (t.DataLocation != TensorProto.Types.DataLocation.External)
            throw OnnxErrors.ExternalData(_source, tensor, "entries", "are present but data_location is DEFAULT; an external tensor has data_location EXTERNAL");
        if (!t.RawData.IsEmpty)
            throw OnnxErrors.Tensor(_source, tensor, "has raw_data as well as external data; one of them would be ignored");
        OnnxExternalDataInfo info = OnnxExternalDataInfo.Parse(_source, tensor, t.ExternalData);
        if (_directory is null)
        {
            throw OnnxErrors.ExternalData(_source, tensor, "location", $"{OnnxErrors.Quote(info.Location)} is a file next to the model, "
                + "and this model was given as bytes; import it from its .onnx path so FastRnn can find the file");
        }
        string path = Resolve(tensor, info.Location);
        // The size from the file system, before the file is opened: a FIFO or device (size 0) is then refused by the
        // range checks below instead of blocking the open.
        long size = _files.TryGetValue(path, out ByteSource? open) ? open.Length : SizeOf(tensor, info.Location, path);
        if (info.Offset > size)
            throw OnnxErrors.ExternalData(_source, tensor, "offset", $"is {info.Offset}, past the end of {OnnxErrors.Quote(info.Location)} ({size} bytes)");
        long available = size - info.Offset;
        if (info.Length is { } declared && declared > available)
        {
            throw OnnxErrors.ExternalData(_source, tensor, "length",
                $"is {declared}, but {OnnxErrors.Quote(info.Location)} has {available} bytes after offset {info.Offset} ({size} bytes in all)");
        }
        long length = info.Length ?? available;
        if (length != bytes)
        {
            string given = info.Length is null ? $"is not given, so it runs to the end of {OnnxErrors.Quote(info.Location)}: {length} bytes after offset {info.Offset}" : $"is {length}";
            throw OnnxErrors.ExternalData(_source, tensor, "length", $"{given}; the tensor's shape {TensorData.FormatShape(t.Dims.ToArray())} of {(TensorProto.Types.DataType)t.DataType} needs {bytes}");
        }
        return new OnnxExternalRange(_source, tensor, length == 0 ? null : OpenFile(tensor, info.Location, path), info, length);
    }

    private string Resolve(string tensor, string location)
    {
        string directory = _directory!;
        try
        {
            _realDirectory ??= OnnxExternalPath.RealPath(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OnnxErrors.ExternalData(_source, tensor, "location", $"{OnnxErrors.Quote(location)} cannot be found: the model's directory cannot be resolved ({e.Message})");
        }
        return OnnxExternalPath.Resolve(_source, tensor, directory, _realDirectory, location);
    }

    private long SizeOf(string tensor, string location, string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OnnxErrors.ExternalData(_source, tensor, "location", $"{OnnxErrors.Quote(location)} cannot be read: {e.Message}");
        }
    }

    private ByteSource OpenFile(string tensor, string location, string path)
    {
        if (_files.TryGetValue(path, out ByteSource? open))
            return open;
        try
        {
            open = ByteSource.Open(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OnnxErrors.ExternalData(_source, tensor, "location", $"{OnnxErrors.Quote(location)} cannot be opened: {e.Message}");
        }
        _files.Add(path, open);
        return open;
    }

    public void Dispose()
    {
        foreach (ByteSource file in _files.Values)
            file.Dispose();
        _files.Clear();
    }
}
