using FastRnn.Attention;
using FastRnn.Format;
using FastRnn.Layers;

namespace FastRnn.Decoding;

/// <summary>Reads the <c>seq2seq.*</c> metadata of an .frnn file (docs/seq2seq.md).</summary>
internal static class Seq2SeqMetadata
{
    public const string ArchitectureValue = "seq2seq";

    public static (Seq2SeqConfig Config, Vocabulary Source, Vocabulary Target, TokenizerKind Tokenizer) Read(FrnnFile f)
    {
        string architecture = f.GetString("fastrnn.architecture");
        if (architecture != ArchitectureValue)
            throw new FrnnFormatException($"metadata 'fastrnn.architecture': expected \"{ArchitectureValue}\", actual \"{architecture}\"");
        string[] source = f.GetStringArray("seq2seq.src_vocab"), target = f.GetStringArray("seq2seq.tgt_vocab");
        var config = new Seq2SeqConfig
        {
            EncoderKind = Kind(f, "seq2seq.encoder.kind"),
            EncoderHiddenSize = Int(f, "seq2seq.encoder.hidden_size"),
            EncoderLayers = Int(f, "seq2seq.encoder.num_layers"),
            EncoderBidirectional = f.GetBool("seq2seq.encoder.bidirectional"),
            DecoderKind = Kind(f, "seq2seq.decoder.kind"),
            DecoderHiddenSize = Int(f, "seq2seq.decoder.hidden_size"),
            DecoderLayers = Int(f, "seq2seq.decoder.num_layers"),
            SourceEmbeddingSize = Int(f, "seq2seq.src_embedding_size"),
            TargetEmbeddingSize = Int(f, "seq2seq.tgt_embedding_size"),
            Bridge = Choice(f, "seq2seq.bridge", ("zeros", BridgeKind.Zeros), ("final", BridgeKind.Final), ("linear_tanh", BridgeKind.LinearTanh)),
            Attention = Choice(f, "seq2seq.attention", ("bahdanau", AttentionKind.Bahdanau), ("bahdanau_norm", AttentionKind.BahdanauNormalized),
                ("mlp", AttentionKind.Mlp), ("dot", AttentionKind.Dot), ("general", AttentionKind.General)),
            AttentionSize = OptionalInt(f, "seq2seq.attention_size") ?? 0,
            InputFeeding = f.GetBool("seq2seq.input_feeding"),
            OutputInputs = f.TryGetString("seq2seq.output_inputs", out string? o)
                ? Choice(f, "seq2seq.output_inputs", ("h", OutputInputs.Hidden), ("h_ctx", OutputInputs.HiddenContext), ("h_ctx_emb", OutputInputs.HiddenContextEmbedding))
                : OutputInputs.Hidden,
            SourceVocabularySize = source.Length,
            TargetVocabularySize = target.Length,
            BosId = Int(f, "seq2seq.bos_id"),
            EosId = Int(f, "seq2seq.eos_id"),
            PadId = OptionalInt(f, "seq2seq.pad_id"),
            UnkId = OptionalInt(f, "seq2seq.unk_id"),
            SourceBosId = OptionalInt(f, "seq2seq.src_bos_id"),
            SourceEosId = OptionalInt(f, "seq2seq.src_eos_id"),
            MaxSourceLength = Int(f, "seq2seq.max_source_length"),
        };
        TokenizerKind tokenizer = Choice(f, "seq2seq.tokenizer", ("char", TokenizerKind.Character), ("whitespace", TokenizerKind.Whitespace));
        return (config, new Vocabulary(source), new Vocabulary(target), tokenizer);
    }

    private static int Int(FrnnFile f, string key) => Checked(key, f.GetInt64(key));

    private static int? OptionalInt(FrnnFile f, string key) => f.TryGetInt64(key, out long value) ? Checked(key, value) : null;

    private static int Checked(string key, long value)
    {
        if (value < 0 || value > int.MaxValue / 4)
            throw new FrnnFormatException($"metadata '{key}': expected 0..{int.MaxValue / 4}, actual {value}");
        return (int)value;
    }

    private static RecurrentKind Kind(FrnnFile f, string key)
        => Choice(f, key, ("lstm", RecurrentKind.Lstm), ("gru", RecurrentKind.Gru));

    private static T Choice<T>(FrnnFile f, string key, params (string Name, T Value)[] choices)
    {
        string text = f.GetString(key);
        foreach (var (name, value) in choices)
        {
            if (name == text)
                return value;
        }
        throw new FrnnFormatException($"metadata '{key}': expected one of {string.Join(", ", choices.Select(c => c.Name))}, actual \"{text}\"");
    }
}
