using FastRnn.Attention;
using FastRnn.Decoding;
using FastRnn.Format;
using FastRnn.Layers;

namespace FastRnn.Import;

/// <summary>
/// Builds a seq2seq .frnn model (docs/seq2seq.md) from a PyTorch state dict and a <see cref="Seq2SeqConversionConfig"/>:
/// infers the sizes the config leaves out from the tensor shapes, checks the ones it gives, checks every tensor's
/// shape, and writes the metadata and tensors in the order of docs/seq2seq.md.
/// </summary>
internal static class Seq2SeqStateDictImporter
{
    /// <summary>The architecture and a writer holding the complete .frnn file.</summary>
    /// <exception cref="ImportException">A tensor is unmapped, missing, unused or of the wrong shape, or a size or the
    /// vocabulary contradicts the tensors; the message names the tensor or the config key.</exception>
    public static (Seq2SeqConfig Config, FrnnWriter Writer) Build(Seq2SeqConversionConfig c, TensorMapping map)
    {
        // Embeddings: (V, E); V must be the vocabulary's size.
        TensorData src = map.Matrix("src_embedding.weight", "(V_src, E_src)", "the source embedding");
        Vocabulary(c, map, "src_embedding.weight", src, "source", c.SourceVocabulary.Length);
        int eSrc = Cross(c, Seq2SeqConversionConfig.SourceEmbeddingKey, c.SourceEmbeddingSize, src.Shape[1], map, "src_embedding.weight", src);
        TensorData tgt = map.Matrix("tgt_embedding.weight", "(V_tgt, E_tgt)", "the target embedding");
        Vocabulary(c, map, "tgt_embedding.weight", tgt, "target", c.TargetVocabulary.Length);
        int eTgt = Cross(c, Seq2SeqConversionConfig.TargetEmbeddingKey, c.TargetEmbeddingSize, tgt.Shape[1], map, "tgt_embedding.weight", tgt);

        var (hEnc, lEnc, bidirectional) = Recurrent(c, map, "encoder", c.EncoderKind, c.EncoderHiddenSize, c.EncoderLayers, c.EncoderBidirectional);
        var (h, lDec, _) = Recurrent(c, map, "decoder", c.DecoderKind, c.DecoderHiddenSize, c.DecoderLayers, false);

        int attentionSize = 0;
        if (Seq2SeqConversionConfig.IsAdditive(c.Attention))
        {
            TensorData query = map.Matrix("attention.query.weight", "(A, H)", "additive attention's query projection");
            attentionSize = Cross(c, Seq2SeqConversionConfig.AttentionSizeKey, c.AttentionSize, query.Shape[0], map, "attention.query.weight", query);
        }

        var config = new Seq2SeqConfig
        {
            EncoderKind = c.EncoderKind,
            EncoderHiddenSize = hEnc,
            EncoderLayers = lEnc,
            EncoderBidirectional = bidirectional,
            DecoderKind = c.DecoderKind,
            DecoderHiddenSize = h,
            DecoderLayers = lDec,
            SourceEmbeddingSize = eSrc,
            TargetEmbeddingSize = eTgt,
            Bridge = c.Bridge,
            Attention = c.Attention,
            AttentionSize = attentionSize,
            InputFeeding = c.InputFeeding,
            OutputInputs = c.OutputInputs,
            SourceVocabularySize = c.SourceVocabulary.Length,
            TargetVocabularySize = c.TargetVocabulary.Length,
            BosId = c.BosId,
            EosId = c.EosId,
            PadId = c.PadId,
            UnkId = c.UnkId,
            SourceBosId = c.SourceBosId,
            SourceEosId = c.SourceEosId,
            MaxSourceLength = c.MaxSourceLength,
        };
        CheckCombination(c, config);

        var expected = ExpectedTensors(config);
        var tensors = new List<(string Name, int[] Shape, float[] Data)>(expected.Count);
        foreach ((string name, int[] shape, string layout, string why) in expected)
        {
            TensorData t = map.Get(name, why);
            if (!t.Shape.AsSpan().SequenceEqual(shape))
                throw Seq2SeqErrors.Model($"tensor {map.Describe(name)} has shape {t.ShapeText}; expected {TensorData.FormatShape(shape)} = {layout}");
            tensors.Add((name, shape, t.Data));
        }
        map.CheckComplete(expected.Select(e => e.Name).ToArray(), Describe(config));

        var writer = new FrnnWriter();
        WriteMetadata(writer, c, config);
        foreach ((string name, int[] shape, float[] data) in tensors)
            writer.AddTensor(name, shape, data);
        return (config, writer);
    }

