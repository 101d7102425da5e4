using FastRnn.Import;
using FastRnn.Layers;
using static FastRnn.Tests.Import.StateDicts;

namespace FastRnn.Tests.Import;

/// <summary>Configuration inference from PyTorch state-dict names and shapes, and the errors for what is not one recurrent module.</summary>
public class PyTorchStateDictImporterTests
{
    private static ImportException Rejects(IEnumerable<KeyValuePair<string, TensorData>> tensors, ImportOptions? options = null)
        => Assert.Throws<ImportException>(() => PyTorchStateDictImporter.Import(tensors, options));

    [Theory]
    [InlineData(4, RecurrentKind.Lstm)]
    [InlineData(3, RecurrentKind.Gru)]
    [InlineData(1, RecurrentKind.Rnn)]
    public void Import_KindFollowsTheGateMultipleOfWeightHh(int gates, RecurrentKind kind)
    {
        // H = 12 is divisible by 3 and 4, yet weight_hh (G·H, H) leaves exactly one reading.
        RnnConfig c = PyTorchStateDictImporter.Import(Stack(gates, 5, 12)).Config;
        Assert.Equal(kind, c.Kind);
        Assert.Equal(5, c.InputSize);
        Assert.Equal(12, c.HiddenSize);
    }

    [Fact]
    public void Import_InfersLayersDirectionsProjectionAndBias()
    {
        RnnConfig c = PyTorchStateDictImporter.Import(Stack(4, 7, 10, layers: 3, bidirectional: true, proj: 3, bias: false)).Config;
        Assert.Equal(new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 7, HiddenSize = 10, NumLayers = 3, Bidirectional = true, ProjSize = 3, HasBias = false }, c);
    }

    [Theory]
    [InlineData(4, RecurrentKind.Lstm)]
    [InlineData(3, RecurrentKind.Gru)]
    [InlineData(1, RecurrentKind.Rnn)]
    public void Import_Cell_IsAOneLayerModelUnderLayerNames(int gates, RecurrentKind kind)
    {
        ImportedModel m = PyTorchStateDictImporter.Import(Cell(gates, 3, 6, prefix: "decoder.cell."));
        Assert.Equal(new RnnConfig { Kind = kind, InputSize = 3, HiddenSize = 6 }, m.Config);
        Assert.Equal(["bias_hh_l0", "bias_ih_l0", "weight_hh_l0", "weight_ih_l0"], m.Tensors.Keys.Order());
    }

    [Fact]
    public void Import_OptionsChooseRnnNonlinearityAndGruForm()
    {
        Assert.Equal(RnnNonlinearity.Relu, PyTorchStateDictImporter.Import(Stack(1, 2, 3), new ImportOptions { Nonlinearity = RnnNonlinearity.Relu }).Config.Nonlinearity);
        Assert.False(PyTorchStateDictImporter.Import(Stack(3, 2, 3), new ImportOptions { GruResetAfter = false }).Config.GruResetAfter);
        Assert.True(PyTorchStateDictImporter.Import(Stack(3, 2, 3)).Config.GruResetAfter);
    }

    [Fact]
    public void Import_OptionForAnotherKind_IsRejected()
    {
        // An option that does not fit the weights is the caller's mistake: an ArgumentException, as for any bad argument.
        var e = Assert.Throws<ArgumentException>(() => PyTorchStateDictImporter.Import(Stack(4, 2, 3), new ImportOptions { Nonlinearity = RnnNonlinearity.Relu }));
        Assert.Contains("option nonlinearity = relu does not apply: the weights are a LSTM, not an RNN", e.Message);
        e = Assert.Throws<ArgumentException>(() => PyTorchStateDictImporter.Import(Stack(1, 2, 3), new ImportOptions { GruResetAfter = false }));
        Assert.Contains("GRU reset_after = false does not apply", e.Message);
    }

    [Fact]
    public void Import_SeveralModules_ListsThemAndAsksForAPrefix()
    {
        var d = Stack(4, 3, 5, prefix: "encoder.rnn.");
        foreach (var t in Stack(3, 5, 5, prefix: "decoder.rnn."))
            d.Add(t.Key, t.Value);
        d["head.weight"] = Zeros(2, 5);
        var e = Rejects(d);
        Assert.Contains("several modules: 'encoder.rnn', 'decoder.rnn', 'head'", e.Message);
        Assert.Contains("--prefix", e.Message);
    }

    [Theory]
    [InlineData("decoder.rnn", RecurrentKind.Gru)]
    [InlineData("encoder.rnn.", RecurrentKind.Lstm)]
    [InlineData("encoder", RecurrentKind.Lstm)]
    public void Import_Prefix_SelectsOneModule(string prefix, RecurrentKind kind)
    {
        var d = Stack(4, 3, 5, prefix: "encoder.rnn.");
        foreach (var t in Stack(3, 5, 5, prefix: "decoder.rnn."))
            d.Add(t.Key, t.Value);
        d["head.weight"] = Zeros(2, 5);
        Assert.Equal(kind, PyTorchStateDictImporter.Import(d, new ImportOptions { Prefix = prefix }).Config.Kind);
    }

    [Fact]
    public void Import_PrefixMatchingNothing_ListsTheModules()
    {
        var e = Rejects(Stack(4, 3, 5, prefix: "model.lstm."), new ImportOptions { Prefix = "model.gru" });
        Assert.Contains("no tensor is under the prefix 'model.gru'; the modules present are 'model.lstm'", e.Message);
    }

    [Fact]
    public void Import_MissingLayerTensor_NamesIt()
    {
        var d = Stack(4, 3, 5, layers: 3, prefix: "rnn.");
        d.Remove("rnn.weight_hh_l1");
        var e = Rejects(d);
        Assert.Contains("tensor 'rnn.weight_hh_l1' is missing", e.Message);
        Assert.Contains("3-layer LSTM", e.Message);
    }

    [Fact]
    public void Import_OneBiasOfAPair_NamesTheOther()
    {
        var d = Stack(3, 3, 5);
        d.Remove("bias_hh_l0");
        Assert.Contains("tensor 'bias_hh_l0' is missing", Rejects(d).Message);
    }

    [Fact]
    public void Import_MixedKindsBetweenLayers_NamesTheTensorAndTheExpectedShape()
    {
        var d = Stack(4, 3, 5, layers: 2);
        d["weight_hh_l1"] = Zeros(15, 5); // a GRU's
        var e = Rejects(d);
        Assert.Contains("tensor 'weight_hh_l1' has shape (15, 5); expected (20, 5)", e.Message);
    }

    [Fact]
    public void Import_WrongInputWidthAboveLayerZero_NamesTheTensor()
    {
        var d = Stack(3, 3, 5, layers: 2, bidirectional: true);
        d["weight_ih_l1_reverse"] = Zeros(15, 5);
        var e = Rejects(d);
        Assert.Contains("tensor 'weight_ih_l1_reverse' has shape (15, 5); expected (15, 10) = (3·H, D·H_out) for layer 1", e.Message);
    }

    [Fact]
    public void Import_WeightHhNotAGateMultiple_IsRejected()
    {
        var d = Stack(1, 3, 5);
        d["weight_hh_l0"] = Zeros(10, 5);
        var e = Rejects(d);
        Assert.Contains("tensor 'weight_hh_l0' has shape (10, 5)", e.Message);
        Assert.Contains("4, 3 or 1 times the columns", e.Message);
    }

    [Fact]
    public void Import_ProjectionInconsistentWithWeightHh_NamesWeightHh()
    {
        var d = Stack(4, 3, 8, proj: 2);
        d["weight_hh_l0"] = Zeros(32, 3);
        var e = Rejects(d);
        Assert.Contains("tensor 'weight_hh_l0' has shape (32, 3); expected (32, 2)", e.Message);
        Assert.Contains("proj_size P = 2", e.Message);
    }

    [Fact]
    public void Import_ProjectionOnlyAboveLayerZero_IsRejected()
    {
        var d = Stack(4, 3, 8, layers: 2);
        d["weight_hr_l1"] = Zeros(2, 8);
        var e = Rejects(d);
        Assert.Contains("tensor 'weight_hr_l1' is not part of the model; weight_hr_l0 is absent", e.Message);
    }

    [Fact]
    public void Import_UnknownParameterInTheModule_NamesIt()
    {
        var d = Stack(4, 3, 5, prefix: "rnn.");
        d["rnn.weight_ih_l0_raw"] = Zeros(20, 3);
        var e = Rejects(d);
        Assert.Contains("tensor 'rnn.weight_ih_l0_raw' is not part of the model", e.Message);
    }

    [Fact]
    public void Import_KerasNames_SuggestTheKerasOption()
    {
        var e = Rejects(new Dictionary<string, TensorData> { ["lstm/kernel"] = Zeros(3, 20), ["lstm/recurrent_kernel"] = Zeros(5, 20) });
        Assert.Contains("Keras layout", e.Message);
    }

    [Fact]
    public void Import_CellAndStackNamesMixed_IsRejected()
    {
        var d = Cell(4, 3, 5);
        d["weight_ih_l0"] = Zeros(20, 3);
        Assert.Contains("mixes a cell's names", Rejects(d).Message);
    }

    [Fact]
    public void Import_DuplicateName_IsRejected()
    {
        var list = Stack(1, 2, 3).ToList();
        list.Add(list[0]);
        Assert.Contains("tensor 'weight_ih_l0' appears twice", Rejects(list).Message);
    }

    [Fact]
    public void Import_SizeBeyondTheEngineLimits_IsAnImportError()
    {
        var e = Rejects(Stack(1, 2, 3, layers: 65));
        Assert.Contains("NumLayers", e.Message);
    }
}
