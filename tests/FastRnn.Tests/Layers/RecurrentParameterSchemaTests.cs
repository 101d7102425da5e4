using System.Text.Json;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Layers;

/// <summary>
/// The parameter schema against PyTorch: the names and shapes it gives for a configuration are those of the module's
/// <c>state_dict()</c>, as the PyTorch-written fixtures hold them; and the gate-order tables against the orders the
/// frameworks document.
/// </summary>
public class RecurrentParameterSchemaTests
{
    public static IEnumerable<object[]> StackFixtures()
        => RnnFixture.All().Where(f => !RnnFixture.Load((string)f[0]).IsCell);

    [Theory]
    [MemberData(nameof(StackFixtures))]
    public void Parameters_AreTheStateDictNamesAndShapes_OfEveryPyTorchFixture(string name)
    {
        var f = RnnFixture.Load(name);
        var expected = f.File.Tensors.Where(t => t.Key.StartsWith("weight_", StringComparison.Ordinal) || t.Key.StartsWith("bias_", StringComparison.Ordinal))
            .ToDictionary(t => t.Key, t => t.Value.Shape);
        var schema = new RecurrentParameterSchema(f.Config);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), schema.Parameters.Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (RecurrentParameter p in schema.Parameters)
            Assert.Equal(expected[p.Name], p.Shape);
    }

    [Fact]
    public void Parameters_ForTwoLayerBidirectionalProjectedLstm_MatchTheStateDictFile()
    {
        // nn.LSTM(5, 12, num_layers=2, bidirectional=True, proj_size=4).state_dict(), saved by safetensors.torch.
        var file = SafetensorsFile.Read(Path.Combine(Fixtures.Directory("import"), "pt_lstm_l2_bi_proj.safetensors"));
        var config = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 5, HiddenSize = 12, NumLayers = 2, Bidirectional = true, ProjSize = 4 };
        var schema = new RecurrentParameterSchema(config);
        Assert.Equal(file.Tensors.Keys.Order(StringComparer.Ordinal), schema.Parameters.Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (RecurrentParameter p in schema.Parameters)
            Assert.Equal(file.Tensors[p.Name].Shape, p.Shape);
        RecurrentParameter hh = schema.Get(RecurrentParameterRole.RecurrentWeights, 1, 1);
        Assert.Equal(("weight_hh_l1_reverse", 1, 1), (hh.Name, hh.Layer, hh.Direction));
        Assert.Equal([48, 4], hh.Shape);
    }

    public static IEnumerable<object[]> StateDictCases()
        => Enumerable.Range(0, StateDictDocument().RootElement.GetProperty("cases").GetArrayLength()).Select(i => new object[] { i });

    [Theory]
    [MemberData(nameof(StateDictCases))]
    public void Parameters_AreTheStateDictInPyTorchsOrder(int index)
    {
        // tools/gen_schema_fixture.py: module.state_dict() of nn.LSTM / nn.GRU / nn.RNN, names and shapes in order.
        using JsonDocument document = StateDictDocument();
        JsonElement c = document.RootElement.GetProperty("cases")[index];
        JsonElement a = c.GetProperty("args");
        int Arg(string name, int otherwise) => a.TryGetProperty(name, out JsonElement v) ? v.GetInt32() : otherwise;
        bool Flag(string name, bool otherwise) => a.TryGetProperty(name, out JsonElement v) ? v.GetBoolean() : otherwise;
        var config = new RnnConfig
        {
            Kind = c.GetProperty("module").GetString() switch { "LSTM" => RecurrentKind.Lstm, "GRU" => RecurrentKind.Gru, _ => RecurrentKind.Rnn },
            InputSize = Arg("input_size", 0),
            HiddenSize = Arg("hidden_size", 0),
            NumLayers = Arg("num_layers", 1),
            ProjSize = Arg("proj_size", 0),
            Bidirectional = Flag("bidirectional", false),
            HasBias = Flag("bias", true),
        };
        var expected = c.GetProperty("state_dict").EnumerateArray()
            .Select(e => $"{e[0].GetString()} ({string.Join(", ", e[1].EnumerateArray().Select(d => d.GetInt32()))})").ToArray();
        Assert.Equal(expected, new RecurrentParameterSchema(config).Parameters.Select(p => p.ToString()));
    }

    [Fact]
    public void Parameters_WithPeepholes_AddOneThreeRowTensorPerDirection()
    {
        var config = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 3, HiddenSize = 4, Peepholes = true, HasBias = false };
        var schema = new RecurrentParameterSchema(config);
        Assert.Equal(["weight_ih_l0", "weight_hh_l0", "peephole_l0"], schema.Parameters.Select(p => p.Name));
        Assert.Equal([3, 4], schema.Get(RecurrentParameterRole.Peepholes, 0, 0).Shape);
        Assert.Throws<ArgumentException>(() => schema.Get(RecurrentParameterRole.InputBias, 0, 0));
    }

    [Theory]
    [InlineData("weight_ih_l0", RecurrentParameterRole.InputWeights, 0, 0)]
    [InlineData("bias_hh_l12_reverse", RecurrentParameterRole.RecurrentBias, 12, 1)]
    [InlineData("weight_hr_l3", RecurrentParameterRole.Projection, 3, 0)]
    [InlineData("peephole_l1_reverse", RecurrentParameterRole.Peepholes, 1, 1)]
    public void TryParseName_ReadsLayerDirectionAndRole_AndNameWritesThemBack(string name, RecurrentParameterRole role, int layer, int direction)
    {
        Assert.True(RecurrentParameterSchema.TryParseName(name, out RecurrentParameterRole r, out int l, out int d));
        Assert.Equal((role, layer, direction), (r, l, d));
        Assert.Equal(name, RecurrentParameterSchema.Name(r, l, d));
    }

    [Theory]
    [InlineData("weight_ih")]
    [InlineData("weight_ih_l")]
    [InlineData("weight_ih_l01")]
    [InlineData("weight_ih_l1234567")]
    [InlineData("weight_ih_l0_reverse_reverse")]
    [InlineData("weight_ih_reverse")]
    [InlineData("weight_xx_l0")]
    [InlineData("weight_ih_l-1")]
    public void TryParseName_RejectsWhatPyTorchNeverWrites(string name)
        => Assert.False(RecurrentParameterSchema.TryParseName(name, out _, out _, out _));

    [Theory]
    [InlineData(RecurrentKind.Lstm, "i,o,f,c", "i,f,c,o")]
    [InlineData(RecurrentKind.Gru, "z,r,h", "r,z,h")]
    [InlineData(RecurrentKind.Rnn, "i", "i")]
    public void OnnxOrder_ToPyTorch_PutsTheBlocksInPyTorchsOrder(RecurrentKind kind, string onnx, string pyTorch)
        => AssertReorders(GateOrder.Onnx(kind), onnx, pyTorch);

    [Theory]
    [InlineData(RecurrentKind.Lstm, "i,f,c,o", "i,f,c,o")]
    [InlineData(RecurrentKind.Gru, "z,r,h", "r,z,h")]
    [InlineData(RecurrentKind.Rnn, "h", "h")]
    public void KerasOrder_ToPyTorch_PutsTheBlocksInPyTorchsOrder(RecurrentKind kind, string keras, string pyTorch)
        => AssertReorders(GateOrder.Keras(kind), keras, pyTorch);

    [Fact]
    public void OnnxPeepholes_ToPyTorch_GiveInputForgetOutput()
        => AssertReorders(GateOrder.OnnxPeepholes, "i,o,f", "i,f,o");

    [Theory]
    [InlineData(RecurrentKind.Lstm, "i,f,g,o")]
    [InlineData(RecurrentKind.Gru, "r,z,n")]
    public void PyTorchOrder_IsTheIdentity(RecurrentKind kind, string gates)
        => AssertReorders(GateOrder.PyTorch(kind), gates, gates);

    [Fact]
    public void ToPyTorch_WhenTheDataIsNotOneBlockPerGate_Throws()
        => Assert.Contains("gate blocks", Assert.Throws<ArgumentException>(() => GateOrder.Onnx(RecurrentKind.Gru).ToPyTorch(new float[7], 2)).Message);

    private static JsonDocument StateDictDocument()
        => JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Directory("schema"), "state_dict.json")));

    /// <summary>Blocks of two floats labelled by gate (in the framework's documented order) come out in the expected order.</summary>
    private static void AssertReorders(GateOrder order, string source, string expected)
    {
        string[] from = source.Split(','), to = expected.Split(',');
        Assert.Equal(from, order.Gates);
        float Label(string gate) => Array.IndexOf(from, gate);
        float[] blocks = from.SelectMany(g => new[] { Label(g), Label(g) + 0.5f }).ToArray();
        float[] expectedBlocks = to.SelectMany(g => new[] { Label(g), Label(g) + 0.5f }).ToArray();
        Assert.Equal(expectedBlocks, order.ToPyTorch(blocks, 2));
        Assert.Equal(blocks, order.FromPyTorch<float>(expectedBlocks, 2));
    }
}
