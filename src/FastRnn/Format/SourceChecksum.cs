namespace FastRnn.Format;

/// <summary>
/// The CRC-32C of one range of a file, computed by the code that reads those bytes anyway. A loader that defers the
/// file's checksum (<see cref="FrnnFile.Load{T}(string, Func{FrnnFile, T}, ModelLoadOptions)"/>) hands one to the packer of each float32
/// weight tensor, which checksums each panel's rows just before it transposes them, while they are in the cache; the
/// final check then reads only the bytes no packer covered. Loading thus reads the weights from memory once instead
/// of twice (one pass for the checksum, one for the packing): on Zen 5 about a quarter of the load of a 32 MiB LSTM.
/// </summary>
/// <remarks>The state is the raw CRC update from 0 over exactly [<see cref="Offset"/>, <see cref="Offset"/> +
/// <see cref="Length"/>), joined into the file's by <see cref="Crc32C.Shift"/>. A range its reader did not finish (an
/// exception, or a path that does not checksum) stays incomplete and is read again by the final check.</remarks>
internal sealed class SourceChecksum(long offset, long length)
{
    /// <summary>File offset of the range's first byte.</summary>
    public long Offset { get; } = offset;

    /// <summary>Bytes in the range.</summary>
    public long Length { get; } = length;

    /// <summary>The raw CRC-32C update from 0 over the range, once <see cref="IsComplete"/>.</summary>
    public uint State { get; private set; }

    /// <summary>Whether the reader fed every byte of the range, in order.</summary>
    public bool IsComplete { get; private set; }

    /// <summary>Records the state after feeding the whole range, in order, from 0.</summary>
    public void Complete(uint state)
    {
        State = state;
        IsComplete = true;
    }
}