    /// <summary>"1-layer bidirectional GRU encoder (hidden 7), 2-layer GRU decoder (hidden 14), general attention", for messages.</summary>
    public static string Describe(Seq2SeqConfig c)
    {
        string attention = Seq2SeqConversionConfig.AttentionName(c.Attention) + " attention" + (c.AttentionSize > 0 ? $" (size {c.AttentionSize})" : "");
        return $"{c.EncoderLayers}-layer {(c.EncoderBidirectional ? "bidirectional " : "")}{c.EncoderKind.ToString().ToUpperInvariant()} encoder (hidden {c.EncoderHiddenSize}), "
            + $"{c.DecoderLayers}-layer {c.DecoderKind.ToString().ToUpperInvariant()} decoder (hidden {c.DecoderHiddenSize}), {attention}, "
            + $"bridge {Seq2SeqConversionConfig.BridgeName(c.Bridge)}, {(c.InputFeeding ? "input feeding" : $"output from {Seq2SeqConversionConfig.OutputInputsName(c.OutputInputs)}")}";
    }

    private static void Vocabulary(Seq2SeqConversionConfig c, TensorMapping map, string name, TensorData embedding, string which, int count)
    {
        if (embedding.Shape[0] != count)
        {
            throw Seq2SeqErrors.Config(c.File, $"'vocabulary.{which}' has {count} tokens, but tensor {map.Describe(name)} has shape {embedding.ShapeText}: "
                + $"{embedding.Shape[0]} rows, one per {which} token");
        }
    }

    /// <summary>The size the tensor implies, which must equal the config's when it gives one.</summary>
    private static int Cross(Seq2SeqConversionConfig c, string key, int? given, int inferred, TensorMapping map, string name, TensorData evidence)
    {
        if (given is { } g && g != inferred)
            throw Seq2SeqErrors.Config(c.File, $"'{key}' is {g}, but tensor {map.Describe(name)} has shape {evidence.ShapeText}, which makes it {inferred}");
        return inferred;
    }

    /// <summary>Hidden size, layer count and direction of the encoder or decoder stack, from its tensors.</summary>
    private static (int Hidden, int Layers, bool Bidirectional) Recurrent(
        Seq2SeqConversionConfig c, TensorMapping map, string module, RecurrentKind kind, int? hidden, int? layers, bool? bidirectional)
    {
        string k = $"architecture.{module}";
        int gates = kind == RecurrentKind.Lstm ? 4 : 3;
        string kindName = Seq2SeqConversionConfig.KindName(kind);
        string hh = $"{module}.weight_hh_l0";
        TensorData t = map.Matrix(hh, "(G·H, H)", $"every {module} has it");
        int h = t.Shape[1];
        if (h == 0 || t.Shape[0] != gates * h)
        {
            string hint = h > 0 && t.Shape[0] == (7 - gates) * h ? $"; that is the layout of a {(gates == 4 ? "GRU" : "LSTM")}: check '{k}.kind'" : "";
            throw Seq2SeqErrors.Model($"tensor {map.Describe(hh)} has shape {t.ShapeText}; expected ({gates}·H, H) for the {kindName.ToUpperInvariant()} {module} ('{k}.kind' is \"{kindName}\"){hint}");
        }
        h = Cross(c, $"{k}.hidden_size", hidden, h, map, hh, t);

        map.Get($"{module}.weight_ih_l0", $"every {module} has it");
        int inferredLayers = 1;
        while (inferredLayers < RnnConfig.MaxLayers && map.Exists($"{module}.weight_ih_l{inferredLayers}"))
            inferredLayers++;
        if (layers is { } l && l != inferredLayers)
        {
            string evidence = l > inferredLayers
                ? $"the state dict has no {map.Describe($"{module}.weight_ih_l{inferredLayers}")}"
                : $"the state dict has {map.Describe($"{module}.weight_ih_l{l}")}";
            throw Seq2SeqErrors.Config(c.File, $"'{k}.num_layers' is {l}, but {evidence}, which makes it {inferredLayers}");
        }

        string reverse = $"{module}.weight_ih_l0_reverse";
        bool inferredBidirectional = map.Exists(reverse);
        if (module == "decoder" && inferredBidirectional)
            throw Seq2SeqErrors.Model($"tensor {map.Describe(reverse)} is a reverse direction, but the decoder runs one way (unidirectional)");
        if (bidirectional is { } b && b != inferredBidirectional)
        {
            string evidence = b ? $"the state dict has no {map.Describe(reverse)}" : $"the state dict has {map.Describe(reverse)}";
            throw Seq2SeqErrors.Config(c.File, $"'{k}.bidirectional' is {(b ? "true" : "false")}, but {evidence}");
        }
        return (h, inferredLayers, inferredBidirectional);
    }

