using FastRnn.Import;
using FastRnn.Layers;
using static FastRnn.Tests.Import.StateDicts;
using Fixtures = FastRnn.Tests.Support.Fixtures;

namespace FastRnn.Tests.Import;

/// <summary>Keras layout: names, kind and GRU form from shapes, gate reordering, and the errors for what is not a Keras recurrent stack.</summary>
public class KerasImporterTests
{
    private static ImportException Rejects(Dictionary<string, TensorData> tensors, ImportOptions? options = null)
        => Assert.Throws<ImportException>(() => KerasImporter.Import(tensors, options));

    private static Dictionary<string, TensorData> Layer(string path, int gates, int i, int u, int[]? biasShape = null)
    {
        var d = new Dictionary<string, TensorData>
        {
            [$"{path}kernel"] = Zeros(i, gates * u),
            [$"{path}recurrent_kernel"] = Zeros(u, gates * u),
        };
        if (biasShape is not null)
            d[$"{path}bias"] = Zeros(biasShape);
        return d;
    }

    [Theory]
    [InlineData("lstm/lstm_cell/kernel:0", "lstm/lstm_cell", "kernel")]
    [InlineData("simple_rnn.cell.recurrent_kernel", "simple_rnn.cell", "recurrent_kernel")]
    [InlineData("bias", "", "bias")]
    [InlineData("gru/bias:12", "gru", "bias")]
    public void Split_SeparatesLayerPathAndRole(string name, string layer, string role)
        => Assert.Equal((layer, role), KerasImporter.Split(name));

    [Theory]
    [InlineData(4, new[] { 16 }, RecurrentKind.Lstm, true)]
    [InlineData(3, new[] { 2, 12 }, RecurrentKind.Gru, true)]
    [InlineData(3, new[] { 12 }, RecurrentKind.Gru, false)]
    [InlineData(1, new[] { 4 }, RecurrentKind.Rnn, true)]
    public void Import_KindAndGruFormFollowShapes(int gates, int[] bias, RecurrentKind kind, bool resetAfter)
    {
        RnnConfig c = KerasImporter.Import(Layer("layer/", gates, 3, 4, bias)).Config;
        Assert.Equal(new RnnConfig { Kind = kind, InputSize = 3, HiddenSize = 4, GruResetAfter = resetAfter }, c);
    }

    [Fact]
    public void Import_GruWithoutBias_IsResetAfterUnlessTold()
    {
        Assert.True(KerasImporter.Import(Layer("gru/", 3, 3, 4)).Config.GruResetAfter);
        RnnConfig c = KerasImporter.Import(Layer("gru/", 3, 3, 4), new ImportOptions { GruResetAfter = false }).Config;
        Assert.False(c.GruResetAfter);
        Assert.False(c.HasBias);
    }

    [Fact]
    public void Import_GruFormOptionContradictingTheBias_IsRejected()
    {
        var e = Rejects(Layer("gru/", 3, 3, 4, [2, 12]), new ImportOptions { GruResetAfter = false });
        Assert.Contains("contradicts tensor 'gru/bias'", e.Message);
        Assert.Contains("reset_after=True", e.Message);
    }

    [Fact]
    public void Import_Gru_ReordersGatesZrhToRzn_AndSplitsTheTwoBiases()
    {
        const int u = 2;
        var kernel = new float[1 * 3 * u];       // (I = 1, 3U): columns z z r r h h
        var recurrent = new float[u * 3 * u];    // (U, 3U)
        var bias = new float[2 * 3 * u];         // (2, 3U)
        for (int col = 0; col < 3 * u; col++)
        {
            int gate = col / u + 1; // z = 1, r = 2, h = 3
            kernel[col] = gate;
            for (int row = 0; row < u; row++)
                recurrent[row * 3 * u + col] = 10 * gate + row;
            bias[col] = 100 + gate;
            bias[3 * u + col] = 200 + gate;
        }
        ImportedModel m = KerasImporter.Import(new Dictionary<string, TensorData>
        {
            ["gru/kernel"] = new([1, 3 * u], kernel),
            ["gru/recurrent_kernel"] = new([u, 3 * u], recurrent),
            ["gru/bias"] = new([2, 3 * u], bias),
        });
        Assert.Equal([2f, 2, 1, 1, 3, 3], m.Tensors["weight_ih_l0"]);                 // (3U, 1): r, z, n
        Assert.Equal([20f, 21, 20, 21, 10, 11, 10, 11, 30, 31, 30, 31], m.Tensors["weight_hh_l0"]); // (3U, U): transposed
        Assert.Equal([102f, 102, 101, 101, 103, 103], m.Tensors["bias_ih_l0"]);
        Assert.Equal([202f, 202, 201, 201, 203, 203], m.Tensors["bias_hh_l0"]);
    }

