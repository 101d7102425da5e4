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
        => m.Next(3) == 0 ? m.Mutate(archive, other) : Rezip(m, archive, other, allowCompression: true);

    /// <summary>
    /// torch.save's zip (one stored entry per storage and the pickle) re-zipped with one entry mutated, never
    /// compressed since the reader refuses that outright; the legacy format and a third of the zips byte by byte.
    /// </summary>
    public static byte[] Torch(ByteMutator m, byte[] file, byte[] other)
        => file.Length > 4 && file[0] == (byte)'P' && file[1] == (byte)'K' && m.Next(3) != 0
            ? Rezip(m, file, other, allowCompression: false)
            : m.Mutate(file, other);

    private static byte[] Rezip(ByteMutator m, byte[] archive, byte[] other, bool allowCompression)
    {
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
                using Stream s = zip.CreateEntry(name, allowCompression && m.Next(2) == 0 ? CompressionLevel.Optimal : CompressionLevel.NoCompression).Open();
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
            switch (m.Next(8))
            {
                case 6 or 7:
                    InsertWrapper(m, graph, i);
                    break;
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

    private static readonly string[] Wrappers =
        ["Gather", "Slice", "Transpose", "Squeeze", "Unsqueeze", "Concat", "ConstantOfShape", "Expand", "Shape", "Cast", "Reshape", "Identity"];

    // One of the operators the tracer folds or follows, on values already in the graph or on small int64 constants,
    // with random axes, permutations and fill values: the tracer's transfer functions on inputs no exporter writes.
    private static void InsertWrapper(ByteMutator m, GraphProto graph, int edit)
    {
        int at = m.Next(graph.Node.Count + 1);
        var names = graph.Input.Select(v => v.Name).Concat(graph.Initializer.Select(t => t.Name))
            .Concat(graph.Node.Take(at).SelectMany(n => n.Output)).Where(n => n.Length > 0).ToList();
        string Value() => names.Count > 0 && m.Next(3) != 0 ? names[m.Next(names.Count)] : Ints($"fuzz_c{edit}_{m.Next(1000)}");
        string Ints(string name)
        {
            var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
            int count = m.Next(5);
            if (m.Next(4) != 0)
                t.Dims.Add(count);
            else
                count = 1;
            for (int k = 0; k < count; k++)
                t.Int64Data.Add(m.Next(4) == 0 ? m.BoundaryLong() : m.Next(7) - 3);
            graph.Initializer.Add(t);
            return name;
        }

        string op = Wrappers[m.Next(Wrappers.Length)];
        var node = new NodeProto { OpType = op, Name = $"fuzz_{op}_{edit}" };
        node.Input.Add(Value());
        if (op is "Gather" or "Slice" or "Squeeze" or "Unsqueeze" or "Concat" or "Expand" or "Reshape")
            node.Input.Add(Value());
        if (op == "Slice")
            node.Input.AddRange([Value(), Value()]);
        if (op is "Gather" or "Concat")
            node.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = m.Next(7) - 3 });
        if (op == "Transpose" && m.Next(2) == 0)
            node.Attribute.Add(new AttributeProto { Name = "perm", Type = AttributeProto.Types.AttributeType.Ints, Ints = { Enumerable.Range(0, m.Next(5)).Select(_ => (long)m.Next(5) - 1) } });
        if (op == "Cast")
            node.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = m.Next(17) });
        if (op == "ConstantOfShape")
        {
            var fill = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float, Dims = { 1 }, FloatData = { m.Next(3) } };
            node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = fill });
        }
        node.Output.Add($"fuzz_out_{edit}_{m.Next(1000)}");
        graph.Node.Insert(at, node);
    }
}
