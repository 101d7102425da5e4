using System.Buffers.Binary;
using System.Text;

namespace FastRnn.Tests.Import;

/// <summary>Hand-made safetensors files, valid or broken in one chosen way.</summary>
internal static class SafetensorsBytes
{
    /// <summary>8-byte length, <paramref name="header"/> (padded with spaces to a multiple of 8), then <paramref name="data"/>.</summary>
    public static byte[] Build(string header, byte[] data, long? declaredLength = null)
        => Build(Encoding.UTF8.GetBytes(header + new string(' ', (8 - Encoding.UTF8.GetByteCount(header) % 8) % 8)), data, declaredLength);

    public static byte[] Build(byte[] header, byte[] data, long? declaredLength = null)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, declaredLength ?? header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>A header entry: <c>"name":{"dtype":…,"shape":[…],"data_offsets":[begin,end]}</c>.</summary>
    public static string Entry(string name, string dtype, int[] shape, long begin, long end)
        => $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{begin},{end}]}}";

    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    /// <summary>A valid file of the given tensors, data in the order given.</summary>
    public static byte[] File(params (string Name, string DType, int[] Shape, byte[] Data)[] tensors)
    {
        var entries = new List<string>();
        var data = new List<byte>();
        foreach (var t in tensors)
        {
            entries.Add(Entry(t.Name, t.DType, t.Shape, data.Count, data.Count + t.Data.Length));
            data.AddRange(t.Data);
        }
        return Build("{" + string.Join(",", entries) + "}", data.ToArray());
    }
}
