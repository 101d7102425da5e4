using System.Buffers;
using System.Buffers.Binary;

namespace FastRnn.Import;

/// <summary>
/// A validated safetensors file (what <c>safetensors.torch.save_file(model.state_dict(), path)</c> writes): an
/// 8-byte little-endian header length N, N bytes of UTF-8 JSON describing each tensor (dtype, shape, data offsets
/// relative to the data buffer) plus an optional <c>__metadata__</c> map, then the data buffer.
/// </summary>
/// <remarks>
/// <see cref="Open"/> reads and validates the header as the reference reader does, before any tensor data is
/// touched: N at most 100,000,000 and within the file; the header a UTF-8 JSON object with unique names; every
/// dtype known, every shape and offset a non-negative integer without overflow; the tensors, sorted by offset,
/// tiling the data buffer exactly (no gap, no overlap, each range numel·element size bytes); and the buffer ending
/// exactly at the end of the file. Tensor data is then read on demand with positional reads into arrays whose size
/// was checked against the file. F32 is copied as is; F16, BF16 and F64 are converted to float32; other dtypes are
/// refused when read. Every failure is an <see cref="ImportException"/> naming the part of the file or the tensor.
/// </remarks>
public sealed class SafetensorsFile : IDisposable
{
    /// <summary>Largest header length accepted, as in the reference reader.</summary>
    public const long MaxHeaderLength = 100_000_000;

    private const int ChunkBytes = 1 << 16;

    private readonly ByteSource _source;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafetensorsTensorInfo> _byName;

    private SafetensorsFile(ByteSource source, string name)
    {
        _source = source;
        Name = name;
        long length = source.Length;
        if (length < 8)
            throw ImportErrors.Malformed(name, "header length", $"is missing: the file is {length} bytes; a safetensors file starts with an 8-byte header length");
        Span<byte> prefix = stackalloc byte[8];
        source.Read(0, prefix);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > MaxHeaderLength)
            throw ImportErrors.Malformed(name, "header length", $"is {n} bytes; at most {MaxHeaderLength} is accepted");
        if ((long)n > length - 8)
            throw ImportErrors.Malformed(name, "header", $"is truncated: the header length says {n} bytes but only {length - 8} follow it");

        var json = new byte[n];
        source.Read(8, json);
        (List<SafetensorsTensorInfo> tensors, Dictionary<string, string> metadata) = SafetensorsHeader.Parse(json, name);
        long bufferLength = SafetensorsHeader.ValidateLayout(tensors, name);
        _dataStart = 8 + (long)n;
        long actualBuffer = length - _dataStart;
        if (bufferLength > actualBuffer)
            throw ImportErrors.Malformed(name, "data buffer",
                $"is truncated: the tensors need {bufferLength} bytes after the header but the file has {actualBuffer}");
        if (bufferLength < actualBuffer)
            throw ImportErrors.Malformed(name, "data buffer",
                $"has {actualBuffer - bufferLength} trailing bytes: the tensors end at byte {_dataStart + bufferLength} of the file but the file is {length} bytes");

        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The path or display name used in error messages.</summary>
    public string Name { get; }

    /// <summary>The <c>__metadata__</c> map; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor's header entry, in the order of their data in the file.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>Opens and validates a safetensors file. The file stays open (shared for reading) until <see cref="Dispose"/>.</summary>
    /// <exception cref="ImportException">The file is not a valid safetensors file; the message names the problem.</exception>
    public static SafetensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        InputFiles.RequireFile(path);
        ByteSource source = ByteSource.Open(path);
        try
        {
            return new SafetensorsFile(source, path);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>Validates the bytes of a safetensors file held in memory; see <see cref="Open"/>.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="name">What error messages call it.</param>
    public static SafetensorsFile Parse(ReadOnlyMemory<byte> bytes, string name = "safetensors data")
        => new(ByteSource.FromMemory(bytes), name);

    /// <summary>Whether the file has a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The header entry of tensor <paramref name="name"/>.</summary>
    /// <exception cref="ImportException">There is no such tensor.</exception>
    public SafetensorsTensorInfo GetInfo(string name)
        => _byName.TryGetValue(name, out SafetensorsTensorInfo? info) ? info : throw ImportErrors.NoSuchTensor(Name, name, _byName.Keys);

    /// <summary>
    /// Reads tensor <paramref name="name"/> as float32, row-major: F32 as stored, F16/BF16/F64 converted (F64 rounded
    /// to nearest).
    /// </summary>
    /// <exception cref="ImportException">There is no such tensor, its dtype is not a floating-point one FastRnn reads,
    /// or it is too large for one array.</exception>
    public TensorData ReadTensor(string name)
    {
        SafetensorsTensorInfo info = GetInfo(name);
        FloatFormat format = info.DType switch
        {
            "F32" => FloatFormat.F32,
            "F16" => FloatFormat.F16,
            "BF16" => FloatFormat.BF16,
            "F64" => FloatFormat.F64,
            _ => throw ImportErrors.Tensor(Name, name, $"has dtype {info.DType}; only F32, F16, BF16 and F64 can be read as float32"),
        };
        int[] shape = TensorData.CheckedShape(Name, $"tensor '{name}'", info.Shape, info.ElementCount);
        // Bounded: the layout check tied the element count to bytes in the file; and refused if it cannot fit in memory.
        float[] data = TensorMemory.Floats(Name, $"tensor '{name}'", info.ElementCount);
        (FloatConversion.ConvertSpan convert, int size) = FloatConversion.For(format);
        long offset = _dataStart + info.DataBegin;
        if (format == FloatFormat.F32)
        {
            // Straight into the result: the bytes are already float32 little-endian.
            Span<byte> bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan());
            _source.Read(offset, bytes);
            FloatConversion.FixF32ByteOrder(data);
            return new TensorData(shape, data);
        }
        byte[] chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            int perChunk = ChunkBytes / size;
            for (int start = 0; start < data.Length; start += perChunk)
            {
                int count = Math.Min(perChunk, data.Length - start);
                Span<byte> bytes = chunk.AsSpan(0, count * size);
                _source.Read(offset + (long)start * size, bytes);
                convert(bytes, data.AsSpan(start, count));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return new TensorData(shape, data);
    }

    /// <summary>Reads every tensor as float32 (see <see cref="ReadTensor"/>), in file order.</summary>
    /// <param name="progress">Receives the fraction of tensors read, 0 to 1.</param>
    public IReadOnlyList<KeyValuePair<string, TensorData>> ReadAll(IProgress<double>? progress = null)
    {
        var result = new List<KeyValuePair<string, TensorData>>(Tensors.Count);
        foreach (SafetensorsTensorInfo info in Tensors)
        {
            result.Add(new(info.Name, ReadTensor(info.Name)));
            progress?.Report((double)result.Count / Tensors.Count);
        }
        return result;
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _source.Dispose();
}