    /// <summary>The combinations docs/seq2seq.md rules out, named by their config keys.</summary>
    private static void CheckCombination(Seq2SeqConversionConfig c, Seq2SeqConfig s)
    {
        string k = $"{s.MemorySize}" + (s.EncoderBidirectional ? $" = 2·{s.EncoderHiddenSize}" : "");
        if (s.Attention == AttentionKind.Dot && s.DecoderHiddenSize != s.MemorySize)
            throw Seq2SeqErrors.Config(c.File, $"'architecture.attention' \"dot\" needs the decoder hidden size ({s.DecoderHiddenSize}) to equal the encoder output width K ({k})");
        if (s.Bridge == BridgeKind.Final)
        {
            if (s.DecoderKind != s.EncoderKind)
                throw Seq2SeqErrors.Config(c.File, "'architecture.bridge' \"final\" needs the encoder and decoder to be the same kind");
            if (s.DecoderLayers != s.EncoderLayers)
                throw Seq2SeqErrors.Config(c.File, $"'architecture.bridge' \"final\" needs as many decoder layers ({s.DecoderLayers}) as encoder layers ({s.EncoderLayers})");
            if (s.DecoderHiddenSize != s.MemorySize)
                throw Seq2SeqErrors.Config(c.File, $"'architecture.bridge' \"final\" needs the decoder hidden size ({s.DecoderHiddenSize}) to equal the encoder output width K ({k})");
        }
        try
        {
            s.Validate();
        }
        catch (ArgumentException e)
        {
            throw Seq2SeqErrors.Config(c.File, $"the architecture is not valid: {e.Message}");
        }
    }

    /// <summary>docs/seq2seq.md's tensor table for <paramref name="c"/>, in its order: name, shape, layout, why.</summary>
    internal static List<(string Name, int[] Shape, string Layout, string Why)> ExpectedTensors(Seq2SeqConfig c)
    {
        var list = new List<(string, int[], string, string)>
        {
            ("src_embedding.weight", [c.SourceVocabularySize, c.SourceEmbeddingSize], "(V_src, E_src)", "the source embedding"),
            ("tgt_embedding.weight", [c.TargetVocabularySize, c.TargetEmbeddingSize], "(V_tgt, E_tgt)", "the target embedding"),
        };
        AddRecurrent(list, "encoder", c.EncoderKind, c.EncoderHiddenSize, c.EncoderLayers, c.EncoderBidirectional, c.SourceEmbeddingSize, "E_src", "H_enc");
        string decoderInput = c.InputFeeding ? "E_tgt + H" : "E_tgt + K";
        AddRecurrent(list, "decoder", c.DecoderKind, c.DecoderHiddenSize, c.DecoderLayers, false, c.DecoderInputSize, decoderInput, "H");
        if (c.Bridge == BridgeKind.LinearTanh)
        {
            list.Add(("bridge.weight", [c.DecoderHiddenSize, c.EncoderHiddenSize], "(H, H_enc)", "the linear_tanh bridge"));
            list.Add(("bridge.bias", [c.DecoderHiddenSize], "(H,)", "the linear_tanh bridge"));
        }
        int a = c.AttentionSize, h = c.DecoderHiddenSize, k = c.MemorySize;
        string kind = Seq2SeqConversionConfig.AttentionName(c.Attention);
        string why = $"{kind} attention";
        if (Seq2SeqConversionConfig.IsAdditive(c.Attention))
        {
            list.Add(("attention.query.weight", [a, h], "(A, H)", why));
            if (c.Attention != AttentionKind.BahdanauNormalized)
                list.Add(("attention.query.bias", [a], "(A,)", why));
            list.Add(("attention.key.weight", [a, k], "(A, K)", why));
            if (c.Attention == AttentionKind.Bahdanau)
                list.Add(("attention.key.bias", [a], "(A,)", why));
            list.Add(("attention.v.weight", [1, a], "(1, A)", why));
            if (c.Attention == AttentionKind.Bahdanau)
                list.Add(("attention.v.bias", [1], "(1,)", why));
            if (c.Attention == AttentionKind.BahdanauNormalized)
            {
                list.Add(("attention.g", [1], "(1,)", why));
                list.Add(("attention.b", [a], "(A,)", why));
            }
        }
        else if (c.Attention == AttentionKind.General)
        {
            list.Add(("attention.key.weight", [h, k], "(H, K)", why));
        }
        if (c.InputFeeding)
        {
            list.Add(("combine.weight", [h, k + h], "(H, K + H)", "input feeding (a Luong decoder)"));
            list.Add(("combine.bias", [h], "(H,)", "input feeding (a Luong decoder)"));
        }
        string x = c.InputFeeding ? "H" : c.OutputInputs switch
        {
            OutputInputs.Hidden => "H",
            OutputInputs.HiddenContext => "H + K",
            _ => "H + K + E_tgt",
        };
        list.Add(("output.weight", [c.TargetVocabularySize, c.OutputFeatures], $"(V_tgt, {x})", "the output layer"));
        list.Add(("output.bias", [c.TargetVocabularySize], "(V_tgt,)", "the output layer"));
        return list;
    }

