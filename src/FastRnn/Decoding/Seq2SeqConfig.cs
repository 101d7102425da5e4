using FastRnn.Attention;
using FastRnn.Layers;
using FastRnn.Runtime;

namespace FastRnn.Decoding;

/// <summary>How the decoder's initial state is made from the encoder's final state (docs/seq2seq.md).</summary>
public enum BridgeKind
{
    /// <summary>Zero state.</summary>
    Zeros = 1,

    /// <summary>The encoder's final state, forward and backward halves concatenated, layer by layer.</summary>
    Final = 2,

    /// <summary>tanh(W s + b) of the top encoder layer's final backward (or forward) state, for every layer.</summary>
    LinearTanh = 3,
}

/// <summary>What the output layer of a Bahdanau decoder reads.</summary>
public enum OutputInputs
{
    /// <summary>The decoder output o.</summary>
    Hidden = 1,

    /// <summary>[o ; context].</summary>
    HiddenContext = 2,

    /// <summary>[o ; context ; embedding of the previous token].</summary>
    HiddenContextEmbedding = 3,
}

/// <summary>The architecture of an attention encoder–decoder; every field as in docs/seq2seq.md.</summary>
public sealed record Seq2SeqConfig
{
    /// <summary>Encoder cell: LSTM or GRU.</summary>
    public required RecurrentKind EncoderKind { get; init; }
    /// <summary>H_enc, per direction.</summary>
    public required int EncoderHiddenSize { get; init; }
    /// <summary>L_enc.</summary>
    public int EncoderLayers { get; init; } = 1;
    /// <summary>Whether the encoder reads both ways (D_enc = 2).</summary>
    public bool EncoderBidirectional { get; init; }
    /// <summary>Decoder cell: LSTM or GRU.</summary>
    public required RecurrentKind DecoderKind { get; init; }
    /// <summary>H, the decoder state size (the attention query).</summary>
    public required int DecoderHiddenSize { get; init; }
    /// <summary>L_dec.</summary>
    public int DecoderLayers { get; init; } = 1;
    /// <summary>E_src.</summary>
    public required int SourceEmbeddingSize { get; init; }
    /// <summary>E_tgt.</summary>
    public required int TargetEmbeddingSize { get; init; }
    /// <summary>How the decoder starts from the encoder.</summary>
    public BridgeKind Bridge { get; init; } = BridgeKind.Zeros;
    /// <summary>How the query is scored against the encoder outputs.</summary>
    public AttentionKind Attention { get; init; } = AttentionKind.Bahdanau;
    /// <summary>A, the hidden size of additive attention.</summary>
    public int AttentionSize { get; init; }
    /// <summary>false: Bahdanau decoder (input [embedding ; context]); true: Luong decoder with input feeding.</summary>
    public bool InputFeeding { get; init; }
    /// <summary>What the output layer of a Bahdanau decoder reads.</summary>
    public OutputInputs OutputInputs { get; init; } = OutputInputs.Hidden;
    /// <summary>V_src.</summary>
    public required int SourceVocabularySize { get; init; }
    /// <summary>V_tgt.</summary>
    public required int TargetVocabularySize { get; init; }
    /// <summary>Target begin-of-sequence id, fed at the first step.</summary>
    public int BosId { get; init; }
    /// <summary>Target end-of-sequence id.</summary>
    public int EosId { get; init; }
    /// <summary>Padding id, if the model has one; skipped when target ids are turned into text.</summary>
    public int? PadId { get; init; }
    /// <summary>Source id of tokens the source vocabulary lacks; without one, such tokens are left out of a source.</summary>
    public int? UnkId { get; init; }
    /// <summary>Source id put before every source by <see cref="Seq2SeqModel.EncodeText(string)"/>, if the model was trained so.</summary>
    public int? SourceBosId { get; init; }
    /// <summary>Source id put after every source by <see cref="Seq2SeqModel.EncodeText(string)"/>, if the model was trained so (the PyTorch tutorial appends EOS).</summary>
    public int? SourceEosId { get; init; }
    /// <summary>Longest source accepted.</summary>
    public int MaxSourceLength { get; init; } = 256;

    /// <summary>K: width of one encoder output.</summary>
    public int MemorySize => (EncoderBidirectional ? 2 : 1) * EncoderHiddenSize;

    /// <summary>Decoder layer-0 input: [embedding ; context] or, with input feeding, [embedding ; h̃].</summary>
    public int DecoderInputSize => TargetEmbeddingSize + (InputFeeding ? DecoderHiddenSize : MemorySize);

    /// <summary>Width of the output layer's input.</summary>
    public int OutputFeatures => InputFeeding ? DecoderHiddenSize : OutputInputs switch
    {
        OutputInputs.Hidden => DecoderHiddenSize,
        OutputInputs.HiddenContext => DecoderHiddenSize + MemorySize,
        _ => DecoderHiddenSize + MemorySize + TargetEmbeddingSize,
    };

