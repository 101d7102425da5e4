using FastRnn.Import;
using FastRnn.Layers;
using Onnx;

namespace FastRnn.Tests.Onnx;

/// <summary>What the importer reads from each kind of graph: the configuration, the weights and the graph's layouts.</summary>
public class OnnxImporterTests
{
    private static OnnxImportResult Import(string name) => OnnxImporter.Import(OnnxFixtures.PathOf(name));

    [Fact]
    public void Import_TorchExport_IsOneStackWithStackedStateInputs()
    {
        OnnxImportResult r = Import("torch_lstm_l2_bi");
        Assert.Equal(new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 4, HiddenSize = 6, NumLayers = 2, Bidirectional = true }, r.Model.Config);
        Assert.Equal(RnnModel.ParameterNames(r.Model.Config).Order(), r.Model.Tensors.Keys.Order());
        Assert.Equal(0, r.Layout);

        Assert.Equal(["input", "h0", "c0"], r.Inputs.Select(i => i.Name));
        Assert.Equal([OnnxAxis.Time, OnnxAxis.Batch, OnnxAxis.Features], r.Input.Axes);
        Assert.Equal([OnnxAxis.States, OnnxAxis.Batch, OnnxAxis.Hidden], r.InitialHiddenInput!.Axes);
        Assert.Equal(4, r.InitialCellInput!.StateCount);

