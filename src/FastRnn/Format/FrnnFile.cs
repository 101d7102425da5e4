namespace FastRnn.Format;

/// <summary>
/// A validated, read-only .frnn weights file (docs/format.md). <see cref="Open"/> memory-maps the file, so
/// <see cref="GetFloat32(string)"/> returns views straight into the mapping: loading costs the validation pass,
/// and weights are paged in by the OS as kernels touch them.
/// </summary>
/// <remarks>
/// Opening validates everything (structure, bounds, overlaps, checksum) before returning, so later accessors only
/// fail for a caller's mistake: a missing name, another type, another shape. The instance is immutable and safe to
/// read from several threads. Spans it returned must not be used after <see cref="Dispose"/>, which unmaps the file.
/// </remarks>
public sealed partial class FrnnFile : IDisposable
{
    private readonly FrnnStorage _storage;
    private readonly IReadOnlyList<FrnnTensorInfo> _tensors;
    private readonly Dictionary<string, FrnnTensorInfo> _tensorsByName;
    private readonly MetadataDictionary _metadata;
    private readonly int _formatVersion;
    private readonly uint _storedChecksum;
    private List<SourceChecksum>? _deferredChecksum; // while the checksum is deferred: the ranges packers checksum
    private int _packThreads = 1; // threads a loader lets the weights' packers use (ModelLoadOptions.Threads)
    private bool _disposed;

    private FrnnFile(FrnnStorage storage, FrnnContents contents, bool checksumDeferred)
    {
        _storage = storage;
        _storedChecksum = contents.Checksum;
        _deferredChecksum = checksumDeferred ? [] : null;
        _formatVersion = contents.Version;
        _tensors = Array.AsReadOnly(contents.Tensors);
        _tensorsByName = contents.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _metadata = contents.Metadata;
    }

    /// <summary>Format version of the file (always 1 for files this reader accepts).</summary>
    public int FormatVersion
    {
        get
        {
            ThrowIfDisposed();
            return _formatVersion;
        }
    }

    /// <summary>The tensor table in file order.</summary>
    public IReadOnlyList<FrnnTensorInfo> Tensors
    {
        get
        {
            ThrowIfDisposed();
            return _tensors;
        }
    }

    /// <summary>Memory-maps and validates the file at <paramref name="path"/>. The file stays mapped (and open for
    /// reading, shared with other readers) until <see cref="Dispose"/>.</summary>
    /// <exception cref="FrnnFormatException">The file is not a valid version-1 .frnn file, or the path is a directory;
    /// the message names the field or tensor at fault, the expected and the actual value.</exception>
    /// <exception cref="IOException">The file cannot be opened or mapped.</exception>
    public static FrnnFile Open(string path) => OpenMapped(path, verifyChecksum: true);

    /// <summary>Validates the file at <paramref name="path"/> as <see cref="Open(string)"/> does, builds a <typeparamref name="T"/> from them, and returns it once the whole file's checksum
    /// has been verified as well: last, joined from the ranges the packers checksummed as they read them (see
    /// <see cref="SourceChecksum"/>) and the bytes between. A mismatch is reported in place of any error the build
    /// raised, being its likely cause. The file is closed before returning.</summary>
    /// <remarks>The weights' packers use <paramref name="options"/>' threads (<see cref="ModelLoadOptions.Threads"/>).</remarks>
    internal static T Load<T>(string path, Func<FrnnFile, T> build, ModelLoadOptions? options = null)
    {
        using FrnnFile file = OpenMapped(path, verifyChecksum: false);
        return file.BuildVerified(build, options);
    }

    /// <summary>As <see cref="Load{T}(string, Func{FrnnFile, T}, ModelLoadOptions)"/>, for a file held in memory (see <see cref="Parse"/>).</summary>
    internal static T Load<T>(ReadOnlyMemory<byte> bytes, Func<FrnnFile, T> build, ModelLoadOptions? options = null)
    {
        using FrnnFile file = FromStorage(new MemoryFrnnStorage(bytes), verifyChecksum: false);
        return file.BuildVerified(build, options);
    }

    private T BuildVerified<T>(Func<FrnnFile, T> build, ModelLoadOptions? options)
    {
        _packThreads = (options ?? ModelLoadOptions.Default).Threads;
        T result;
        try
        {
            result = build(this);
        }
        catch (Exception e)
        {
            // A corrupt file is the likely cause of the failure: report the mismatch, keeping the failure inside it.
            try
            {
                VerifyDeferredChecksum();
            }
            catch (FrnnFormatException mismatch)
            {
                throw new FrnnFormatException(mismatch.Message, e);
            }
            throw;
        }

        VerifyDeferredChecksum();
        return result;
    }

    private void VerifyDeferredChecksum()
    {
        List<SourceChecksum> ranges = _deferredChecksum ?? throw new InvalidOperationException("the checksum was verified when the file was opened");
        lock (ranges)
        {
            FrnnParser.VerifyChecksum(_storage, _storedChecksum, ranges.FindAll(r => r.IsComplete));
            _deferredChecksum = null;
        }
    }