    [Fact]
    public void Import_Lstm_KeepsGateOrderAndPutsTheBiasOnTheInputSide()
    {
        float[] bias = [1, 2, 3, 4];
        ImportedModel m = KerasImporter.Import(new Dictionary<string, TensorData>
        {
            ["lstm/kernel"] = new([1, 4], [5, 6, 7, 8]),
            ["lstm/recurrent_kernel"] = new([1, 4], [9, 10, 11, 12]),
            ["lstm/bias"] = new([4], bias),
        });
        Assert.Equal([5f, 6, 7, 8], m.Tensors["weight_ih_l0"]);
        Assert.Equal(bias, m.Tensors["bias_ih_l0"]);
        Assert.Equal([0f, 0, 0, 0], m.Tensors["bias_hh_l0"]);
    }

    [Fact]
    public void Import_LayersStackInFileOrder()
    {
        var d = Layer("second/", 4, 6, 6, [24]); // listed first in the file, so it is layer 0
        foreach (var t in Layer("first/", 4, 6, 6, [24]))
            d.Add(t.Key, t.Value);
        d["second/kernel"] = Zeros(5, 24);
        RnnConfig c = KerasImporter.Import(d).Config;
        Assert.Equal(2, c.NumLayers);
        Assert.Equal(5, c.InputSize);
    }

    [Fact]
    public void Import_StackOfDifferentSizes_IsRejected()
    {
        var d = Layer("lstm/", 4, 3, 6, [24]);
        foreach (var t in Layer("lstm_1/", 4, 6, 5, [20]))
            d.Add(t.Key, t.Value);
        var e = Rejects(d);
        Assert.Contains("layer 'lstm_1' has 5 units", e.Message);
    }

    [Fact]
    public void Import_StackOfDifferentKinds_IsRejected()
    {
        var d = Layer("lstm/", 4, 3, 6, [24]);
        foreach (var t in Layer("gru/", 3, 6, 6, [18]))
            d.Add(t.Key, t.Value);
        Assert.Contains("layer 'gru' is a GRU", Rejects(d).Message);
    }

    [Fact]
    public void Import_StackedLayerWithWrongInputWidth_NamesItsKernel()
    {
        var d = Layer("a/", 1, 3, 6, [6]);
        foreach (var t in Layer("b/", 1, 4, 6, [6]))
            d.Add(t.Key, t.Value);
        var e = Rejects(d);
        Assert.Contains("tensor 'b/kernel' has shape (4, 6); expected (6, 6)", e.Message);
    }

    [Fact]
    public void Import_DenseLayerBesideTheRecurrentOne_AsksForAPrefix()
    {
        var tensors = NpzFile.Read(Path.Combine(Fixtures.Directory("import"), "keras_gru_reset_before.npz"));
        var e = Assert.Throws<ImportException>(() => KerasImporter.Import(tensors));
        Assert.Contains("layer 'dense' ('dense/kernel', 'dense/bias') has no recurrent_kernel", e.Message);
        Assert.Contains("--prefix", e.Message);
        Assert.Equal(RecurrentKind.Gru, KerasImporter.Import(tensors, new ImportOptions { Prefix = "gru" }).Config.Kind);
    }

    [Fact]
    public void Import_BiasOfWrongShape_NamesIt()
    {
        var e = Rejects(Layer("lstm/", 4, 3, 4, [2, 16]));
        Assert.Contains("tensor 'lstm/bias' has shape (2, 16); expected (16,) for a LSTM with 4 units", e.Message);
    }

    [Fact]
    public void Import_RecurrentKernelNotAGateMultiple_IsRejected()
    {
        var d = new Dictionary<string, TensorData> { ["x/kernel"] = Zeros(3, 8), ["x/recurrent_kernel"] = Zeros(4, 8) };
        Assert.Contains("tensor 'x/recurrent_kernel' has shape (4, 8)", Rejects(d).Message);
    }

    [Fact]
    public void Import_MissingKernel_NamesIt()
    {
        var d = Layer("lstm/lstm_cell/", 4, 3, 4, [16]);
        d.Remove("lstm/lstm_cell/kernel");
        Assert.Contains("tensor 'lstm/lstm_cell/kernel' is missing", Rejects(d).Message);
    }

    [Fact]
    public void Import_UnknownRole_NamesTheTensor()
    {
        var d = Layer("lstm/", 4, 3, 4, [16]);
        d["lstm/gamma"] = Zeros(4);
        Assert.Contains("tensor 'lstm/gamma' is not part of the model", Rejects(d).Message);
    }

    [Fact]
    public void Import_SecondKernelForOneLayer_IsRejected()
    {
        var d = Layer("lstm/", 4, 3, 4, [16]);
        d["lstm/kernel:0"] = Zeros(3, 16);
        Assert.Contains("tensor 'lstm/kernel:0' is a second kernel for layer 'lstm'", Rejects(d).Message);
    }

    [Fact]
    public void Import_NonlinearityOptionOnLstm_IsRejected()
        => Assert.Contains("not a SimpleRNN", Assert.Throws<ArgumentException>(() => KerasImporter.Import(Layer("lstm/", 4, 3, 4, [16]), new ImportOptions { Nonlinearity = RnnNonlinearity.Relu })).Message);
}
