using System.Buffers.Binary;
using System.Text.Json;

namespace FastRnn.Tests.Support;

/// <summary>
/// Reads the float32 safetensors fixtures written by tools/gen_rnn_fixtures.py (golden data from PyTorch).
/// </summary>
internal sealed class SafetensorsFile
{
    private SafetensorsFile(Dictionary<string, (int[] Shape, float[] Data)> tensors, Dictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
    }

    public Dictionary<string, (int[] Shape, float[] Data)> Tensors { get; }

    public Dictionary<string, string> Metadata { get; }

    public float[] this[string name] => Tensors[name].Data;

    public bool Has(string name) => Tensors.ContainsKey(name);

    public static SafetensorsFile Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var json = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        int dataStart = 8 + (int)headerLength;
        var tensors = new Dictionary<string, (int[], float[])>();
        var metadata = new Dictionary<string, string>();
        foreach (JsonProperty entry in json.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                foreach (JsonProperty m in entry.Value.EnumerateObject())
                    metadata[m.Name] = m.Value.GetString()!;
                continue;
            }
            if (entry.Value.GetProperty("dtype").GetString() != "F32")
                throw new InvalidDataException($"{path}: tensor {entry.Name} is not F32");
            int[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            long[] offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var data = new float[(offsets[1] - offsets[0]) / sizeof(float)];
            Buffer.BlockCopy(bytes, dataStart + (int)offsets[0], data, 0, (int)(offsets[1] - offsets[0]));
            tensors[entry.Name] = (shape, data);
        }
        return new SafetensorsFile(tensors, metadata);
    }
}
