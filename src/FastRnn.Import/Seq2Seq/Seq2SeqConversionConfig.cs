using System.Text;
using System.Text.Json;
using FastRnn.Attention;
using FastRnn.Decoding;
using FastRnn.Layers;

namespace FastRnn.Import;

/// <summary>
/// The JSON config that turns a PyTorch seq2seq state dict into an .frnn seq2seq model (docs/seq2seq.md,
/// "Converting a PyTorch seq2seq model"): the architecture, the vocabularies and the tensor mapping. Sizes left out
/// are inferred from the tensor shapes by <see cref="Seq2SeqStateDictImporter"/>; sizes given are checked against them.
/// </summary>
internal sealed record Seq2SeqConversionConfig
{
    public const string EncoderHiddenKey = "architecture.encoder.hidden_size";
    public const string EncoderLayersKey = "architecture.encoder.num_layers";
    public const string EncoderBidirectionalKey = "architecture.encoder.bidirectional";
    public const string DecoderHiddenKey = "architecture.decoder.hidden_size";
    public const string DecoderLayersKey = "architecture.decoder.num_layers";
    public const string SourceEmbeddingKey = "architecture.src_embedding_size";
    public const string TargetEmbeddingKey = "architecture.tgt_embedding_size";
    public const string AttentionSizeKey = "architecture.attention_size";

    private static readonly (string, RecurrentKind)[] Kinds = [("lstm", RecurrentKind.Lstm), ("gru", RecurrentKind.Gru)];
    private static readonly (string, BridgeKind)[] Bridges = [("zeros", BridgeKind.Zeros), ("final", BridgeKind.Final), ("linear_tanh", BridgeKind.LinearTanh)];
    private static readonly (string, AttentionKind)[] Attentions =
        [("bahdanau", AttentionKind.Bahdanau), ("bahdanau_norm", AttentionKind.BahdanauNormalized), ("mlp", AttentionKind.Mlp), ("dot", AttentionKind.Dot), ("general", AttentionKind.General)];
    private static readonly (string, OutputInputs)[] Outputs = [("h", OutputInputs.Hidden), ("h_ctx", OutputInputs.HiddenContext), ("h_ctx_emb", OutputInputs.HiddenContextEmbedding)];
    private static readonly (string, TokenizerKind)[] Tokenizers = [("char", TokenizerKind.Character), ("whitespace", TokenizerKind.Whitespace)];

    /// <summary>The config file, for messages.</summary>
    public required string File { get; init; }

    public required RecurrentKind EncoderKind { get; init; }
    public int? EncoderHiddenSize { get; init; }
    public int? EncoderLayers { get; init; }
    public bool? EncoderBidirectional { get; init; }
    public required RecurrentKind DecoderKind { get; init; }
    public int? DecoderHiddenSize { get; init; }
    public int? DecoderLayers { get; init; }
    public int? SourceEmbeddingSize { get; init; }
    public int? TargetEmbeddingSize { get; init; }
    public required BridgeKind Bridge { get; init; }
    public required AttentionKind Attention { get; init; }
    public int? AttentionSize { get; init; }
    public required bool InputFeeding { get; init; }
    public required OutputInputs OutputInputs { get; init; }

    public required string[] SourceVocabulary { get; init; }
    public required string[] TargetVocabulary { get; init; }
    public required int BosId { get; init; }
    public required int EosId { get; init; }
    public int? PadId { get; init; }
    public int? UnkId { get; init; }
    public int? SourceBosId { get; init; }
    public int? SourceEosId { get; init; }
    public required TokenizerKind Tokenizer { get; init; }
    public required int MaxSourceLength { get; init; }

    /// <summary>The tensor mapping: .frnn name or module prefix (no trailing dot; empty for all) → state-dict name or prefix.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Tensors { get; init; }

    /// <summary>State-dict names or module prefixes (no trailing dot) that are not part of the model.</summary>
    public required IReadOnlyList<string> Ignore { get; init; }

    public static bool IsAdditive(AttentionKind kind) => kind is AttentionKind.Bahdanau or AttentionKind.BahdanauNormalized or AttentionKind.Mlp;