    internal RnnConfig EncoderRnn => new()
    {
        Kind = EncoderKind, InputSize = SourceEmbeddingSize, HiddenSize = EncoderHiddenSize,
        NumLayers = EncoderLayers, Bidirectional = EncoderBidirectional,
    };

    internal RnnConfig DecoderRnn => new()
    {
        Kind = DecoderKind, InputSize = DecoderInputSize, HiddenSize = DecoderHiddenSize, NumLayers = DecoderLayers,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent field.</summary>
    public void Validate()
    {
        EncoderRnn.Validate();
        DecoderRnn.Validate();
        if (EncoderKind == RecurrentKind.Rnn || DecoderKind == RecurrentKind.Rnn)
            throw Errors.InvalidConfig("EncoderKind/DecoderKind", "rnn", "seq2seq encoders and decoders are LSTM or GRU");
        foreach (var (field, id) in new[] { (nameof(BosId), BosId), (nameof(EosId), EosId) })
        {
            if ((uint)id >= (uint)TargetVocabularySize)
                throw Errors.InvalidConfig(field, id, $"must be a target token id in 0..{TargetVocabularySize - 1}");
        }
        foreach (var (field, id) in new[] { (nameof(PadId), PadId), (nameof(UnkId), UnkId), (nameof(SourceBosId), SourceBosId), (nameof(SourceEosId), SourceEosId) })
        {
            if (id is int value && (uint)value >= (uint)SourceVocabularySize)
                throw Errors.InvalidConfig(field, value, $"must be a source token id in 0..{SourceVocabularySize - 1}");
        }
        if (SourceEmbeddingSize < 1 || TargetEmbeddingSize < 1 || SourceVocabularySize < 1 || TargetVocabularySize < 2)
            throw Errors.InvalidConfig("embedding/vocabulary sizes", $"{SourceEmbeddingSize}/{TargetEmbeddingSize}/{SourceVocabularySize}/{TargetVocabularySize}", "must be positive (target vocabulary at least 2)");
        if (MaxSourceLength < 1 || MaxSourceLength > 1 << 16)
            throw Errors.InvalidConfig(nameof(MaxSourceLength), MaxSourceLength, "must be in 1..65536");
        if (Attention is AttentionKind.Bahdanau or AttentionKind.BahdanauNormalized or AttentionKind.Mlp && (AttentionSize < 1 || AttentionSize > RnnConfig.MaxDimension))
            throw Errors.InvalidConfig(nameof(AttentionSize), AttentionSize, "additive attention needs a positive size");
        if (Attention == AttentionKind.Dot && DecoderHiddenSize != MemorySize)
            throw Errors.InvalidConfig(nameof(Attention), "dot", $"needs DecoderHiddenSize ({DecoderHiddenSize}) = encoder output width ({MemorySize})");
        if (Bridge == BridgeKind.Final && (DecoderLayers != EncoderLayers || DecoderKind != EncoderKind || DecoderHiddenSize != MemorySize))
            throw Errors.InvalidConfig(nameof(Bridge), "final", $"needs the same cell kind and layer count and DecoderHiddenSize = {MemorySize}");
        CheckSizeProducts();
    }

    // Every size product a model or a decoder of beam 1 allocates, in 64-bit arithmetic: sizes that pass one by one can
    // still multiply past what one array holds (65,536 × 65,536 wraps to 0 in 32 bits).
    private void CheckSizeProducts()
    {
        long s = MaxSourceLength, k = MemorySize, h = DecoderHiddenSize, gates = EncoderKind == RecurrentKind.Lstm ? 4 : 3;
        long keyWidth = Attention switch { AttentionKind.General => h, AttentionKind.Dot => k, _ => AttentionSize };
        (string Names, long A, long B)[] products =
        [
            ("SourceVocabularySize × SourceEmbeddingSize (source embedding)", SourceVocabularySize, SourceEmbeddingSize),
            ("TargetVocabularySize × TargetEmbeddingSize (target embedding)", TargetVocabularySize, TargetEmbeddingSize),
            ("TargetVocabularySize × output features (output layer)", TargetVocabularySize, OutputFeatures),
            ("MaxSourceLength × SourceEmbeddingSize (embedded source)", s, SourceEmbeddingSize),
            ("MaxSourceLength × encoder output width (encoder outputs)", s, k),
            ("MaxSourceLength × gates × EncoderHiddenSize (encoder gates)", s, gates * EncoderHiddenSize),
            ("(MaxSourceLength + 1) × key width (attention keys and scratch)", s + 1, keyWidth),
            ("DecoderHiddenSize × (encoder output width + DecoderHiddenSize) (combine layer)", h, k + h),
        ];
        foreach (var (names, a, b) in products)
        {
            long product = checked(a * b);
            if (product > Array.MaxLength)
                throw Errors.InvalidConfig(names, $"{a} × {b} = {product} floats", $"one buffer holds at most {Array.MaxLength} floats");
        }
    }
}
