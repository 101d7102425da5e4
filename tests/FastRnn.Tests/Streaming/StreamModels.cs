using FastRnn.Tests.Layers;

namespace FastRnn.Tests.Streaming;

/// <summary>Seeded models and inputs shared by the stream-pool tests.</summary>
internal static class StreamModels
{
    public static IEnumerable<object[]> Configs() =>
    [
        ["lstm 2 layers", new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 7, HiddenSize = 19, NumLayers = 2 }, false],
        ["lstm proj_size", new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 9, HiddenSize = 24, ProjSize = 11 }, false],
        ["lstm initial state", new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 5, HiddenSize = 13, NumLayers = 2 }, true],
        ["gru 2 layers", new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 6, HiddenSize = 17, NumLayers = 2 }, false],
        ["gru reset before, initial state", new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 4, HiddenSize = 15, GruResetAfter = false }, true],
        ["rnn relu", new RnnConfig { Kind = RecurrentKind.Rnn, InputSize = 8, HiddenSize = 21, Nonlinearity = RnnNonlinearity.Relu }, false],
        ["lstm 64", new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 32, HiddenSize = 64 }, false],
    ];

    /// <summary>PyTorch-initialised parameters, plus a one-stream <c>initial_h</c> / <c>initial_c</c> when asked.</summary>
    public static Dictionary<string, float[]> Parameters(RnnConfig config, bool initialState, int seed)
    {
        var random = new Random(seed);
        var parameters = OnnxFeatureTests.RandomParameters(config, random);
        if (initialState)
        {
            parameters["initial_h"] = Uniform(random, config.NumLayers * config.OutputHiddenSize, 0.8f);
            if (config.Kind == RecurrentKind.Lstm)
                parameters["initial_c"] = Uniform(random, config.NumLayers * config.HiddenSize, 0.8f);
        }
        return parameters;
    }

    public static float[] Uniform(Random random, int length, float scale) => OnnxFeatureTests.Uniform(random, length, scale);

    /// <summary>
    /// Reorders one stream's state, (L, ·) as the pool gives it, into rows of a session's (L, B, ·) state, at stream
    /// <paramref name="b"/> of <paramref name="batch"/>; or back with <paramref name="toSession"/> false.
    /// </summary>
    public static void Place(Span<float> stream, Span<float> session, int layers, int width, int b, int batch, bool toSession)
    {
        for (int layer = 0; layer < layers; layer++)
        {
            Span<float> s = stream.Slice(layer * width, width), t = session.Slice((layer * batch + b) * width, width);
            if (toSession)
                s.CopyTo(t);
            else
                t.CopyTo(s);
        }
    }
}