        Assert.Equal(["output", "hn", "cn"], r.Outputs.Select(o => o.Name));
        Assert.Equal([OnnxValueRole.Sequence, OnnxValueRole.Hidden, OnnxValueRole.Cell], r.Outputs.Select(o => o.Role));
        Assert.Equal([OnnxAxis.Time, OnnxAxis.Batch, OnnxAxis.Features], r.Outputs[0].Axes);
        Assert.Equal((0, 4), (r.Outputs[1].FirstState, r.Outputs[1].StateCount));
    }

    [Fact]
    public void Import_BatchFirstExport_ReportsBatchMajorInputAndOutput()
    {
        OnnxImportResult r = Import("torch_gru_batch_first");
        Assert.True(r.Model.Config.GruResetAfter);
        Assert.Equal([OnnxAxis.Batch, OnnxAxis.Time, OnnxAxis.Features], r.Input.Axes);
        Assert.Equal([OnnxAxis.Batch, OnnxAxis.Time, OnnxAxis.Hidden], r.Outputs[0].Axes);
        Assert.Equal([3L, 7, 4], r.Input.DeclaredShape);
    }

    [Fact]
    public void Import_Layout1_ReportsTheLayoutAndBatchMajorAxes()
    {
        OnnxImportResult r = Import("lstm_layout1");
        Assert.Equal(1, r.Layout);
        Assert.Equal([OnnxAxis.Batch, OnnxAxis.Time, OnnxAxis.Features], r.Input.Axes);
        Assert.Equal([OnnxAxis.Batch, OnnxAxis.States, OnnxAxis.Hidden], r.InitialHiddenInput!.Axes);
        Assert.Equal([OnnxAxis.Batch, OnnxAxis.Time, OnnxAxis.Directions, OnnxAxis.Hidden], r.Outputs[0].Axes);
        Assert.Equal([OnnxAxis.Batch, OnnxAxis.States, OnnxAxis.Hidden], r.Outputs[1].Axes);
    }

    [Fact]
    public void Import_KerasStyleGraph_FollowsItsZeroStateAndSqueezes()
    {
        OnnxImportResult r = Import("keras_style_lstm");
        Assert.Equal([OnnxAxis.Batch, OnnxAxis.Time, OnnxAxis.Features], r.Input.Axes);
        Assert.Single(r.Inputs);
        Assert.Null(r.InitialHidden);
        Assert.Equal([OnnxAxis.Batch, OnnxAxis.Time, OnnxAxis.Hidden], r.Outputs[0].Axes);
        Assert.Equal([OnnxAxis.Batch, OnnxAxis.Hidden], r.Outputs[1].Axes);
        Assert.Equal((0, 1), (r.Outputs[2].FirstState, r.Outputs[2].StateCount));
    }

    [Fact]
    public void Import_DefaultActivationsSpelledOut_RunTheFastPath()
    {
        RnnConfig relu = Import("rnn_relu_bidirectional").Model.Config;
        Assert.Null(relu.Activations);
        Assert.Equal(RnnNonlinearity.Relu, relu.Nonlinearity);
        Assert.Null(Import("torch_lstm_l2_bi").Model.Config.Activations);
    }

    [Fact]
    public void Import_AlphaAndBeta_AreConsumedInOrderByTheFunctionsThatTakeThem()
    {
        RnnActivation[] expected =
        [
            new(RnnActivationKind.HardSigmoid, 0.3f, 0.4f), new(RnnActivationKind.LeakyRelu, 0.2f), new(RnnActivationKind.ScaledTanh, 0.8f, 1.2f),
            RnnActivation.Sigmoid, new(RnnActivationKind.Softsign), new(RnnActivationKind.Elu, 0.5f),
        ];
        Assert.Equal(expected, Import("lstm_activations").Model.Config.Activations);
        // RNN too: the one α belongs to the backward Elu, the first function that takes an α.
        Assert.Equal([new(RnnActivationKind.Relu), new RnnActivation(RnnActivationKind.Elu, 0.7f)], Import("rnn_alpha_consumed").Model.Config.Activations);
    }

    [Fact]
    public void Import_MissingAlphaAndBeta_TakeOnnxRuntimesDefaults()
    {
        // ONNX Runtime (rnn_helpers.cc): LeakyRelu 0.01, HardSigmoid 0.2/0.5, Elu 1, every other 0 (the parity test
        // of this fixture shows its numbers depend on it).
        RnnActivation[] lstm =
        [
            new(RnnActivationKind.HardSigmoid, 0.2f, 0.5f), new(RnnActivationKind.Elu, 1f), new(RnnActivationKind.LeakyRelu, 0.01f),
            new(RnnActivationKind.ThresholdedRelu, 0f), new(RnnActivationKind.Affine, 0f, 0f), new(RnnActivationKind.ScaledTanh, 0f, 0f),
        ];
        Assert.Equal(lstm, Import("lstm_activation_defaults").Model.Config.Activations);
        Assert.Equal([new(RnnActivationKind.Elu, 1f), new RnnActivation(RnnActivationKind.LeakyRelu, 0.01f)], Import("rnn_activation_defaults").Model.Config.Activations);
    }

    [Fact]
    public void Import_GatesAndPeepholes_AreReorderedToPyTorchOrder()
    {
        OnnxImportResult r = Import("lstm_peepholes");
        ModelProto model = OnnxModels.Load("lstm_peepholes");
        float[] Initializer(string name) => model.Graph.Initializer.Single(t => t.Name == name).FloatData is { Count: > 0 } f
            ? [.. f]
            : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(model.Graph.Initializer.Single(t => t.Name == name).RawData.Span).ToArray();
        const int H = 5, I = 4;
        float[] w = Initializer("W"), b = Initializer("B"), p = Initializer("P");
        // Direction 1, ONNX gate blocks i, o, f, c; PyTorch i, f, g, o.
        float[] ih = r.Model.Tensors["weight_ih_l0_reverse"];
        int[] onnxBlockOf = [0, 2, 3, 1];
        for (int gate = 0; gate < 4; gate++)
            Assert.Equal(w.AsSpan((4 + onnxBlockOf[gate]) * H * I, H * I).ToArray(), ih.AsSpan(gate * H * I, H * I).ToArray());
        Assert.Equal(b.AsSpan(8 * H + 4 * H + 2 * H, H).ToArray(), r.Model.Tensors["bias_hh_l0_reverse"].AsSpan(1 * H, H).ToArray());
        // Peepholes ONNX i, o, f; FastRnn i, f, o.
        float[] peep = r.Model.Tensors["peephole_l0"];
        Assert.Equal(p.AsSpan(0, H).ToArray(), peep.AsSpan(0, H).ToArray());
        Assert.Equal(p.AsSpan(2 * H, H).ToArray(), peep.AsSpan(H, H).ToArray());
        Assert.Equal(p.AsSpan(H, H).ToArray(), peep.AsSpan(2 * H, H).ToArray());
    }

    [Fact]
    public void Import_ConstantStatesAndLengths_BecomePartOfTheModel()
    {
        OnnxImportResult states = Import("lstm_initial_const");
        Assert.DoesNotContain(states.Inputs, i => i.Role != OnnxValueRole.Sequence);
        Assert.Equal(3, states.BatchSize);
        Assert.Equal(2 * 3 * 5, states.InitialHidden!.Length);
        Assert.Equal(2 * 3 * 5, states.InitialCell!.Length);
        Assert.Equal(states.InitialHidden, states.Model.Tensors[RecurrentParameterSchema.InitialHiddenName]);
        Assert.Equal(states.InitialCell, states.Model.Tensors[RecurrentParameterSchema.InitialCellName]);

        OnnxImportResult lengths = Import("rnn_seqlens_const");
        Assert.Equal([5, 2, 3], lengths.SequenceLengths!);
        Assert.Equal([5, 2, 3], lengths.Model.Config.SequenceLengths!);
        Assert.Null(lengths.SequenceLengthsInput);
    }

    [Fact]
    public void Import_LengthsInput_IsReported()
    {
        OnnxImportResult r = Import("lstm_seqlens_bidirectional");
        Assert.Equal("sequence_lens", r.SequenceLengthsInput!.Name);
        Assert.Equal([OnnxAxis.Batch], r.SequenceLengthsInput.Axes);
    }

    [Fact]
    public void Convert_Onnx_ReturnsTheImportedModel()
    {
        ImportedModel m = ModelConverter.Convert(OnnxFixtures.PathOf("gru_reverse_lbr0"));
        Assert.True(m.Config.Reverse);
        Assert.False(m.Config.GruResetAfter);
    }

    [Fact]
    public void GraphValue_ChecksSpanLengthsAndDirection()
    {
        OnnxImportResult r = Import("lstm_forward");
        RnnConfig c = r.Model.Config;
        Assert.Throws<ArgumentException>(() => r.Input.ToEngine(new float[10], new float[7 * 3 * 4], c, 7, 3));
        Assert.Throws<ArgumentException>(() => r.Outputs[0].ToEngine(new float[7 * 3 * 5], new float[7 * 3 * 5], c, 7, 3));
        Assert.Throws<ArgumentException>(() => r.Input.FromEngine(new float[7 * 3 * 4], new float[7 * 3 * 4], c, 7, 3));
        Assert.Equal([7, 1, 3, 5], r.Outputs[0].Shape(c, 7, 3));
    }
}
