using FastRnn.Layers;
using FastRnn.Tests.Reference;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Layers;

/// <summary>
/// The ONNX-only features — activation functions with α/β, clip, peepholes, input_forget, reverse direction and
/// per-stream sequence lengths — against the double-precision <see cref="ReferenceRnn"/>, whose default path is
/// first checked against PyTorch's goldens. (ONNX Runtime itself is the oracle in the Onnx tests.)
/// </summary>
public class OnnxFeatureTests
{
    private const int Steps = 30, Batch = 3;

    public static IEnumerable<object[]> PyTorchCases() =>
    [
        ["lstm_l2_bi_i13_h17_p5_b3_t100_given"],
        ["lstm_l1_uni_i13_h17_b3_t100_given_nobias"],
        ["gru_l2_bi_i13_h16_b3_t100_zero"],
        ["gru_resetbefore_l2_uni_i37_h63_b1_t100_given"],
        ["rnn_relu_l2_bi_i13_h17_b3_t100_given"],
    ];

    [Theory]
    [MemberData(nameof(PyTorchCases))]
    public void Reference_ReproducesPyTorch(string name)
    {
        var f = RnnFixture.Load(name);
        var (y, hn, cn) = ReferenceRnn.Run(f.Config, f.Parameters, f.Input, f.Steps, f.Batch,
            f.GivenState ? f.InitialHidden : null, f.GivenState ? f.InitialCell : null);
        Compare.Close(f.Output, y.Select(v => (float)v).ToArray(), 1e-6, "reference output");
        Compare.Close(f.FinalHidden, hn.Select(v => (float)v).ToArray(), 1e-6, "reference h_n");
        Compare.Close(f.FinalCell, cn.Select(v => (float)v).ToArray(), 1e-6, "reference c_n");
    }

    public static IEnumerable<object[]> Features()
    {
        var hardSigmoid = new RnnActivation(RnnActivationKind.HardSigmoid, 0.3f, 0.4f);
        var leaky = new RnnActivation(RnnActivationKind.LeakyRelu, 0.2f);
        var scaledTanh = new RnnActivation(RnnActivationKind.ScaledTanh, 0.8f, 1.2f);
        RnnConfig Lstm(int hidden = 11) => new() { Kind = RecurrentKind.Lstm, InputSize = 7, HiddenSize = hidden };
        RnnConfig Gru(bool after) => new() { Kind = RecurrentKind.Gru, InputSize = 5, HiddenSize = 9, GruResetAfter = after };
        RnnConfig Rnn(RnnActivationKind kind, float alpha = 0, float beta = 0)
            => new() { Kind = RecurrentKind.Rnn, InputSize = 4, HiddenSize = 13, Activations = [new RnnActivation(kind, alpha, beta)] };

        yield return ["lstm peepholes", Lstm() with { Peepholes = true }, false];
        yield return ["lstm input_forget", Lstm() with { InputForget = true }, false];
        yield return ["lstm clip 0.5, 2 layers", Lstm() with { Clip = 0.5f, NumLayers = 2 }, false];
        yield return ["lstm all extras, bidirectional", Lstm() with { Peepholes = true, InputForget = true, Clip = 2f, Bidirectional = true }, false];
        yield return ["lstm activations, bidirectional", Lstm(17) with
        {
            Bidirectional = true,
            Activations = [hardSigmoid, leaky, scaledTanh, RnnActivation.Sigmoid, new RnnActivation(RnnActivationKind.Softsign), RnnActivation.Tanh],
        }, false];
        yield return ["lstm reverse", Lstm() with { Reverse = true }, false];
        yield return ["lstm reverse, peepholes, lengths", Lstm() with { Reverse = true, Peepholes = true }, true];
        yield return ["lstm bidirectional 2 layers, lengths", Lstm() with { Bidirectional = true, NumLayers = 2 }, true];
        yield return ["lstm forward, lengths", Lstm(), true];
        yield return ["gru after, softsign + clip", Gru(true) with { Activations = [RnnActivation.Sigmoid, new RnnActivation(RnnActivationKind.Softsign)], Clip = 1.5f }, false];
        yield return ["gru before, activations, bidirectional", Gru(false) with
        {
            Bidirectional = true,
            Activations = [hardSigmoid, new RnnActivation(RnnActivationKind.Elu, 0.5f), RnnActivation.Sigmoid, RnnActivation.Tanh],
        }, false];
        yield return ["gru before, reverse, lengths", Gru(false) with { Reverse = true }, true];
        yield return ["gru after, bidirectional, lengths", Gru(true) with { Bidirectional = true }, true];
        yield return ["rnn elu", Rnn(RnnActivationKind.Elu, 0.5f), false];
        yield return ["rnn affine", Rnn(RnnActivationKind.Affine, 0.7f, 0.1f), false];
        yield return ["rnn softplus", Rnn(RnnActivationKind.Softplus), false];
        yield return ["rnn thresholded relu", Rnn(RnnActivationKind.ThresholdedRelu, 0.1f), false];
        yield return ["rnn relu, reverse, lengths", new RnnConfig { Kind = RecurrentKind.Rnn, InputSize = 4, HiddenSize = 13, Nonlinearity = RnnNonlinearity.Relu, Reverse = true }, true];
    }

