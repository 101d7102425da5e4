using Microsoft.Win32.SafeHandles;

namespace FastRnn.Import;

/// <summary>
/// Random-access bytes of a file or of a buffer. Reads are positional (no shared cursor) and exact: a read that
/// cannot be filled throws, so a file that shrank after it was validated is reported instead of read as zeros.
/// </summary>
internal abstract class ByteSource : IDisposable
{
    public abstract long Length { get; }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; the caller has checked the range.</summary>
    public abstract void Read(long offset, Span<byte> destination);

    public virtual void Dispose()
    {
    }

    public static ByteSource Open(string path) => new FileSource(path);

    public static ByteSource FromMemory(ReadOnlyMemory<byte> bytes) => new MemorySource(bytes);

    private sealed class FileSource(string path) : ByteSource
    {
        private readonly SafeFileHandle _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);

        public override long Length => RandomAccess.GetLength(_handle);

        public override void Read(long offset, Span<byte> destination)
        {
            while (!destination.IsEmpty)
            {
                int n = RandomAccess.Read(_handle, destination, offset);
                if (n <= 0)
                    throw ImportErrors.FileChanged(path, offset);
                destination = destination[n..];
                offset += n;
            }
        }

        public override void Dispose()
        {
            _handle.Dispose();
            base.Dispose();
        }
    }

    private sealed class MemorySource(ReadOnlyMemory<byte> bytes) : ByteSource
    {
        public override long Length => bytes.Length;

        public override void Read(long offset, Span<byte> destination)
            => bytes.Span.Slice(checked((int)offset), destination.Length).CopyTo(destination);
    }
}