    private static void AddRecurrent(List<(string, int[], string, string)> list, string module, RecurrentKind kind, int hidden, int layers, bool bidirectional,
        int inputSize, string inputName, string hiddenName)
    {
        var rnn = new RnnConfig { Kind = kind, InputSize = inputSize, HiddenSize = hidden, NumLayers = layers, Bidirectional = bidirectional };
        string g = $"{rnn.GateCount}·{hiddenName}";
        string above = bidirectional ? $"2·{hiddenName}" : hiddenName;
        string why = $"a {layers}-layer {(bidirectional ? "bidirectional " : "")}{kind.ToString().ToUpperInvariant()} {module} has it";
        foreach (RecurrentParameter p in new RecurrentParameterSchema(rnn).Parameters)
        {
            (string layout, string reason) = p.Role switch
            {
                RecurrentParameterRole.InputWeights => ($"({g}, {(p.Layer == 0 ? inputName : above)})", why),
                RecurrentParameterRole.RecurrentWeights => ($"({g}, {hiddenName})", why),
                _ => ($"({g},)", why + " (seq2seq recurrent layers have biases)"),
            };
            list.Add(($"{module}.{p.Name}", [.. p.Shape], layout, reason));
        }
    }

    /// <summary>Every key of docs/seq2seq.md, in its order; <c>attention_size</c> is 0 and <c>output_inputs</c> "h" where they do not apply.</summary>
    private static void WriteMetadata(FrnnWriter w, Seq2SeqConversionConfig c, Seq2SeqConfig s)
    {
        w.AddMetadata("fastrnn.architecture", "seq2seq");
        w.AddMetadata("seq2seq.encoder.kind", Seq2SeqConversionConfig.KindName(s.EncoderKind));
        w.AddMetadata("seq2seq.encoder.hidden_size", (long)s.EncoderHiddenSize);
        w.AddMetadata("seq2seq.encoder.num_layers", (long)s.EncoderLayers);
        w.AddMetadata("seq2seq.encoder.bidirectional", s.EncoderBidirectional);
        w.AddMetadata("seq2seq.decoder.kind", Seq2SeqConversionConfig.KindName(s.DecoderKind));
        w.AddMetadata("seq2seq.decoder.hidden_size", (long)s.DecoderHiddenSize);
        w.AddMetadata("seq2seq.decoder.num_layers", (long)s.DecoderLayers);
        w.AddMetadata("seq2seq.src_embedding_size", (long)s.SourceEmbeddingSize);
        w.AddMetadata("seq2seq.tgt_embedding_size", (long)s.TargetEmbeddingSize);
        w.AddMetadata("seq2seq.bridge", Seq2SeqConversionConfig.BridgeName(s.Bridge));
        w.AddMetadata("seq2seq.attention", Seq2SeqConversionConfig.AttentionName(s.Attention));
        w.AddMetadata("seq2seq.attention_size", (long)s.AttentionSize);
        w.AddMetadata("seq2seq.input_feeding", s.InputFeeding);
        w.AddMetadata("seq2seq.output_inputs", Seq2SeqConversionConfig.OutputInputsName(s.OutputInputs));
        w.AddMetadata("seq2seq.src_vocab", c.SourceVocabulary);
        w.AddMetadata("seq2seq.tgt_vocab", c.TargetVocabulary);
        w.AddMetadata("seq2seq.bos_id", (long)s.BosId);
        w.AddMetadata("seq2seq.eos_id", (long)s.EosId);
        foreach (var (key, id) in new[] { ("seq2seq.pad_id", s.PadId), ("seq2seq.unk_id", s.UnkId), ("seq2seq.src_bos_id", s.SourceBosId), ("seq2seq.src_eos_id", s.SourceEosId) })
        {
            if (id is int value)
                w.AddMetadata(key, (long)value);
        }
        w.AddMetadata("seq2seq.tokenizer", Seq2SeqConversionConfig.TokenizerName(c.Tokenizer));
        w.AddMetadata("seq2seq.max_source_length", (long)s.MaxSourceLength);
    }
}
