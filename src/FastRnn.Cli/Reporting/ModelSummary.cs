using FastRnn.Layers;

namespace FastRnn.Cli.Reporting;

/// <summary>One way to describe an <see cref="RnnConfig"/>, as a line of text or as JSON fields, for every command.</summary>
internal static class ModelSummary
{
    /// <summary>E.g. "2-layer bidirectional LSTM, input 5, hidden 12, proj 4, output 8 per step".</summary>
    public static string Describe(RnnConfig c)
    {
        var parts = new List<string>
        {
            $"{c.NumLayers}-layer {(c.Bidirectional ? "bidirectional " : "")}{Kind(c)}",
            $"input {c.InputSize}",
            $"hidden {c.HiddenSize}",
        };
        if (c.ProjSize > 0)
            parts.Add($"proj {c.ProjSize}");
        if (c.Kind == RecurrentKind.Gru)
            parts.Add(c.GruResetAfter ? "reset after" : "reset before");
        if (c.Kind == RecurrentKind.Rnn)
            parts.Add(c.Nonlinearity.ToString().ToLowerInvariant());
        if (!c.HasBias)
            parts.Add("no bias");
        parts.Add($"output {c.OutputSize} per step");
        return string.Join(", ", parts);
    }

    /// <summary>The configuration as snake_case JSON fields, in PyTorch's vocabulary; form fields only where they apply.</summary>
    public static Dictionary<string, object> ToJson(RnnConfig c)
    {
        var fields = new Dictionary<string, object>
        {
            ["kind"] = c.Kind.ToString().ToLowerInvariant(),
            ["input_size"] = c.InputSize,
            ["hidden_size"] = c.HiddenSize,
            ["num_layers"] = c.NumLayers,
            ["bidirectional"] = c.Bidirectional,
            ["proj_size"] = c.ProjSize,
            ["bias"] = c.HasBias,
        };
        if (c.Kind == RecurrentKind.Gru)
            fields["gru_reset_after"] = c.GruResetAfter;
        if (c.Kind == RecurrentKind.Rnn)
            fields["nonlinearity"] = c.Nonlinearity.ToString().ToLowerInvariant();
        fields["directions"] = c.Directions;
        fields["output_hidden_size"] = c.OutputHiddenSize;
        fields["output_size"] = c.OutputSize;
        return fields;
    }

    private static string Kind(RnnConfig c) => c.Kind switch
    {
        RecurrentKind.Lstm => "LSTM",
        RecurrentKind.Gru => "GRU",
        _ => "RNN",
    };
}
