using FastRnn.Tests.Support;
using FastRnn.Import;
using FastRnn.Tests.Import;
using Google.Protobuf;
using Onnx;

namespace FastRnn.Tests.Onnx;

/// <summary>
/// An ONNX graph's constant <c>initial_h</c> / <c>initial_c</c> and <c>sequence_lens</c> (initializers or Constant
/// nodes) survive conversion to .frnn: the loaded model, run with no state and no lengths given, matches ONNX Runtime
/// on the original graph.
/// </summary>
public class OnnxConstantsTests
{
    [Theory]
    [InlineData("lstm_initial_const")]         // initial_h and initial_c, bidirectional, B = 3
    [InlineData("gru_initial_const")]          // initial_h, B = 3
    [InlineData("lstm_activation_defaults")]   // initial_c only, B = 2
    [InlineData("rnn_seqlens_const")]          // sequence_lens [5, 2, 3]
    public void ConvertToFrnn_ThenRunWithNothingGiven_MatchesOnnxRuntime(string name)
    {
        var run = OnnxParityRun.Prepare(name);
        using var frnn = new ImportTemp(".frnn");
        ModelConverter.Convert(run.Path, frnn.Path, ImportOptions.Default);
        run.AssertMatches(RnnModel.Load(frnn.Path), modelDefaults: true);
    }

    [Theory]
    [InlineData("lstm_initial_const")]
    [InlineData("gru_initial_const")]
    [InlineData("rnn_seqlens_const")]
    public void ConvertToFrnn_WithTheConstantsAsConstantNodes_MatchesOnnxRuntime(string name)
    {
        using var onnx = ImportTemp.With(".onnx", OnnxModels.Bytes(WithConstantNodes(OnnxModels.Load(name))));
        var run = OnnxParityRun.Prepare(name, onnx.Path);
        using var frnn = new ImportTemp(".frnn");
        ModelConverter.Convert(run.Path, frnn.Path, ImportOptions.Default);
        run.AssertMatches(RnnModel.Load(frnn.Path), modelDefaults: true);
    }

    [Fact]
    public void Reset_ReturnsToTheGraphsInitialState_AndSetStateReplacesIt()
    {
        ModelProto graph = OnnxModels.Load("lstm_initial_const");
        // One bidirectional layer: ONNX's (D, B, H) is FastRnn's (L·D, B, H).
        float[] h0 = Initializer(graph, 5), c0 = Initializer(graph, 6);
        RnnModel model = OnnxImporter.Import(OnnxFixtures.PathOf("lstm_initial_const")).Model.ToModel();

        using RnnSession session = model.CreateSession(batchSize: 3);
        Assert.Equal(h0, session.HiddenState.ToArray());
        Assert.Equal(c0, session.CellState.ToArray());
        var y = new float[4 * session.OutputLength];
        session.Run(new float[4 * session.InputLength].Select((_, i) => MathF.Sin(i)).ToArray(), y);
        Assert.NotEqual(h0, session.HiddenState.ToArray());

        session.Reset();
        Assert.Equal(h0, session.HiddenState.ToArray());
        Assert.Equal(c0, session.CellState.ToArray());
        session.SetState(new float[h0.Length], new float[c0.Length]);
        Assert.All(session.HiddenState.ToArray(), v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData("lstm_initial_const")]
    [InlineData("rnn_seqlens_const")]
    public void ResetAndRunFromTheModelsConstants_AllocateNothing_AfterWarmUp(string name)
    {
        RnnModel model = OnnxImporter.Import(OnnxFixtures.PathOf(name)).Model.ToModel();
        using RnnSession session = model.CreateSession(batchSize: 3, maxSequenceLength: 8);
        var x = new float[6 * session.InputLength];
        var y = new float[6 * session.OutputLength];
        for (int i = 0; i < 10; i++)
        {
            session.Reset();
            session.Run(x, y);
        }
        Allocations.AssertNone(() =>
        {
            for (int i = 0; i < 2000; i++)
            {
                session.Reset();
                session.Run(x, y);
            }
        }, "Reset and Run from the model's initial state");
    }

    [Fact]
    public void CreateSession_ForAnotherBatchThanTheConstantsFix_ThrowsNamingBoth()
    {
        RnnModel states = OnnxImporter.Import(OnnxFixtures.PathOf("lstm_initial_const")).Model.ToModel();
        var e = Assert.Throws<ArgumentException>(() => states.CreateSession(batchSize: 2));
        Assert.Contains("initial state is for 3 streams", e.Message);
        RnnModel lengths = OnnxImporter.Import(OnnxFixtures.PathOf("rnn_seqlens_const")).Model.ToModel();
        Assert.Contains("sequence lengths", Assert.Throws<ArgumentException>(() => lengths.CreateSession(batchSize: 4)).Message);
    }

    [Fact]
    public void InitialStateOfOneStream_StartsEveryStream()
    {
        var config = new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 2, HiddenSize = 3, NumLayers = 2 };
        Dictionary<string, float[]> tensors = Layers.OnnxFeatureTests.RandomParameters(config, new Random(7));
        float[] h0 = [1, 2, 3, 4, 5, 6]; // (L·D, 1, H): layer 0's row, then layer 1's
        tensors[RecurrentParameterSchema.InitialHiddenName] = h0;
        using RnnSession session = RnnModel.FromPyTorch(config, tensors).CreateSession(batchSize: 2);
        Assert.Equal([1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6], session.HiddenState.ToArray());
    }