    /// <summary>Reads and checks a config file; vocabulary file paths are relative to its folder.</summary>
    /// <exception cref="ImportException">The file is not valid JSON or not a valid config; the message names the key.</exception>
    public static Seq2SeqConversionConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        InputFiles.RequireFile(path);
        byte[] bytes = System.IO.File.ReadAllBytes(path);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw Seq2SeqErrors.Config(path, $"not valid JSON: {e.Message}");
        }
        using (document)
            return Parse(path, document.RootElement);
    }

    private static Seq2SeqConversionConfig Parse(string file, JsonElement rootElement)
    {
        var root = new ConfigObject(file, "", rootElement, "architecture", "vocabulary", "tensors", "ignore");

        var arch = root.Object("architecture", "the model's structure", "encoder", "decoder", "src_embedding_size", "tgt_embedding_size",
            "bridge", "attention", "attention_size", "input_feeding", "output_inputs");
        var encoder = arch.Object("encoder", "kind, and optionally hidden_size, num_layers, bidirectional", "kind", "hidden_size", "num_layers", "bidirectional");
        var decoder = arch.Object("decoder", "kind, and optionally hidden_size, num_layers", "kind", "hidden_size", "num_layers");
        AttentionKind attention = arch.Choice("attention", Attentions);
        bool inputFeeding = arch.Bool("input_feeding", "true for a Luong decoder, false for a Bahdanau decoder");
        int? attentionSize = arch.OptionalInt("attention_size", 0, RnnConfig.MaxDimension);
        if (!IsAdditive(attention) && attentionSize is > 0)
            throw arch.Error($"'{AttentionSizeKey}' is {attentionSize}, but \"{Name(Attentions, attention)}\" attention has no size (only bahdanau, bahdanau_norm and mlp do); leave it out");
        if (IsAdditive(attention) && attentionSize == 0)
            throw arch.Error($"'{AttentionSizeKey}' is 0; \"{Name(Attentions, attention)}\" attention needs a positive size (or leave it out to infer it)");
        OutputInputs outputInputs;
        if (inputFeeding)
        {
            outputInputs = arch.OptionalChoice("output_inputs", Outputs) ?? OutputInputs.Hidden;
            if (outputInputs != OutputInputs.Hidden)
                throw arch.Error($"'architecture.output_inputs' is \"{Name(Outputs, outputInputs)}\", but with input feeding (a Luong decoder) the output layer reads h̃ only; leave it out or use \"h\"");
        }
        else
        {
            outputInputs = arch.Choice("output_inputs", Outputs);
        }

        var vocabulary = root.Object("vocabulary", "the token lists and special ids", "source", "target", "bos_id", "eos_id", "pad_id", "unk_id",
            "src_bos_id", "src_eos_id", "tokenizer", "max_source_length");
        string[] source = Tokens(vocabulary, "source");
        string[] target = Tokens(vocabulary, "target");
        int bos = vocabulary.Int("bos_id", "the target begin-of-sequence id", 0, int.MaxValue);
        int eos = vocabulary.Int("eos_id", "the target end-of-sequence id", 0, int.MaxValue);
        int? pad = vocabulary.OptionalInt("pad_id", 0, int.MaxValue);
        int? unk = vocabulary.OptionalInt("unk_id", 0, int.MaxValue);
        int? sourceBos = vocabulary.OptionalInt("src_bos_id", 0, int.MaxValue);
        int? sourceEos = vocabulary.OptionalInt("src_eos_id", 0, int.MaxValue);
        foreach ((string key, int id) in new[] { ("bos_id", bos), ("eos_id", eos) })
        {
            if (id >= target.Length)
                throw vocabulary.Error($"'vocabulary.{key}' is {id}, but the target vocabulary has {target.Length} tokens (ids 0..{target.Length - 1})");
        }
        foreach ((string key, int? id) in new[] { ("pad_id", pad), ("unk_id", unk), ("src_bos_id", sourceBos), ("src_eos_id", sourceEos) })
        {
            if (id >= source.Length)
                throw vocabulary.Error($"'vocabulary.{key}' is {id}, but the source vocabulary has {source.Length} tokens (ids 0..{source.Length - 1})");
        }

        return new Seq2SeqConversionConfig
        {
            File = file,
            EncoderKind = encoder.Choice("kind", Kinds),
            EncoderHiddenSize = encoder.OptionalInt("hidden_size", 1, RnnConfig.MaxDimension),
            EncoderLayers = encoder.OptionalInt("num_layers", 1, RnnConfig.MaxLayers),
            EncoderBidirectional = encoder.OptionalBool("bidirectional"),
            DecoderKind = decoder.Choice("kind", Kinds),
            DecoderHiddenSize = decoder.OptionalInt("hidden_size", 1, RnnConfig.MaxDimension),
            DecoderLayers = decoder.OptionalInt("num_layers", 1, RnnConfig.MaxLayers),
            SourceEmbeddingSize = arch.OptionalInt("src_embedding_size", 1, RnnConfig.MaxDimension),
            TargetEmbeddingSize = arch.OptionalInt("tgt_embedding_size", 1, RnnConfig.MaxDimension),
            Bridge = arch.Choice("bridge", Bridges),
            Attention = attention,
            AttentionSize = attentionSize is 0 ? null : attentionSize,
            InputFeeding = inputFeeding,
            OutputInputs = outputInputs,
            SourceVocabulary = source,
            TargetVocabulary = target,
            BosId = bos,
            EosId = eos,
            PadId = pad,
            UnkId = unk,
            SourceBosId = sourceBos,
            SourceEosId = sourceEos,
            Tokenizer = vocabulary.Choice("tokenizer", Tokenizers),
            MaxSourceLength = vocabulary.Int("max_source_length", "the longest source the model accepts", 1, 1 << 16),
            Tensors = Mapping(root),
            Ignore = IgnoreList(root),
        };
    }

    /// <summary>An inline array of strings, or the path of a UTF-8 text file with one token per line.</summary>
    private static string[] Tokens(ConfigObject vocabulary, string key)
    {
        string what = "an array of token strings, or the path of a text file with one token per line";
        JsonElement value = vocabulary.Required(key, what);
        string keyPath = vocabulary.KeyPath(key);
        string[] tokens;
        string origin;
        if (value.ValueKind == JsonValueKind.Array)
        {
            tokens = new string[value.GetArrayLength()];
            int i = 0;
            foreach (JsonElement token in value.EnumerateArray())
            {
                if (token.ValueKind != JsonValueKind.String)
                    throw vocabulary.Error($"'{keyPath}' element {i} must be a string, not {ConfigObject.Describe(token)}");
                tokens[i++] = token.GetString()!;
            }
            origin = $"'{keyPath}'";
        }
        else if (value.ValueKind == JsonValueKind.String)
        {
            string relative = value.GetString()!;
            string folder = Path.GetDirectoryName(Path.GetFullPath(vocabulary.File)) ?? ".";
            string path = Path.GetFullPath(Path.Combine(folder, relative));
            if (!System.IO.File.Exists(path))
                throw vocabulary.Error($"'{keyPath}': the vocabulary file '{relative}' ({path}) does not exist");
            string text;
            try
            {
                text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(System.IO.File.ReadAllBytes(path));
            }
            catch (DecoderFallbackException)
            {
                throw vocabulary.Error($"'{keyPath}': the vocabulary file '{relative}' is not valid UTF-8");
            }
            text = text.TrimStart('\uFEFF');
            if (text.EndsWith('\n'))
                text = text[..^1];
            tokens = text.Length == 0 ? [] : text.Split('\n').Select(line => line.EndsWith('\r') ? line[..^1] : line).ToArray();
            origin = $"'{keyPath}' file '{relative}'";
            int empty = Array.IndexOf(tokens, "");
            if (empty >= 0)
                throw vocabulary.Error($"{origin}: line {empty + 1} is empty; every line is one token");
        }
        else
        {
            throw vocabulary.WrongType(key, what, value);
        }
        if (tokens.Length == 0)
            throw vocabulary.Error($"{origin} has no tokens");
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < tokens.Length; id++)
        {
            if (!seen.TryAdd(tokens[id], id))
                throw vocabulary.Error($"{origin}: token \"{tokens[id]}\" appears twice (ids {seen[tokens[id]]} and {id})");
        }
        return tokens;
    }

    private static List<KeyValuePair<string, string>> Mapping(ConfigObject root)
    {
        JsonElement value = root.Required("tensors", "a map from .frnn tensor names or module prefixes to state-dict names or prefixes");
        if (value.ValueKind != JsonValueKind.Object)
            throw root.WrongType("tensors", "an object", value);
        var mapping = new List<KeyValuePair<string, string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty entry in value.EnumerateObject())
        {
            string key = entry.Name.TrimEnd('.');
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw root.Error($"'tensors' entry \"{entry.Name}\" must map to a state-dict name or prefix (a string), not {ConfigObject.Describe(entry.Value)}");
            if (!seen.Add(key))
                throw root.Error($"'tensors' entry \"{entry.Name}\" appears twice");
            mapping.Add(new(key, entry.Value.GetString()!.TrimEnd('.')));
        }
        return mapping;
    }

    private static List<string> IgnoreList(ConfigObject root)
    {
        if (!root.TryGet("ignore", out JsonElement value))
            return [];
        if (value.ValueKind != JsonValueKind.Array)
            throw root.WrongType("ignore", "an array of state-dict names or module prefixes", value);
        var list = new List<string>();
        int i = 0;
        foreach (JsonElement entry in value.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.String || entry.GetString()!.TrimEnd('.').Length == 0)
                throw root.Error($"'ignore' element {i} must be a state-dict name or module prefix, not {ConfigObject.Describe(entry)}");
            list.Add(entry.GetString()!.TrimEnd('.'));
            i++;
        }
        return list;
    }

    /// <summary>Whether a state-dict tensor is listed under <c>ignore</c>, by name or by module prefix.</summary>
    public bool IsIgnored(string name) => IgnoredBy(name) is not null;

    public string? IgnoredBy(string name) => Ignore.FirstOrDefault(prefix => name == prefix || NamedTensors.IsUnder(name, prefix, "."));

    public static string Name<T>((string Name, T Value)[] choices, T value)
        where T : struct
        => choices.First(c => EqualityComparer<T>.Default.Equals(c.Value, value)).Name;

    public static string KindName(RecurrentKind kind) => Name(Kinds, kind);

    public static string BridgeName(BridgeKind bridge) => Name(Bridges, bridge);

    public static string AttentionName(AttentionKind attention) => Name(Attentions, attention);

    public static string OutputInputsName(OutputInputs outputs) => Name(Outputs, outputs);

    public static string TokenizerName(TokenizerKind tokenizer) => Name(Tokenizers, tokenizer);
}
