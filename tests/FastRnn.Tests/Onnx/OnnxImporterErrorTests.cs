using FastRnn.Import;
using FastRnn.Tests.Import;
using Onnx;

namespace FastRnn.Tests.Onnx;

/// <summary>What a caller sees when a file is not ONNX, or its graph is not a recurrent stack FastRnn can run.</summary>
public class OnnxImporterErrorTests
{
    private static ImportException Fails(byte[] bytes) => Assert.Throws<ImportException>(() => OnnxImporter.Import(bytes, "model.onnx"));

    private static ImportException FailsWithNode(string name, Action<NodeProto> change, int index = 0)
        => Fails(OnnxModels.WithRecurrentNode(name, change, index));

    [Fact]
    public void Import_UnsupportedOperators_ListsEveryOne()
    {
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(OnnxFixtures.PathOf("lstm_matmul_head")));
        Assert.StartsWith("lstm_matmul_head.onnx: the graph has operators FastRnn cannot run: ", e.Message);
        Assert.Contains("MatMul", e.Message);
        Assert.Contains("Add", e.Message);
        Assert.DoesNotContain("Squeeze (", e.Message);
    }

    [Fact]
    public void Import_EveryTruncation_ThrowsImportException()
    {
        byte[] bytes = File.ReadAllBytes(OnnxFixtures.PathOf("torch_lstm_l2_bi"));
        for (int length = 0; length < bytes.Length; length += Math.Max(1, bytes.Length / 200))
        {
            var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(bytes.AsSpan(0, length), "cut.onnx"));
            Assert.StartsWith("cut.onnx: ", e.Message);
        }
    }

    [Fact]
    public void Import_CorruptBytes_ThrowsImportException()
    {
        byte[] original = File.ReadAllBytes(OnnxFixtures.PathOf("lstm_peepholes"));
        var random = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            byte[] bytes = [.. original];
            for (int k = 0; k < 4; k++)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            try
            {
                OnnxImporter.Import(bytes, "flipped.onnx");
            }
            catch (ImportException)
            {
                // A flip inside a weight's value imports fine; any other damage must be this exception and no other.
            }
        }
    }

    [Fact]
    public void Import_EmptyOrNotProtobuf_SaysItIsNotOnnx()
    {
        Assert.Contains("not an ONNX model: the file is empty", Fails([]).Message);
        Assert.Contains("not an ONNX model", Fails("FRNN\r\n\x1a\n and some text"u8.ToArray()).Message);
    }

    [Fact]
    public void Convert_TruncatedOnnx_DoesNotCreateTheOutput()
    {
        byte[] bytes = File.ReadAllBytes(OnnxFixtures.PathOf("gru_forward"));
        using var input = ImportTemp.With(".onnx", bytes[..(bytes.Length / 2)]);
        using var output = new ImportTemp(".frnn");
        Assert.Throws<ImportException>(() => ModelConverter.Convert(input.Path, output.Path, ImportOptions.Default));
        Assert.False(File.Exists(output.Path));
    }

    [Theory]
    [InlineData("direction", "\"sideways\"", "\"forward\", \"reverse\" or \"bidirectional\"")]
    [InlineData("layout", "2", "0 or 1")]
    [InlineData("clip", "-1", "a positive finite threshold")]
    [InlineData("input_forget", "3", "0 or 1")]
    public void Import_AttributeValueOutOfRange_NamesAttributeValueAndChoices(string attribute, string value, string expected)
    {
        var e = FailsWithNode("lstm_forward", n => OnnxModels.Set(n, attribute switch
        {
            "direction" => OnnxModels.String(attribute, "sideways"),
            "clip" => OnnxModels.Float(attribute, -1f),
            _ => OnnxModels.Int(attribute, long.Parse(value, System.Globalization.CultureInfo.InvariantCulture)),
        }));
        Assert.Equal($"model.onnx: node 'lstm' (LSTM) has {attribute} = {value}; expected {expected}", e.Message);
    }

    [Fact]
    public void Import_GruLinearBeforeResetOutOfRange_IsRefused()
        => Assert.Contains("linear_before_reset = 2; expected 0 or 1", FailsWithNode("gru_forward", n => OnnxModels.Set(n, OnnxModels.Int("linear_before_reset", 2))).Message);

    [Fact]
    public void Import_UnknownAttribute_IsNamed()
    {
        var e = FailsWithNode("gru_forward", n => OnnxModels.Set(n, OnnxModels.Int("input_forget", 1)));
        Assert.Contains("has attribute 'input_forget', which GRU does not define", e.Message);
    }

    [Fact]
    public void Import_UnknownActivation_ListsTheKnownOnes()
    {
        var e = FailsWithNode("lstm_forward", n => OnnxModels.Set(n, OnnxModels.Strings("activations", "Sigmoid", "Swish", "Tanh")));
        Assert.Contains("has activation 'Swish'; expected one of Sigmoid, Tanh, Relu", e.Message);
    }

    [Fact]
    public void Import_ActivationCount_MustCoverEveryDirection()
    {
        var e = FailsWithNode("lstm_bidirectional", n => OnnxModels.Set(n, OnnxModels.Strings("activations", "Sigmoid", "Tanh", "Tanh")));
        Assert.Contains("expected 6 functions (f, g, h for each of 2 directions)", e.Message);
    }

    [Fact]
    public void Import_RnnActivationInLowerCase_IsRefusedAsOnnxRuntimeRefusesIt()
    {
        var e = FailsWithNode("rnn_relu_bidirectional", n => OnnxModels.Set(n, OnnxModels.Strings("activations", "relu", "relu")));
        Assert.Contains("has activation 'relu'; expected one of Sigmoid, Tanh, Relu", e.Message);
        Assert.Contains("ONNX Runtime's RNN accepts only these spellings", e.Message);
    }

    [Fact]
    public void Import_HiddenSizeDisagreeingWithW_IsRefused()
    {
        var e = FailsWithNode("lstm_forward", n => OnnxModels.Set(n, OnnxModels.Int("hidden_size", 6)));
        Assert.Contains("hidden_size = 6; expected 5, as W (1, 20, 4) implies", e.Message);
    }

    [Fact]
    public void Import_WeightsFedAsGraphInput_AsksForInitializers()
    {
        ModelProto model = OnnxModels.Load("gru_forward");
        TensorProto w = model.Graph.Initializer.Single(t => t.Name == "W");
        model.Graph.Initializer.Remove(w);
        model.Graph.Input.Add(new ValueInfoProto { Name = "W", Type = model.Graph.Input[0].Type });
        Assert.Contains("takes W ('W') from a graph input or another node; FastRnn needs weights stored in the model (initializers)", Fails(OnnxModels.Bytes(model)).Message);
    }

    [Fact]
    public void Import_ExternalFlagBesideInlineRawData_IsRefused()
    {
        ModelProto model = OnnxModels.Load("gru_forward");
        model.Graph.Initializer.Single(t => t.Name == "R").DataLocation = TensorProto.Types.DataLocation.External;
        Assert.Contains("tensor 'R' has raw_data as well as external data", Fails(OnnxModels.Bytes(model)).Message);
    }

    [Fact]
    public void Import_LayersWithDifferentAttributes_NameBothNodes()
    {
        byte[] bytes = OnnxModels.WithRecurrentNode("torch_lstm_l2_bi", n => OnnxModels.Set(n, OnnxModels.Float("clip", 3f)), index: 1);
        var e = Fails(bytes);
        Assert.Contains("has clip = 3 but node '/LSTM' (LSTM) has 0; the layers of one stack must agree", e.Message);
    }

    [Fact]
    public void Import_LowerLayerSequenceAsGraphOutput_IsRefused()
    {
        ModelProto model = OnnxModels.Load("torch_lstm_l2_bi_zero");
        string y0 = model.Graph.Node.First(n => n.OpType == "LSTM").Output[0];
        model.Graph.Output.Add(new ValueInfoProto { Name = y0 });
        Assert.Contains($"graph output '{y0}' is the output sequence of layer 0; FastRnn gives the top layer's (1) only", Fails(OnnxModels.Bytes(model)).Message);
    }

    [Fact]
    public void Import_ReshapeMergingTimeAndBatch_NamesTheNode()
    {
        ModelProto model = OnnxModels.Load("torch_lstm_l2_bi_zero");
        NodeProto reshape = model.Graph.Node.Last(n => n.OpType == "Reshape");
        var shape = new TensorProto { Name = "merged_shape", DataType = (int)TensorProto.Types.DataType.Int64 };
        shape.Dims.Add(2);
        shape.Int64Data.AddRange([-1, 12]);
        model.Graph.Initializer.Add(shape);
        reshape.Input[1] = "merged_shape";
        var e = Fails(OnnxModels.Bytes(model));
        Assert.Contains($"node '{reshape.Name}' (Reshape) merges time and batch into one axis", e.Message);
    }

    [Fact]
    public void Import_WithKerasOption_SaysTheOptionDoesNotApply()
    {
        var e = Assert.Throws<ArgumentException>(() => OnnxImporter.Import(OnnxFixtures.PathOf("lstm_forward"), new ImportOptions { Keras = true }));
        Assert.Equal("lstm_forward.onnx: option --keras does not apply to ONNX models: the graph records it", e.Message);
    }
}
