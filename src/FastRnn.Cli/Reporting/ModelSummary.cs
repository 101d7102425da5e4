using FastRnn.Attention;
using FastRnn.Decoding;
using FastRnn.Layers;

namespace FastRnn.Cli.Reporting;

/// <summary>
/// One way to describe each model kind the engine loads (a recurrent stack, a seq2seq model, a language model), as a
/// line of text or as JSON fields, for every command.
/// </summary>
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

    /// <summary>"1-layer bidirectional GRU encoder (hidden 8), 1-layer GRU decoder (hidden 11), bahdanau attention, vocabularies 20 / 18".</summary>
    public static string Describe(Seq2SeqConfig c)
        => $"{c.EncoderLayers}-layer {(c.EncoderBidirectional ? "bidirectional " : "")}{Kind(c.EncoderKind)} encoder (hidden {c.EncoderHiddenSize}), "
            + $"{c.DecoderLayers}-layer {Kind(c.DecoderKind)} decoder (hidden {c.DecoderHiddenSize}), {AttentionName(c.Attention)} attention"
            + $"{(c.InputFeeding ? " with input feeding" : "")}, vocabularies {c.SourceVocabularySize} / {c.TargetVocabularySize}";

    /// <summary>The seq2seq architecture as snake_case JSON fields, named as in the conversion config (docs/seq2seq.md).</summary>
    public static Dictionary<string, object> ToJson(Seq2SeqConfig c) => new()
    {
        ["encoder_kind"] = c.EncoderKind.ToString().ToLowerInvariant(),
        ["encoder_layers"] = c.EncoderLayers,
        ["encoder_hidden_size"] = c.EncoderHiddenSize,
        ["encoder_bidirectional"] = c.EncoderBidirectional,
        ["decoder_kind"] = c.DecoderKind.ToString().ToLowerInvariant(),
        ["decoder_layers"] = c.DecoderLayers,
        ["decoder_hidden_size"] = c.DecoderHiddenSize,
        ["attention"] = AttentionName(c.Attention),
        ["input_feeding"] = c.InputFeeding,
        ["source_vocab_size"] = c.SourceVocabularySize,
        ["target_vocab_size"] = c.TargetVocabularySize,
        ["bos_id"] = c.BosId,
        ["eos_id"] = c.EosId,
        ["max_source_length"] = c.MaxSourceLength,
    };

    /// <summary>"language model: 2-layer LSTM, input 64, hidden 256, output 256 per step; vocabulary 80, character tokens".</summary>
    public static string Describe(LanguageModel m)
        => $"language model: {Describe(m.Config)}; vocabulary {m.Vocabulary.Count}, {TokenizerName(m.Tokenizer)} tokens";

    /// <summary>The language model as JSON: its recurrent stack's fields, the vocabulary size and the tokenizer.</summary>
    public static Dictionary<string, object> ToJson(LanguageModel m) => new()
    {
        ["rnn"] = ToJson(m.Config),
        ["vocab_size"] = m.Vocabulary.Count,
        ["tokenizer"] = m.Tokenizer == TokenizerKind.Character ? "char" : "whitespace",
    };

    private static string Kind(RnnConfig c) => Kind(c.Kind);

    private static string Kind(RecurrentKind kind) => kind switch
    {
        RecurrentKind.Lstm => "LSTM",
        RecurrentKind.Gru => "GRU",
        _ => "RNN",
    };

    private static string AttentionName(AttentionKind kind) => kind switch
    {
        AttentionKind.Bahdanau => "bahdanau",
        AttentionKind.BahdanauNormalized => "bahdanau_norm",
        AttentionKind.Mlp => "mlp",
        AttentionKind.Dot => "dot",
        _ => "general",
    };

    private static string TokenizerName(TokenizerKind kind) => kind == TokenizerKind.Character ? "character" : "whitespace-separated";
}
