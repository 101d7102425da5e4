using FastRnn.Format;

namespace FastRnn.Layers;

/// <summary>
/// The metadata keys that describe a recurrent stack in an .frnn file, and their conversion to and from
/// <see cref="RnnConfig"/>. Tensors are stored under PyTorch's state-dict names and shapes.
/// </summary>
internal static class RnnMetadata
{
    public const string Architecture = "fastrnn.architecture";
    public const string ArchitectureValue = "rnn";
    public const string Kind = "rnn.kind";
    public const string InputSize = "rnn.input_size";
    public const string HiddenSize = "rnn.hidden_size";
    public const string NumLayers = "rnn.num_layers";
    public const string ProjSize = "rnn.proj_size";
    public const string Bidirectional = "rnn.bidirectional";
    public const string Bias = "rnn.bias";
    public const string GruResetAfter = "rnn.gru_reset_after";
    public const string Nonlinearity = "rnn.nonlinearity";

    // ONNX-only features: written only when used, and optional on read, so files without them stay as they were.
    public const string Clip = "rnn.clip";
    public const string Activations = "rnn.activations";
    public const string Peepholes = "rnn.peepholes";
    public const string InputForget = "rnn.input_forget";
    public const string Reverse = "rnn.reverse";
    public const string SequenceLengths = "rnn.sequence_lengths";

    public static void Write(RnnConfig c, FrnnWriter writer)
    {
        writer.AddMetadata(Architecture, ArchitectureValue);
        writer.AddMetadata(Kind, c.Kind.ToString().ToLowerInvariant());
        writer.AddMetadata(InputSize, (long)c.InputSize);
        writer.AddMetadata(HiddenSize, (long)c.HiddenSize);
        writer.AddMetadata(NumLayers, (long)c.NumLayers);
        writer.AddMetadata(ProjSize, (long)c.ProjSize);
        writer.AddMetadata(Bidirectional, c.Bidirectional);
        writer.AddMetadata(Bias, c.HasBias);
        writer.AddMetadata(GruResetAfter, c.GruResetAfter);
        writer.AddMetadata(Nonlinearity, c.Nonlinearity.ToString().ToLowerInvariant());
        if (c.Clip != 0f)
            writer.AddMetadata(Clip, (double)c.Clip);
        if (c.Activations is { } activations)
            writer.AddMetadata(Activations, activations.Select(a => a.ToString()).ToArray());
        if (c.Peepholes)
            writer.AddMetadata(Peepholes, true);
        if (c.InputForget)
            writer.AddMetadata(InputForget, true);
        if (c.Reverse)
            writer.AddMetadata(Reverse, true);
        if (c.SequenceLengths is { } lengths)
            writer.AddMetadata(SequenceLengths, lengths.Select(n => (long)n).ToArray());
    }

    /// <summary>The recurrent configuration; <paramref name="architecture"/> is what <c>fastrnn.architecture</c> must say
    /// (<c>rnn</c> for a bare stack, <c>lm</c> for a language model whose stack uses the same keys).</summary>
    public static RnnConfig Read(FrnnFile file, string architecture = ArchitectureValue)
    {
        string actual = file.GetString(Architecture);
        if (actual != architecture)
            throw new FrnnFormatException($"metadata '{Architecture}': expected \"{architecture}\", actual \"{actual}\"");
        return new RnnConfig
        {
            Kind = ParseEnum<RecurrentKind>(file, Kind),
            InputSize = Dimension(file, InputSize),
            HiddenSize = Dimension(file, HiddenSize),
            NumLayers = Dimension(file, NumLayers),
            ProjSize = Dimension(file, ProjSize),
            Bidirectional = file.GetBool(Bidirectional),
            HasBias = file.GetBool(Bias),
            GruResetAfter = file.GetBool(GruResetAfter),
            Nonlinearity = ParseEnum<RnnNonlinearity>(file, Nonlinearity),
            Clip = file.TryGetDouble(Clip, out double clip) ? CheckedClip(clip) : 0f,
            Activations = file.TryGetStringArray(Activations, out string[]? names) ? names.Select(ParseActivation).ToArray() : null,
            Peepholes = file.TryGetBool(Peepholes, out bool peepholes) && peepholes,
            InputForget = file.TryGetBool(InputForget, out bool inputForget) && inputForget,
            Reverse = file.TryGetBool(Reverse, out bool reverse) && reverse,
            SequenceLengths = file.TryGetInt64Array(SequenceLengths, out long[]? lengths) ? CheckedLengths(lengths) : null,
        };
    }

    private static int[] CheckedLengths(long[] lengths)
    {
        if (lengths.Length is < 1 or > RnnConfig.MaxBatchSize || Array.Exists(lengths, n => n is < 0 or > int.MaxValue))
            throw new FrnnFormatException($"metadata '{SequenceLengths}': expected 1..{RnnConfig.MaxBatchSize} lengths in 0..{int.MaxValue}, actual {lengths.Length} values [{string.Join(", ", lengths.Take(8))}{(lengths.Length > 8 ? ", …" : "")}]");
        return Array.ConvertAll(lengths, n => (int)n);
    }

    private static float CheckedClip(double clip)
    {
        if (!(clip >= 0) || clip > float.MaxValue)
            throw new FrnnFormatException($"metadata '{Clip}': expected a finite threshold >= 0, actual {clip}");
        return (float)clip;
    }

    private static RnnActivation ParseActivation(string text)
    {
        if (!RnnActivation.TryParse(text, out RnnActivation activation))
        {
            throw new FrnnFormatException(
                $"metadata '{Activations}': \"{text}\" is not an activation; expected one of {string.Join(", ", Enum.GetNames<RnnActivationKind>()).ToLowerInvariant()}, optionally as name:alpha:beta");
        }
        return activation;
    }

    private static int Dimension(FrnnFile file, string key)
    {
        long value = file.GetInt64(key);
        if (value < 0 || value > RnnConfig.MaxDimension)
            throw new FrnnFormatException($"metadata '{key}': expected 0..{RnnConfig.MaxDimension}, actual {value}");
        return (int)value;
    }

    private static T ParseEnum<T>(FrnnFile file, string key)
        where T : struct, Enum
    {
        string text = file.GetString(key);
        if (!Enum.TryParse(text, ignoreCase: true, out T value) || !Enum.IsDefined(value) || int.TryParse(text, out _))
        {
            throw new FrnnFormatException(
                $"metadata '{key}': expected one of {string.Join(", ", Enum.GetNames<T>()).ToLowerInvariant()}, actual \"{text}\"");
        }
        return value;
    }
}
