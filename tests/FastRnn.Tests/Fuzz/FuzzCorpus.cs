using FastRnn.Tests.Import;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Fuzz;

/// <summary>The valid files each reader's mutants start from: committed fixtures, and arrays built from them.</summary>
internal static class FuzzCorpus
{
    /// <summary>Two recurrent models, a language model, three seq2seq models (additive and multiplicative attention) and a graph model.</summary>
    public static IReadOnlyList<byte[]> Frnn() =>
    [
        LanguageModel(),
        RnnModel.ToFrnn(RnnFixture.Load("gru_l1_bi_i3_h5_b3_t100_given").Config, RnnFixture.Load("gru_l1_bi_i3_h5_b3_t100_given").Parameters),
        RnnModel.ToFrnn(RnnFixture.Load("lstm_l1_bi_i3_h8_p1_b1_t100_zero").Config, RnnFixture.Load("lstm_l1_bi_i3_h8_p1_b1_t100_zero").Parameters),
        .. new[] { "bahdanau_2015", "luong_dot", "tf_normalized" }.Select(n => File.ReadAllBytes(Path.Combine(Fixtures.Directory("seq2seq"), n + ".frnn"))),
        File.ReadAllBytes(Fixtures.ShippedModel("vad-structure.frnn")),
    ];

    /// <summary>State dicts in F32, F16 and BF16, PyTorch and Keras names.</summary>
    public static IReadOnlyList<byte[]> Safetensors() =>
        new[] { "pt_lstmcell", "pt_gru_bi_f16", "pt_rnn_relu_l2_bf16", "keras_simplernn" }
            .Select(n => File.ReadAllBytes(Path.Combine(Fixtures.Directory("import"), n + ".safetensors"))).ToList();

    /// <summary>float32 arrays of rank 0 to 3, as NpyArray.Read accepts them.</summary>
    public static IReadOnlyList<byte[]> Npy() =>
    [
        NpyBytes.Build(NpyBytes.Dict("<f4", "()"), BitConverter.GetBytes(1.5f)),
        NpyBytes.Build(NpyBytes.Dict("<f4", "(5,)"), Floats(5)),
        NpyBytes.Build(NpyBytes.Dict("<f4", "(3, 4)"), Floats(12)),
        NpyBytes.Build(NpyBytes.Dict("<f4", "(2, 1, 3)"), Floats(6)),
    ];

    /// <summary>Keras-layout archives, stored and deflated, in float32 and float64.</summary>
    public static IReadOnlyList<byte[]> Npz() =>
    [
        .. new[] { "keras_gru_reset_before", "keras_lstm_l2" }.Select(n => File.ReadAllBytes(Path.Combine(Fixtures.Directory("import"), n + ".npz"))),
        NpyBytes.Npz(false, ("a.npy", NpyBytes.Build(NpyBytes.Dict("<f8", "(2, 3)"), new byte[48])), ("b.npy", NpyBytes.Build(NpyBytes.Dict("<f2", "(4,)"), new byte[8]))),
        NpyBytes.Npz(true, ("w.npy", NpyBytes.Build(NpyBytes.Dict("<f4", "(3, 4)"), Floats(12)))),
    ];

    /// <summary>Single nodes of each kind and exporters' stacks, with constants, reshapes and initial states.</summary>
    public static IReadOnlyList<byte[]> Onnx() =>
        new[] { "lstm_forward", "gru_forward", "rnn_forward", "lstm_initial_const", "torch_rnn_relu_l2", "torch_gru_batch_first", "keras_style_lstm", "torch_lstm_l2_bi_zero" }
            .Select(n => File.ReadAllBytes(Path.Combine(Fixtures.Directory("onnx"), n + ".onnx"))).ToList();

    /// <summary>torch.save files: zip and legacy formats, f16 and strided storages, a checkpoint of two state dicts.</summary>
    public static IReadOnlyList<byte[]> Torch() =>
        new[] { "pt_lstmcell", "pt_gru_bi_f16", "pt_lstm_l2_bi_proj.legacy", "pt_lstm_l2_bi_proj.strided", "checkpoint" }
            .Select(n => File.ReadAllBytes(Path.Combine(Fixtures.Directory("import-torch"), n + ".pt"))).ToList();

    /// <summary>The small character language model the generate tests use.</summary>
    private static byte[] LanguageModel()
    {
        using var file = new ImportTemp(".frnn");
        FastRnn.Tests.Cli.GenerateCommandTests.WriteLanguageModel(file.Path, seed: 5);
        return File.ReadAllBytes(file.Path);
    }

    private static byte[] Floats(int count)
        => Enumerable.Range(0, count).SelectMany(i => BitConverter.GetBytes(i * 0.25f - 1f)).ToArray();
}