    /// <summary>While the checksum is deferred, a range for the reader of tensor <paramref name="info"/>'s bytes to
    /// checksum; otherwise null.</summary>
    private SourceChecksum? TrackChecksum(FrnnTensorInfo info)
    {
        List<SourceChecksum>? ranges = _deferredChecksum;
        if (ranges is null)
            return null;
        var range = new SourceChecksum(info.FileOffset, info.ByteLength);
        lock (ranges)
            ranges.Add(range);
        return range;
    }

    private static FrnnFile OpenMapped(string path, bool verifyChecksum)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            FormatErrors.ThrowIsDirectory(path);
        }

        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        FrnnStorage storage;
        try
        {
            long length = stream.Length;
            if (length < FrnnLayout.HeaderSize)
            {
                // An empty file cannot be mapped, and one this short is invalid anyway; reading it lets the parser
                // say precisely why (foreign magic or too short).
                byte[] bytes = new byte[length];
                stream.ReadExactly(bytes);
                stream.Dispose();
                storage = new MemoryFrnnStorage(bytes);
            }
            else
            {
                storage = new MappedFrnnStorage(stream, length);
            }
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        return FromStorage(storage, verifyChecksum);
    }

    /// <summary>Validates an .frnn file held in memory. The buffer is referenced, not copied: tensor spans point into
    /// it (64-byte aligned relative to its start), and it must not be modified while this instance is in use.</summary>
    /// <exception cref="FrnnFormatException">The bytes are not a valid version-1 .frnn file.</exception>
    public static FrnnFile Parse(ReadOnlyMemory<byte> bytes) => FromStorage(new MemoryFrnnStorage(bytes), verifyChecksum: true);

    /// <summary>Whether the file holds a tensor named <paramref name="name"/> (ordinal comparison).</summary>
    public bool ContainsTensor(string name)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(name);
        return _tensorsByName.ContainsKey(name);
    }

    /// <summary>Table entry of the tensor named <paramref name="name"/>.</summary>
    /// <exception cref="FrnnFormatException">No tensor has that name.</exception>
    public FrnnTensorInfo GetTensorInfo(string name)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(name);
        if (!_tensorsByName.TryGetValue(name, out FrnnTensorInfo? info))
        {
            FormatErrors.ThrowMissingTensor(name, _tensors);
        }

        return info;
    }

    /// <summary>The elements of tensor <paramref name="name"/> as float32 in row-major order. For a float32 tensor a
    /// zero-copy view into the mapping or buffer that allocates nothing; float16, bfloat16 and int8 (times its row
    /// scales) are widened into an array made on first access and kept for the file's lifetime.</summary>
    /// <exception cref="FrnnFormatException">No tensor has that name.</exception>
    public ReadOnlySpan<float> GetFloat32(string name) => Float32View(GetTensorInfo(name));

    /// <summary>Like <see cref="GetFloat32(string)"/>, and checks the tensor's shape is exactly
    /// <paramref name="expectedShape"/> (same rank, same dimensions), as a layer does for each weight it binds.</summary>
    /// <exception cref="FrnnFormatException">No tensor has that name, it is not float32, or its shape differs; the
    /// message names the tensor and both shapes.</exception>
    public ReadOnlySpan<float> GetFloat32(string name, ReadOnlySpan<int> expectedShape)
    {
        FrnnTensorInfo info = GetTensorInfo(name);
        if (!ShapeEquals(info.Shape, expectedShape))
        {
            FormatErrors.ThrowWrongShape(name, expectedShape, info.Shape);
        }

        return Float32View(info);
    }

    /// <summary>Unmaps the file. Spans obtained earlier become invalid; any later member access throws
    /// <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _storage.Dispose();
    }

    /// <summary>Storage backing this file, for tests that check spans are views rather than copies.</summary>
    internal FrnnStorage Storage => _storage;

    private static FrnnFile FromStorage(FrnnStorage storage, bool verifyChecksum)
    {
        try
        {
            return new FrnnFile(storage, FrnnParser.Parse(storage, verifyChecksum), checksumDeferred: !verifyChecksum);
        }
        catch
        {
            storage.Dispose();
            throw;
        }
    }

    private ReadOnlySpan<float> Float32View(FrnnTensorInfo info)
    {
        if (info.DType != FrnnDType.Float32)
        {
            return Widened(info);
        }

        // ElementCount was bounded by int.MaxValue and the bytes by the file when the file was opened.
        return _storage.GetFloat32(info.FileOffset, (int)info.ElementCount);
    }

    private static bool ShapeEquals(IReadOnlyList<int> actual, ReadOnlySpan<int> expected)
    {
        if (actual.Count != expected.Length)
        {
            return false;
        }

        for (int i = 0; i < expected.Length; i++)
        {
            if (actual[i] != expected[i])
            {
                return false;
            }
        }

        return true;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
