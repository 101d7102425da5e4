using System.IO.Compression;
using FastRnn.Tests.Format;
using Google.Protobuf;
using Onnx;

namespace FastRnn.Tests.Fuzz;

/// <summary>
/// Mutations that get past a format's outer checks, so the mutants reach the code behind them: .frnn files with the
/// checksum recomputed, .npz archives re-zipped around a mutated array, ONNX models edited as protobuf (dimensions,
/// data, types, attributes and Reshape targets) and re-serialized.
/// </summary>
internal static class StructuredMutations
{
    public static byte[] Frnn(ByteMutator m, byte[] file, byte[] other)
    {
        byte[] mutant = m.Mutate(file, other);
        if (mutant.Length >= FrnnBytes.HeaderSize && m.Next(4) != 0)
            FrnnBytes.FixChecksum(mutant);
        return mutant;
    }

    public static byte[] Npz(ByteMutator m, byte[] archive, byte[] other)
    {
        if (m.Next(3) == 0)
            return m.Mutate(archive, other);
        var entries = new List<(string Name, byte[] Bytes)>();
        using (var zip = new ZipArchive(new MemoryStream(archive), ZipArchiveMode.Read))
        {
            foreach (ZipArchiveEntry e in zip.Entries)
            {
                using var s = new MemoryStream();
                using (Stream data = e.Open())
                    data.CopyTo(s);
                entries.Add((e.FullName, s.ToArray()));
            }
        }
        int victim = m.Next(entries.Count);
        entries[victim] = (entries[victim].Name, m.Mutate(entries[victim].Bytes, other));
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach ((string name, byte[] bytes) in entries)
            {
                using Stream s = zip.CreateEntry(name, m.Next(2) == 0 ? CompressionLevel.Optimal : CompressionLevel.NoCompression).Open();
                s.Write(bytes);
            }
        }
        return buffer.ToArray();
    }

    public static byte[] Onnx(ByteMutator m, byte[] model, byte[] other)
    {
        if (m.Next(3) == 0)
            return m.Mutate(model, other);
        ModelProto proto = ModelProto.Parser.ParseFrom(model);
        GraphProto graph = proto.Graph;
        int edits = 1 + m.Next(3);
        for (int i = 0; i < edits; i++)
        {
            switch (m.Next(6))
            {
                case 0 when graph.Initializer.Count > 0:
                {
                    TensorProto t = graph.Initializer[m.Next(graph.Initializer.Count)];
                    if (t.Dims.Count > 0)
                        t.Dims[m.Next(t.Dims.Count)] = m.BoundaryLong(); // a shape that lies about the data
                    else
                        t.Dims.Add(m.BoundaryLong());
                    break;
                }
                case 1 when graph.Initializer.Count > 0:
                {
                    TensorProto t = graph.Initializer[m.Next(graph.Initializer.Count)];
                    t.RawData = ByteString.CopyFrom(t.RawData.Span[..m.Next(t.RawData.Length + 1)]);
                    break;
                }
                case 2 when graph.Initializer.Count > 0:
                    graph.Initializer[m.Next(graph.Initializer.Count)].DataType = m.Next(17);
                    break;
                case 3 when graph.Node.Count > 0:
                {
                    NodeProto node = graph.Node[m.Next(graph.Node.Count)];
                    foreach (AttributeProto a in node.Attribute.Where(a => a.Type == AttributeProto.Types.AttributeType.Int))
                        a.I = m.BoundaryLong();
                    foreach (AttributeProto a in node.Attribute.Where(a => a.Type == AttributeProto.Types.AttributeType.Ints && a.Ints.Count > 0))
                        a.Ints[m.Next(a.Ints.Count)] = m.Next(2) == 0 ? m.BoundaryLong() : m.Next(5) - 2;
                    break;
                }
                case 4 when graph.Node.Count > 0:
                {
                    // A Reshape of some value to a constant target with zeros and −1s, beyond the input's rank or not.
                    string input = graph.Node[m.Next(graph.Node.Count)].Output.FirstOrDefault() ?? "";
                    var target = new TensorProto { Name = $"fuzz_shape_{i}", DataType = (int)TensorProto.Types.DataType.Int64 };
                    int rank = 1 + m.Next(6);
                    target.Dims.Add(rank);
                    for (int d = 0; d < rank; d++)
                        target.Int64Data.Add(m.Next(4) - 1);
                    graph.Initializer.Add(target);
                    var reshape = new NodeProto { OpType = "Reshape", Name = $"fuzz_reshape_{i}" };
                    reshape.Input.AddRange([input, target.Name]);
                    reshape.Output.Add($"fuzz_reshaped_{i}");
                    graph.Node.Insert(Math.Min(graph.Node.Count, 1 + m.Next(graph.Node.Count)), reshape);
                    break;
                }
                default:
                    if (graph.Node.Count > 0 && graph.Node[m.Next(graph.Node.Count)] is { Input.Count: > 0 } n)
                        n.Input[m.Next(n.Input.Count)] = m.Next(2) == 0 ? "" : graph.Input.FirstOrDefault()?.Name ?? "";
                    break;
            }
        }
        return proto.ToByteArray();
    }
}