    [Fact]
    public void FromPyTorch_WithAnInitialStateOfTheWrongLength_NamesTheTensor()
    {
        var config = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 2, HiddenSize = 3 };
        Dictionary<string, float[]> tensors = Layers.OnnxFeatureTests.RandomParameters(config, new Random(7));
        tensors[RecurrentParameterSchema.InitialCellName] = new float[4];
        var e = Assert.Throws<ArgumentException>(() => RnnModel.FromPyTorch(config, tensors));
        Assert.Contains("'initial_c' has 4 floats", e.Message);
        Assert.Contains("multiple of 3", e.Message);
    }

    [Fact]
    public void SequenceLengths_RoundTripThroughTheFile_AndNegativeOnesAreRefused()
    {
        var config = new RnnConfig { Kind = RecurrentKind.Rnn, InputSize = 2, HiddenSize = 3, SequenceLengths = [4, 0, 2] };
        Dictionary<string, float[]> tensors = Layers.OnnxFeatureTests.RandomParameters(config, new Random(3));
        Assert.Equal(config, RnnModel.Load(RnnModel.ToFrnn(config, tensors)).Config);
        var bad = config with { SequenceLengths = [1, -1] };
        Assert.Contains("SequenceLengths", Assert.Throws<ArgumentException>(bad.Validate).Message);
    }

    /// <summary>The initializer the first recurrent node reads at input <paramref name="index"/>.</summary>
    private static float[] Initializer(ModelProto model, int index)
    {
        string name = model.Graph.Node.First(n => n.OpType is "LSTM" or "GRU" or "RNN").Input[index];
        TensorProto t = model.Graph.Initializer.Single(i => i.Name == name);
        return t.FloatData.Count > 0 ? [.. t.FloatData] : MemoryMarshalFloats(t.RawData);
    }

    private static float[] MemoryMarshalFloats(ByteString raw)
        => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw.Span).ToArray();

    /// <summary>Every initializer the recurrent node reads as sequence_lens, initial_h or initial_c, moved into a Constant node.</summary>
    private static ModelProto WithConstantNodes(ModelProto model)
    {
        NodeProto rnn = model.Graph.Node.First(n => n.OpType is "LSTM" or "GRU" or "RNN");
        foreach (string name in rnn.Input.Skip(4).Where(n => n.Length > 0))
        {
            TensorProto? t = model.Graph.Initializer.FirstOrDefault(i => i.Name == name);
            if (t is null)
                continue;
            model.Graph.Initializer.Remove(t);
            ValueInfoProto? declared = model.Graph.Input.FirstOrDefault(i => i.Name == name);
            if (declared is not null)
                model.Graph.Input.Remove(declared);
            var constant = new NodeProto { OpType = "Constant", Name = name + "_constant" };
            constant.Output.Add(name);
            constant.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = t });
            model.Graph.Node.Insert(0, constant);
        }
        return model;
    }
}
