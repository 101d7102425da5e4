using FastRnn.Format;
using FastRnn.Layers;

namespace FastRnn.Decoding;

/// <summary>
/// A token-level language model: embedding, a recurrent stack, and an output layer giving log p(next token)
/// (<c>fastrnn.architecture = "lm"</c>). Immutable and thread-safe; sessions hold the state.
/// </summary>
/// <remarks>
/// File schema: the <c>rnn.*</c> keys of docs/format.md for the stack (input size = embedding size), plus
/// <c>lm.vocab</c> (string array), <c>lm.unk_id</c> (int64) and <c>lm.tokenizer</c> (<c>char</c> or <c>whitespace</c>);
/// tensors <c>embedding.weight</c> (V, E), <c>rnn.weight_ih_l0</c> … (PyTorch names under <c>rnn.</c>),
/// <c>output.weight</c> (V, H_out) and <c>output.bias</c> (V).
/// </remarks>
public sealed class LanguageModel
{
    internal const string ArchitectureValue = "lm";

    private LanguageModel(RnnConfig config, Vocabulary vocabulary, int unknownId, TokenizerKind tokenizer, ITensorSource tensors)
    {
        if (config.Bidirectional || config.Reverse)
            throw new ArgumentException("a language model reads left to right: its stack must be forward and unidirectional");
        if ((uint)unknownId >= (uint)vocabulary.Count)
            throw new ArgumentException($"lm.unk_id = {unknownId} is outside the vocabulary 0..{vocabulary.Count - 1}");
        Config = config;
        Vocabulary = vocabulary;
        UnknownId = unknownId;
        Tokenizer = tokenizer;
        var recorder = new RecordingTensorSource(tensors);
        Embedding = new Embedding(recorder, "embedding", vocabulary.Count, config.InputSize);
        Rnn = RnnModel.Build(config, new PrefixedTensorSource(recorder, "rnn."));
        Output = new Linear(recorder, "output", vocabulary.Count, config.OutputHiddenSize, bias: true);
        recorder.ThrowIfAnyUnused("language model");
        Projection = EmbeddingProjection.TryCreate(Embedding, Rnn);
    }

    /// <summary>The recurrent stack (its input size is the embedding size).</summary>
    public RnnConfig Config { get; }

    /// <summary>Tokens by id.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>Id given to text the vocabulary lacks.</summary>
    public int UnknownId { get; }

    /// <summary>How text is split into tokens.</summary>
    public TokenizerKind Tokenizer { get; }

    internal Embedding Embedding { get; }

    internal RnnModel Rnn { get; }

    /// <summary>The first layer's input projection folded into the embedding, or null when its tables would be too large.</summary>
    internal EmbeddingProjection? Projection { get; }

    internal Linear Output { get; }

    /// <summary>Loads and validates a language-model .frnn file.</summary>
    /// <exception cref="FrnnFormatException">The file is malformed or inconsistent; the message names the key or tensor.</exception>
    public static LanguageModel Load(string path) => FrnnFile.Load(path, Load);

    /// <summary>Loads a language-model .frnn file with <paramref name="options"/> (see <see cref="ModelLoadOptions"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="FrnnFormatException">The file is malformed or inconsistent; the message names the field or tensor.</exception>
    public static LanguageModel Load(string path, ModelLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return FrnnFile.Load(path, Load, options);
    }

    private static LanguageModel Load(FrnnFile file)
    {
        RnnConfig config = RnnMetadata.Read(file, ArchitectureValue);
        var vocabulary = new Vocabulary(file.GetStringArray("lm.vocab"));
        long unknown = file.GetInt64("lm.unk_id");
        string tokenizer = file.GetString("lm.tokenizer");
        TokenizerKind kind = tokenizer switch
        {
            "char" => TokenizerKind.Character,
            "whitespace" => TokenizerKind.Whitespace,
            _ => throw new FrnnFormatException($"metadata 'lm.tokenizer': expected one of char, whitespace, actual \"{tokenizer}\""),
        };
        try
        {
            return new LanguageModel(config, vocabulary, (int)Math.Clamp(unknown, -1, int.MaxValue), kind, new FrnnTensorSource(file));
        }
        catch (ArgumentException e)
        {
            throw new FrnnFormatException(e.Message, e);
        }
    }

    /// <summary>Token ids of <paramref name="text"/>; unknown tokens become <see cref="UnknownId"/>.</summary>
    public int[] EncodeText(string text) => Decoding.Tokenizer.Encode(Tokenizer, text, Vocabulary, UnknownId);

    /// <summary>Text of token ids.</summary>
    public string DecodeText(ReadOnlySpan<int> ids) => Decoding.Tokenizer.Decode(Tokenizer, ids, Vocabulary, []);

    /// <summary>A session: the state of one stream and every buffer, allocated now.</summary>
    public LanguageModelSession CreateSession() => new(this, threads: 1);

    /// <summary>
    /// A session whose steps split their products across <paramref name="threads"/> intra-op threads, counting the
    /// caller (<see cref="RnnModel.CreateSession(int, int, int)"/>): the latency of one token on several cores, with
    /// the same numbers as one thread to the bit.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is outside 1..<see cref="RnnSession.MaxThreads"/>.</exception>
    public LanguageModelSession CreateSession(int threads) => new(this, threads);
}
