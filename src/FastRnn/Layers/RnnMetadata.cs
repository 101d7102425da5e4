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
    }

    public static RnnConfig Read(FrnnFile file)
    {
        string architecture = file.GetString(Architecture);
        if (architecture != ArchitectureValue)
            throw new FrnnFormatException($"metadata '{Architecture}': expected \"{ArchitectureValue}\", actual \"{architecture}\"");
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
        };
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
