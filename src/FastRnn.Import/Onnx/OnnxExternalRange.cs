using System.Buffers;
using System.Security.Cryptography;

namespace FastRnn.Import;

/// <summary>
/// The bytes of one tensor in an external data file, already checked to lie inside the file and to be as many as the
/// tensor's shape and type need. They are read in bounded chunks by positional reads, never the whole file at once.
/// </summary>
/// <remarks>An empty range has no <c>file</c>: nothing is read, so the file need not be opened.</remarks>
internal sealed class OnnxExternalRange(string source, string tensor, ByteSource? file, OnnxExternalDataInfo info, long length)
{
    // A multiple of every element size, small enough to stay out of the large object heap's way.
    private const int ChunkBytes = 1 << 20;

    /// <summary>Receives the bytes from <paramref name="position"/> (relative to the tensor's first byte) onwards.</summary>
    public delegate void ChunkAction(ReadOnlySpan<byte> chunk, long position);

    public long Length => length;

    /// <summary>Hands every byte of the range to <paramref name="action"/> in order, then checks the checksum if there is one.</summary>
    public void Read(ChunkAction action)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(ChunkBytes, Math.Max(length, 1)));
        using IncrementalHash? sha1 = info.Checksum is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        try
        {
            for (long done = 0; done < length;)
            {
                Span<byte> chunk = buffer.AsSpan(0, (int)Math.Min(ChunkBytes, length - done));
                file!.Read(info.Offset + done, chunk);
                sha1?.AppendData(chunk);
                action(chunk, done);
                done += chunk.Length;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        if (sha1 is not null)
        {
            string actual = Convert.ToHexStringLower(sha1.GetHashAndReset());
            if (!actual.Equals(info.Checksum, StringComparison.OrdinalIgnoreCase))
                throw OnnxErrors.ExternalData(source, tensor, "checksum", $"is {info.Checksum}, but the SHA-1 of bytes {info.Offset}..{info.Offset + length} of {OnnxErrors.Quote(info.Location)} is {actual}");
        }
    }
}
