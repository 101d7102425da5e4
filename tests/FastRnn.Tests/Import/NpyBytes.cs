using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace FastRnn.Tests.Import;

/// <summary>Hand-made .npy arrays and .npz archives, valid or broken in one chosen way.</summary>
internal static class NpyBytes
{
    /// <summary>A version 1.0 .npy file with the given header dict text and raw data bytes.</summary>
    public static byte[] Build(string dict, byte[] data)
    {
        string header = dict.PadRight((10 + dict.Length + 1 + 63) / 64 * 64 - 10 - 1) + "\n";
        var bytes = new byte[10 + header.Length + data.Length];
        bytes[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY").CopyTo(bytes, 1);
        bytes[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        Encoding.ASCII.GetBytes(header).CopyTo(bytes, 10);
        data.CopyTo(bytes, 10 + header.Length);
        return bytes;
    }

    public static string Dict(string descr, string shape, bool fortran = false)
        => $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shape}, }}";

    /// <summary>A zip of <c>name.npy</c> entries, in the given order, as np.savez (stored) or np.savez_compressed (deflated) writes.</summary>
    public static byte[] Npz(bool compressed, params (string Entry, byte[] Contents)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach ((string entry, byte[] contents) in entries)
            {
                using Stream s = zip.CreateEntry(entry, compressed ? CompressionLevel.Optimal : CompressionLevel.NoCompression).Open();
                s.Write(contents);
            }
        }
        return buffer.ToArray();
    }
}
