using FastRnn.Import;
using FastRnn.Tests.Onnx;
using Google.Protobuf;
using Onnx;

namespace FastRnn.Tests.Graph;

/// <summary>Truncated and damaged ONNX files given to the graph importer: always an <see cref="ImportException"/> naming the source, never a crash.</summary>
public class GraphImporterHostileInputTests
{
    private static void Refused(byte[] bytes, string fixture)
    {
        try
        {
            OnnxGraphImporter.Import(bytes, "bad.onnx", GraphFixtures.Options(fixture));
        }
        catch (ImportException e)
        {
            Assert.StartsWith("bad.onnx: ", e.Message);
        }
    }

    [Fact]
    public void EveryTruncation_IsAnImportException()
    {
        byte[] bytes = File.ReadAllBytes(GraphFixtures.PathOf("vad"));
        for (int length = 0; length < bytes.Length; length += bytes.Length / 150)
            Refused(bytes[..length], "vad");
    }

    [Fact]
    public void DamagedBytes_AreAnImportException_OrStillAValidModel()
    {
        byte[] original = File.ReadAllBytes(GraphFixtures.PathOf("kws_crnn"));
        var random = new Random(17);
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] bytes = (byte[])original.Clone();
            for (int k = 0; k < 4; k++)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            Refused(bytes, "kws_crnn");
        }
    }

    [Fact]
    public void ExpandToAShapeWhoseSizeOverflows_NamesTheNode()
    {
        // 2^32 × 2^32 wrapped to 0 elements and passed the size check.
        ModelProto model = WithNode("Expand", [("shape", [1L << 32, 1L << 32])]);
        var e = Assert.Throws<ImportException>(() => OnnxGraphImporter.Import(model.ToByteArray(), "bad.onnx"));
        Assert.StartsWith("bad.onnx: node 'hostile' (Expand) would make a constant of shape", e.Message);
    }

    [Fact]
    public void ANodeWithoutOutputs_IsRefusedNamingIt()
    {
        ModelProto model = OnnxExternalFixtures.Load(OnnxExternalFixtures.InlinePathOf("lstm_linear"));
        NodeProto constant = model.Graph.Node.First(n => n.OpType == "Constant");
        constant.Name = "hostile";
        constant.Output.Clear();
        var e = Assert.Throws<ImportException>(() => OnnxGraphImporter.Import(model.ToByteArray(), "bad.onnx"));
        Assert.Equal("bad.onnx: node 'hostile' (Constant) has no outputs", e.Message);
    }

    /// <summary>lstm_linear with a node <paramref name="op"/> named 'hostile' first, on int64 initializers, writing an unused value.</summary>
    private static ModelProto WithNode(string op, (string Name, long[] Values)[] inputs)
    {
        ModelProto model = OnnxExternalFixtures.Load(OnnxExternalFixtures.InlinePathOf("lstm_linear"));
        var node = new NodeProto { OpType = op, Name = "hostile" };
        var one = new TensorProto { Name = "hostile_x", DataType = (int)TensorProto.Types.DataType.Int64 };
        one.Dims.Add(1);
        one.Int64Data.Add(1);
        model.Graph.Initializer.Add(one);
        node.Input.Add(one.Name);
        foreach ((string name, long[] values) in inputs)
        {
            var t = new TensorProto { Name = "hostile_" + name, DataType = (int)TensorProto.Types.DataType.Int64 };
            t.Dims.Add(values.Length);
            t.Int64Data.Add(values);
            model.Graph.Initializer.Add(t);
            node.Input.Add(t.Name);
        }
        node.Output.Add("hostile_out");
        model.Graph.Node.Insert(0, node);
        return model;
    }
}
