using System.IO.MemoryMappedFiles;

namespace FastRnn.Format;

/// <summary>
/// An .frnn file mapped read-only into the address space. Tensor spans point straight into the mapping, so the OS
/// pages weights in on first touch and shares them between processes that load the same file.
/// </summary>
internal sealed unsafe class MappedFrnnStorage : FrnnStorage
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _pointer;
    private readonly long _length;
    private bool _disposed;

    /// <summary>Maps <paramref name="stream"/> (whose length is <paramref name="length"/> &gt; 0) and takes ownership
    /// of it.</summary>
    public MappedFrnnStorage(FileStream stream, long length)
    {
        _length = length;
        _file = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        try
        {
            _view = _file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);

            // The view may start before offset 0 of the file when the OS rounds it down to its allocation
            // granularity; PointerOffset says by how much.
            _pointer = pointer + _view.PointerOffset;
        }
        catch
        {
            _view?.Dispose();
            _file.Dispose();
            throw;
        }
    }

    public override long Length => _length;

    /// <summary>Start of the file in memory, for tests that check spans point into the mapping.</summary>
    internal byte* BasePointer => _pointer;

    public override ReadOnlySpan<byte> GetBytes(long offset, int length) => new(_pointer + offset, length);

    public override ReadOnlySpan<float> GetFloat32(long offset, int count) => new(_pointer + offset, count);

    public override void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
