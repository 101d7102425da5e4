using FastRnn.Attention;
using FastRnn.Decoding;
using FastRnn.Format;

namespace FastRnn.Cli.Rendering;

/// <summary>How <c>inspect</c> describes a seq2seq model: one line of text, or JSON fields; the source framing included.</summary>
internal static class Seq2SeqSummary
{
    /// <summary>Whether the open file is a seq2seq model (<c>fastrnn.architecture = "seq2seq"</c>).</summary>
    public static bool Is(FrnnFile file) => file.TryGetString("fastrnn.architecture", out string? a) && a == "seq2seq";

    /// <summary>
    /// E.g. "seq2seq: 1-layer GRU encoder (hidden 32), 1-layer GRU decoder (hidden 32), bahdanau attention,
    /// vocabularies 30 / 21, whitespace tokens, sources framed: EOS (id 1) appended".
    /// </summary>
    public static string Describe(Seq2SeqModel model)
    {
        Seq2SeqConfig c = model.Config;
        return $"seq2seq: {c.EncoderLayers}-layer {(c.EncoderBidirectional ? "bidirectional " : "")}{Kind(c.EncoderKind)} encoder (hidden {c.EncoderHiddenSize}), "
            + $"{c.DecoderLayers}-layer {Kind(c.DecoderKind)} decoder (hidden {c.DecoderHiddenSize}), {Attention(c.Attention)} attention"
            + $"{(c.InputFeeding ? " with input feeding" : "")}, vocabularies {c.SourceVocabularySize} / {c.TargetVocabularySize}, "
            + $"{(model.Tokenizer == TokenizerKind.Character ? "character" : "whitespace")} tokens, sources framed: {Framing(model)}";
    }

    /// <summary>"EOS (id 1) appended", "BOS (id 2) prepended, EOS (id 3) appended", or "as given" (no framing).</summary>
    public static string Framing(Seq2SeqModel model)
    {
        Seq2SeqConfig c = model.Config;
        var parts = new List<string>();
        if (c.SourceBosId is int bos)
            parts.Add($"{Token(model, bos)} (id {bos}) prepended");
        if (c.SourceEosId is int eos)
            parts.Add($"{Token(model, eos)} (id {eos}) appended");
        return parts.Count == 0 ? "as given" : string.Join(", ", parts);
    }

    /// <summary>The architecture as snake_case JSON fields, named as the seq2seq metadata keys are.</summary>
    public static Dictionary<string, object> ToJson(Seq2SeqModel model)
    {
        Seq2SeqConfig c = model.Config;
        var fields = new Dictionary<string, object>
        {
            ["kind"] = "seq2seq",
            ["encoder"] = new Dictionary<string, object>
            {
                ["kind"] = Kind(c.EncoderKind).ToLowerInvariant(), ["hidden_size"] = c.EncoderHiddenSize,
                ["num_layers"] = c.EncoderLayers, ["bidirectional"] = c.EncoderBidirectional,
            },
            ["decoder"] = new Dictionary<string, object>
            {
                ["kind"] = Kind(c.DecoderKind).ToLowerInvariant(), ["hidden_size"] = c.DecoderHiddenSize, ["num_layers"] = c.DecoderLayers,
            },
            ["attention"] = Attention(c.Attention),
            ["input_feeding"] = c.InputFeeding,
            ["src_vocab_size"] = c.SourceVocabularySize,
            ["tgt_vocab_size"] = c.TargetVocabularySize,
            ["max_source_length"] = c.MaxSourceLength,
            ["source_framing"] = Framing(model),
        };
        if (c.SourceBosId is int bos)
            fields["src_bos_id"] = bos;
        if (c.SourceEosId is int eos)
            fields["src_eos_id"] = eos;
        return fields;
    }

    private static string Token(Seq2SeqModel model, int id) => model.SourceVocabulary[id];

    private static string Kind(RecurrentKind kind) => kind == RecurrentKind.Lstm ? "LSTM" : "GRU";

    private static string Attention(AttentionKind kind) => kind switch
    {
        AttentionKind.Bahdanau => "bahdanau",
        AttentionKind.BahdanauNormalized => "bahdanau_norm",
        AttentionKind.Mlp => "mlp",
        AttentionKind.Dot => "dot",
        _ => "general",
    };
}
