using FastRnn.Attention;
using FastRnn.Format;
using FastRnn.Layers;

namespace FastRnn.Decoding;

/// <summary>
/// An immutable, thread-safe attention encoder–decoder (docs/seq2seq.md) with its vocabularies; decoders created
/// from it hold all mutable state.
/// </summary>
/// <example>
/// <code>
/// var model = Seq2SeqModel.Load("model.frnn");
/// using var decoder = model.CreateDecoder(beamSize: 5);
/// decoder.Encode(model.EncodeText("30 Nov 2026"));
/// decoder.Begin(DecodingOptions.Greedy(maxLength: 20));
/// while (decoder.TryNext(out DecodedToken token)) Console.Write(model.TargetVocabulary[token.Id]);
/// </code>
/// </example>
public sealed class Seq2SeqModel
{
    private Seq2SeqModel(Seq2SeqConfig config, Vocabulary source, Vocabulary target, TokenizerKind tokenizer, ITensorSource tensors)
    {
        config.Validate();
        Config = config;
        SourceVocabulary = source;
        TargetVocabulary = target;
        Tokenizer = tokenizer;

        var recorder = new RecordingTensorSource(tensors);
        SourceEmbedding = new Embedding(recorder, "src_embedding", config.SourceVocabularySize, config.SourceEmbeddingSize);
        TargetEmbedding = new Embedding(recorder, "tgt_embedding", config.TargetVocabularySize, config.TargetEmbeddingSize);
        Encoder = RnnModel.Build(config.EncoderRnn, new PrefixedTensorSource(recorder, "encoder."));
        EncoderProjection = EmbeddingProjection.TryCreate(SourceEmbedding, Encoder);
        Decoder = RnnModel.Build(config.DecoderRnn, new PrefixedTensorSource(recorder, "decoder."));
        if (config.Bridge == BridgeKind.LinearTanh)
            Bridge = new Linear(recorder, "bridge", config.DecoderHiddenSize, config.EncoderHiddenSize, bias: true);
        Attention = new AttentionLayer(config.Attention, recorder, config.DecoderHiddenSize, config.MemorySize, config.AttentionSize);
        if (config.InputFeeding)
            Combine = new Linear(recorder, "combine", config.DecoderHiddenSize, config.MemorySize + config.DecoderHiddenSize, bias: true);
        Output = new Linear(recorder, "output", config.TargetVocabularySize, config.OutputFeatures, bias: true);
        recorder.ThrowIfAnyUnused("seq2seq");
    }

    /// <summary>The architecture.</summary>
    public Seq2SeqConfig Config { get; }

    /// <summary>Source tokens by id.</summary>
    public Vocabulary SourceVocabulary { get; }

    /// <summary>Target tokens by id.</summary>
    public Vocabulary TargetVocabulary { get; }

    /// <summary>The tokenizer the model was trained with.</summary>
    public TokenizerKind Tokenizer { get; }

    internal Embedding SourceEmbedding { get; }

    internal Embedding TargetEmbedding { get; }

    internal RnnModel Encoder { get; }

    /// <summary>The encoder's first-layer input projection folded into the source embedding, or null when its tables would be too large.</summary>
    internal EmbeddingProjection? EncoderProjection { get; }

    internal RnnModel Decoder { get; }

    internal Linear? Bridge { get; }

    internal AttentionLayer Attention { get; }

    internal Linear? Combine { get; }

    internal Linear Output { get; }

    /// <summary>Loads and validates a seq2seq .frnn file (memory-mapped while loading).</summary>
    /// <exception cref="FrnnFormatException">The file is malformed or inconsistent; the message names the key or tensor.</exception>
    public static Seq2SeqModel Load(string path) => FrnnFile.Load(path, Load);

    /// <summary>Loads a seq2seq .frnn file with <paramref name="options"/> (see <see cref="ModelLoadOptions"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="FrnnFormatException">The file is malformed or inconsistent; the message names the field or tensor.</exception>
    public static Seq2SeqModel Load(string path, ModelLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return FrnnFile.Load(path, Load, options);
    }

    /// <summary>Loads a seq2seq model from an open .frnn file.</summary>
    public static Seq2SeqModel Load(FrnnFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var (config, source, target, tokenizer) = Seq2SeqMetadata.Read(file);
        try
        {
            return new Seq2SeqModel(config, source, target, tokenizer, new FrnnTensorSource(file));
        }
        catch (ArgumentException e)
        {
            throw new FrnnFormatException(e.Message, e);
        }
    }

    /// <summary>
    /// The source ids of <paramref name="text"/> as the model reads a source: its tokenizer's tokens (a token the source
    /// vocabulary lacks becomes <see cref="Seq2SeqConfig.UnkId"/>, or is left out if the model has none), framed with
    /// <see cref="Seq2SeqConfig.SourceBosId"/> before and <see cref="Seq2SeqConfig.SourceEosId"/> after when the model
    /// sets them. Text with no tokens — empty, only white space, or (without UNK) only unknown tokens — gives no ids
    /// and no framing: there is nothing to translate.
    /// </summary>
    public int[] EncodeText(string text) => EncodeText(text, out _);

    /// <summary>
    /// <see cref="EncodeText(string)"/>, also returning the distinct tokens of <paramref name="text"/> that are not in the
    /// source vocabulary, in the order they first appear, so a caller can warn about them or refuse the text.
    /// </summary>
    public int[] EncodeText(string text, out IReadOnlyList<string> unknownTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        var unknown = new List<string>();
        unknownTokens = unknown;
        if (string.IsNullOrWhiteSpace(text))
            return [];
        var ids = new List<int>(text.Length + 2);
        if (Config.SourceBosId is int bos)
            ids.Add(bos);
        int framing = ids.Count;
        Decoding.Tokenizer.Encode(Tokenizer, text, SourceVocabulary, Config.UnkId, ids, unknown);
        if (ids.Count == framing)
            return []; // every token was unknown and left out: a frame around nothing is not a source
        if (Config.SourceEosId is int eos)
            ids.Add(eos);
        return [.. ids];
    }

    /// <summary>The text of target ids, without BOS, EOS and PAD.</summary>
    public string DecodeText(ReadOnlySpan<int> ids)
        => Decoding.Tokenizer.Decode(Tokenizer, ids, TargetVocabulary, Config.PadId is int pad ? [Config.BosId, Config.EosId, pad] : [Config.BosId, Config.EosId]);

    /// <summary>
    /// A decoder for one source at a time, with every buffer for sources up to <see cref="Seq2SeqConfig.MaxSourceLength"/>,
    /// <paramref name="beamSize"/> hypotheses and outputs of up to <paramref name="maxOutputLength"/> tokens allocated now.
    /// </summary>
    public Seq2SeqDecoder CreateDecoder(int beamSize = 1, int maxOutputLength = 256) => new(this, beamSize, maxOutputLength);
}
