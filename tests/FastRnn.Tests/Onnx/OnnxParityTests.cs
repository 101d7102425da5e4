using FastRnn.Import;
using FastRnn.Layers;
using FastRnn.Tests.Import;
using Microsoft.ML.OnnxRuntime;

namespace FastRnn.Tests.Onnx;

/// <summary>
/// Every model in Fixtures/onnx, imported and run by FastRnn, gives ONNX Runtime's Y, Y_h and Y_c (or the graph's own
/// outputs) within 2e-5 on the same seeded inputs, initial states and sequence lengths.
/// </summary>
public class OnnxParityTests
{
    public static IEnumerable<object[]> Models() => OnnxFixtures.Runnable();

    [Fact]
    public void Fixtures_CoverEveryAttributeAndExporter()
    {
        string[] names = Models().Select(m => (string)m[0]).ToArray();
        string[] required =
        [
            "lstm_forward", "lstm_reverse", "lstm_bidirectional", "lstm_layout1", "lstm_clip", "lstm_activations",
            "lstm_activation_defaults", "lstm_peepholes", "lstm_input_forget", "lstm_seqlens_bidirectional", "lstm_initial_const",
            "lstm_nobias", "gru_forward", "gru_bidirectional_lbr1", "gru_reverse_lbr0", "gru_activations", "gru_layout1",
            "gru_seqlens_reverse", "gru_initial_const", "rnn_forward", "rnn_relu_bidirectional", "rnn_activations", "rnn_elu",
            "rnn_layout1", "rnn_seqlens_const", "torch_lstm_l2_bi", "torch_lstm_l2_bi_zero", "torch_gru_batch_first",
            "torch_rnn_relu_l2", "keras_style_lstm",
        ];
        Assert.Empty(required.Except(names));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Import_ThenRun_MatchesOnnxRuntime(string name)
        => OnnxParityRun.Prepare(name).AssertMatches();

    [Theory]
    [InlineData("torch_lstm_l2_bi")]
    [InlineData("lstm_activations")]
    [InlineData("lstm_peepholes")]
    [InlineData("rnn_activation_defaults")]
    public void ConvertToFrnn_ThenLoad_MatchesOnnxRuntime(string name)
    {
        var run = OnnxParityRun.Prepare(name);
        using var frnn = new ImportTemp(".frnn");
        RnnConfig written = ModelConverter.Convert(run.Path, frnn.Path, ImportOptions.Default);

        RnnModel model = RnnModel.Load(frnn.Path);
        Assert.Equal(run.Result.Model.Config, written);
        Assert.Equal(written, model.Config);
        run.AssertMatches(model);
    }

    [Theory]
    [InlineData("lstm_layout1")]
    [InlineData("gru_layout1")]
    [InlineData("rnn_layout1")]
    public void OnnxRuntime_RefusesLayout1_SoItsTwinIsTheOracle(string name)
    {
        // Why the layout-1 fixtures have a .reference.onnx twin (Transposes around the layout-0 node): ONNX Runtime's
        // CPU LSTM, GRU and RNN refuse batch-major layout.
        var e = Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(OnnxFixtures.PathOf(name)));
        Assert.Contains("layout", e.Message, StringComparison.OrdinalIgnoreCase);
    }
}
