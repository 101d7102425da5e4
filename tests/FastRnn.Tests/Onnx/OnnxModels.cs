using Google.Protobuf;
using Onnx;

namespace FastRnn.Tests.Onnx;

/// <summary>Fixture models changed in memory (through the ONNX protobuf types) for the error tests.</summary>
internal static class OnnxModels
{
    public static ModelProto Load(string name) => ModelProto.Parser.ParseFrom(File.ReadAllBytes(OnnxFixtures.PathOf(name)));

    public static byte[] Bytes(ModelProto model) => model.ToByteArray();

    /// <summary><paramref name="name"/> with <paramref name="change"/> applied to its first recurrent node.</summary>
    public static byte[] WithRecurrentNode(string name, Action<NodeProto> change, int index = 0)
    {
        ModelProto model = Load(name);
        change(model.Graph.Node.Where(n => n.OpType is "LSTM" or "GRU" or "RNN").ElementAt(index));
        return Bytes(model);
    }

    /// <summary>Sets (adds or replaces) an attribute.</summary>
    public static void Set(NodeProto node, AttributeProto attribute)
    {
        AttributeProto? old = node.Attribute.FirstOrDefault(a => a.Name == attribute.Name);
        if (old is not null)
            node.Attribute.Remove(old);
        node.Attribute.Add(attribute);
    }

    public static AttributeProto String(string name, string value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Strings(string name, params string[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        a.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return a;
    }

    public static AttributeProto Int(string name, long value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Floats(string name, params float[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        a.Floats.AddRange(values);
        return a;
    }
}