    [Theory]
    [MemberData(nameof(Features))]
    public void Run_MatchesDoubleReference(string what, RnnConfig config, bool ragged)
    {
        var random = new Random(what.Length * 7919 + 17);
        var parameters = RandomParameters(config, random);
        float[] input = Uniform(random, Steps * Batch * config.InputSize, 1.5f);
        int states = config.NumLayers * config.Directions * Batch;
        float[] h0 = Uniform(random, states * config.OutputHiddenSize, 0.8f);
        float[] c0 = config.Kind == RecurrentKind.Lstm ? Uniform(random, states * config.HiddenSize, 0.8f) : [];
        // Longest first (the streams still running are a prefix, and only they step) and in another order (every
        // stream steps, the ended ones restored).
        int[]?[] orders = ragged ? [[Steps, 17, 0], [17, 0, Steps]] : [null];

        // Through the file format, so the new metadata keys and the peephole tensor round-trip too.
        var model = RnnModel.Load(RnnModel.ToFrnn(config, parameters));
        Assert.Equal(config, model.Config);
        foreach (int[]? lengths in orders)
        {
            using var session = model.CreateSession(Batch, Steps);
            session.SetState(h0, c0);
            var output = new float[Steps * Batch * config.OutputSize];
            session.Run(input, output, lengths);

            var (y, hn, cn) = ReferenceRnn.Run(config, parameters, input, Steps, Batch, h0, c0, lengths);
            string order = lengths is null ? "" : $" lengths [{string.Join(", ", lengths)}]";
            Compare.Close(y.Select(v => (float)v).ToArray(), output, 1e-5, $"{what}{order}: output");
            Compare.Close(hn.Select(v => (float)v).ToArray(), session.HiddenState, 1e-5, $"{what}{order}: h_n");
            Compare.Close(cn.Select(v => (float)v).ToArray(), session.CellState, 1e-5, $"{what}{order}: c_n");
        }
    }

    [Fact]
    public void Step_OnReverseModel_Throws()
    {
        var config = new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 3, HiddenSize = 4, Reverse = true };
        using var session = RnnModel.FromPyTorch(config, RandomParameters(config, new Random(1))).CreateSession();
        var e = Assert.Throws<InvalidOperationException>(() => session.Step(new float[3], new float[4]));
        Assert.Contains("reverse", e.Message);
    }

    [Theory]
    [InlineData(new[] { 5, 2 }, "(B)")]
    [InlineData(new[] { 5, 2, 31 }, "sequenceLengths[2] = 31")]
    [InlineData(new[] { -1, 2, 3 }, "sequenceLengths[0] = -1")]
    public void Run_WithBadSequenceLengths_NamesTheProblem(int[] lengths, string expected)
    {
        var config = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 3, HiddenSize = 4 };
        using var session = RnnModel.FromPyTorch(config, RandomParameters(config, new Random(1))).CreateSession(Batch, Steps);
        var e = Assert.Throws<ArgumentException>(() => session.Run(new float[Steps * Batch * 3], new float[Steps * Batch * 4], lengths));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("Clip", -1f)]
    [InlineData("Clip", float.NaN)]
    public void Validate_RejectsBadClip(string field, float clip)
    {
        var config = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 3, HiddenSize = 4, Clip = clip };
        var e = Assert.Throws<ArgumentException>(config.Validate);
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void Validate_RejectsWrongActivationCountAndMisplacedFeatures()
    {
        var lstm = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 3, HiddenSize = 4, Activations = [RnnActivation.Sigmoid] };
        Assert.Contains("needs 3", Assert.Throws<ArgumentException>(lstm.Validate).Message);
        var gru = new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 3, HiddenSize = 4, Peepholes = true };
        Assert.Contains("Peepholes", Assert.Throws<ArgumentException>(gru.Validate).Message);
        var both = new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 3, HiddenSize = 4, Reverse = true, Bidirectional = true };
        Assert.Contains("Reverse", Assert.Throws<ArgumentException>(both.Validate).Message);
    }

    internal static Dictionary<string, float[]> RandomParameters(RnnConfig config, Random random)
    {
        float scale = 1f / MathF.Sqrt(config.HiddenSize);
        var parameters = new Dictionary<string, float[]>();
        foreach (RecurrentParameter p in new RecurrentParameterSchema(config).Parameters)
            parameters[p.Name] = Uniform(random, checked((int)p.ElementCount), p.Role == RecurrentParameterRole.Peepholes ? 0.5f : scale);
        return parameters;
    }

    internal static float[] Uniform(Random random, int length, float scale)
    {
        var v = new float[length];
        for (int i = 0; i < length; i++)
            v[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        return v;
    }
}
