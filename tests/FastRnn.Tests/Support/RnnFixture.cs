using FastRnn.Layers;

namespace FastRnn.Tests.Support;

/// <summary>One PyTorch golden case from Fixtures/rnn: the module's parameters, an input, initial and final states.</summary>
internal sealed class RnnFixture
{
    private RnnFixture(string name, SafetensorsFile file)
    {
        Name = name;
        File = file;
        var m = file.Metadata;
        string mode = m["mode"];
        Config = new RnnConfig
        {
            Kind = mode switch
            {
                "LSTM" => RecurrentKind.Lstm,
                "GRU" => RecurrentKind.Gru,
                "RNN_TANH" or "RNN_RELU" => RecurrentKind.Rnn,
                _ => throw new InvalidDataException($"{name}: unknown mode {mode}"),
            },
            Nonlinearity = mode == "RNN_RELU" ? RnnNonlinearity.Relu : RnnNonlinearity.Tanh,
            InputSize = int.Parse(m["input_size"]),
            HiddenSize = int.Parse(m["hidden_size"]),
            NumLayers = int.Parse(m["num_layers"]),
            ProjSize = int.Parse(m["proj_size"]),
            Bidirectional = bool.Parse(m["bidirectional"]),
            HasBias = bool.Parse(m["bias"]),
            GruResetAfter = bool.Parse(m["gru_reset_after"]),
        };
        Batch = int.Parse(m["batch"]);
        Steps = int.Parse(m["seq_len"]);
        GivenState = m["initial_state"] == "given";
        IsCell = bool.Parse(m["cell"]);
    }

    public string Name { get; }

    public SafetensorsFile File { get; }

    public RnnConfig Config { get; }

    public int Batch { get; }

    public int Steps { get; }

    public bool GivenState { get; }

    public bool IsCell { get; }

    /// <summary>The module's parameters only (the state-dict tensors).</summary>
    public Dictionary<string, float[]> Parameters
        => File.Tensors.Where(t => t.Key.StartsWith("weight_", StringComparison.Ordinal) || t.Key.StartsWith("bias_", StringComparison.Ordinal))
            .ToDictionary(t => t.Key, t => t.Value.Data);

    public float[] Input => File["input"];

    public float[] Output => File["output"];

    public float[] FinalHidden => File["hn"];

    public float[] FinalCell => File.Has("cn") ? File["cn"] : [];

    public float[] InitialHidden => File["h0"];

    public float[] InitialCell => File.Has("c0") ? File["c0"] : [];

    public void ApplyInitialState(RnnSession session)
    {
        if (GivenState)
            session.SetState(InitialHidden, InitialCell);
    }

    public static RnnFixture Load(string name) => new(name, SafetensorsFile.Read(Path.Combine(Fixtures.Directory("rnn"), name + ".safetensors")));

    public static IEnumerable<object[]> All()
        => Fixtures.Files("rnn", "*.safetensors").Select(f => new object[] { Path.GetFileNameWithoutExtension(f) });
}
