using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FastRnn.Decoding;
using FastRnn.Format;
using FastRnn.Import;
using FastRnn.Tests.Cli;
using Compare = FastRnn.Tests.Support.Compare;
using Fixtures = FastRnn.Tests.Support.Fixtures;
using GoldenFile = FastRnn.Tests.Support.SafetensorsFile;
using StateDictFile = FastRnn.Import.SafetensorsFile;

namespace FastRnn.Tests.Import;

/// <summary>
/// Two seq2seq cases of tools/seq2seq_reference.py saved under a user's own names with a conversion config
/// (Fixtures/import-seq2seq, from tools/gen_seq2seq_import_fixtures.py): converted with the config, the model matches
/// the reference's goldens and is the reference's .frnn model; every kind of config mistake is an error naming it.
/// </summary>
public sealed class Seq2SeqConfigImportTests
{
    public static TheoryData<string> Cases => new() { "tutorial", "luong_general" };

    // ---- parity

    [Theory]
    [MemberData(nameof(Cases))]
    public void Convert_TeacherForcedLogProbabilities_MatchPyTorch(string name)
    {
        using var w = Seq2SeqWorkspace.For(name);
        w.Convert();
        var model = Seq2SeqModel.Load(w.Output);
        GoldenFile golden = Seq2SeqWorkspace.Golden(name);
        using var decoder = model.CreateDecoder();
        int n = golden.Tensors["src"].Shape[0], t = golden.Tensors["tf_target"].Shape[1], v = model.Config.TargetVocabularySize;
        Assert.Equal(golden.Tensors["tf_logprobs"].Shape[2], v);
        for (int i = 0; i < n; i++)
        {
            int[] source = Source(golden, i);
            decoder.Encode(source);
            var logProbs = new float[t * v];
            decoder.Score(Ints(golden["tf_target"].AsSpan(i * t, t)), logProbs, new float[t * source.Length]);
            Compare.Close(golden["tf_logprobs"].AsSpan(i * t * v, t * v), logProbs, 2e-5, $"{name} source {i} log-probs");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Convert_GreedyOutputs_MatchPyTorchTokens(string name)
    {
        using var w = Seq2SeqWorkspace.For(name);
        w.Convert();
        var model = Seq2SeqModel.Load(w.Output);
        GoldenFile golden = Seq2SeqWorkspace.Golden(name);
        using var decoder = model.CreateDecoder();
        int n = golden.Tensors["src"].Shape[0], width = golden.Tensors["greedy_tokens"].Shape[1];
        var tokens = new int[64];
        for (int i = 0; i < n; i++)
        {
            decoder.Encode(Source(golden, i));
            int count = decoder.Decode(DecodingOptions.Greedy(maxLength: int.Parse(golden.Metadata["greedy_max_length"], CultureInfo.InvariantCulture)), tokens, out float score);
            Assert.Equal(Ints(golden["greedy_tokens"].AsSpan(i * width, width)).TakeWhile(id => id >= 0), tokens[..count]);
            Assert.True(Math.Abs(golden["greedy_score"][i] - score) <= 1e-4, $"{name} source {i}: score {score}, expected {golden["greedy_score"][i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Convert_WritesTheReferenceModel_MetadataAndTensorsInTheDocumentedOrder(string name)
    {
        using var w = Seq2SeqWorkspace.For(name);
        Seq2SeqConfig config = w.Convert();
        using FrnnFile converted = FrnnFile.Open(w.Output);
        using FrnnFile reference = FrnnFile.Open(Path.Combine(Fixtures.Directory("seq2seq"), name + ".frnn"));

        Assert.Equal(reference.Metadata.Keys.Where(k => k != "model.name"), converted.Metadata.Keys);
        foreach ((string key, object value) in converted.Metadata)
        {
            if (value is IReadOnlyList<string> strings)
                Assert.Equal(reference.GetStringArray(key), strings);
            else
                Assert.Equal(reference.Metadata[key], value);
        }
        string[] expectedOrder = [.. Seq2SeqStateDictImporter.ExpectedTensors(config).Select(t => t.Name)];
        Assert.Equal(expectedOrder, converted.Tensors.Select(t => t.Name));
        Assert.Equal(reference.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal), expectedOrder.Order(StringComparer.Ordinal));
        foreach (FrnnTensorInfo t in converted.Tensors)
        {
            Assert.Equal(reference.GetTensorInfo(t.Name).Shape, t.Shape);
            Assert.True(reference.GetFloat32(t.Name).SequenceEqual(converted.GetFloat32(t.Name)), $"tensor {t.Name} differs from the reference");
        }
    }

    [Fact]
    public void Convert_SizesLeftOut_AreInferred_SameFile()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        w.Convert();
        byte[] full = File.ReadAllBytes(w.Output);
        JsonObject c = w.ReadConfig();
        JsonObject arch = c["architecture"]!.AsObject();
        foreach (string key in new[] { "src_embedding_size", "tgt_embedding_size", "attention_size" })
            arch.Remove(key);
        foreach (string key in new[] { "hidden_size", "num_layers", "bidirectional" })
            arch["encoder"]!.AsObject().Remove(key);
        foreach (string key in new[] { "hidden_size", "num_layers" })
            arch["decoder"]!.AsObject().Remove(key);
        w.WriteConfig(c);
        w.Convert();
        Assert.Equal(full, File.ReadAllBytes(w.Output));
    }

    [Fact]
    public void Convert_FromNpz_SameFileAsFromSafetensors()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        w.Convert();
        byte[] fromSafetensors = File.ReadAllBytes(w.Output);
        string npz = w.File("tutorial.npz");
        File.WriteAllBytes(npz, Seq2SeqWorkspace.Npz(w.ReadStateDict()));
        File.Delete(w.Output);
        ModelConverter.ConvertSeq2Seq(npz, w.Config, w.Output);
        Assert.Equal(fromSafetensors, File.ReadAllBytes(w.Output));
    }

    [Fact]
    public void Convert_VocabularyFiles_WithCrLfAndBom_AndInlineArrays_GiveTheSameFile()
    {
        using var w = Seq2SeqWorkspace.For("luong_general");
        w.Convert();
        byte[] expected = File.ReadAllBytes(w.Output);
        string[] source = File.ReadAllLines(w.File("luong_general.src.txt"));
        string[] target = File.ReadAllLines(w.File("luong_general.tgt.txt"));

        Directory.CreateDirectory(w.File("vocab"));
        File.WriteAllText(w.File("vocab/src.txt"), "\uFEFF" + string.Join("\r\n", source) + "\r\n", new UTF8Encoding(false));
        File.WriteAllText(w.File("vocab/tgt.txt"), string.Join("\n", target)); // no final newline
        JsonObject c = w.ReadConfig();
        c["vocabulary"]!["source"] = "vocab/src.txt";
        c["vocabulary"]!["target"] = "vocab/tgt.txt";
        w.WriteConfig(c);
        w.Convert();
        Assert.Equal(expected, File.ReadAllBytes(w.Output));

        c["vocabulary"]!["source"] = new JsonArray([.. source.Select(s => (JsonNode)JsonValue.Create(s))]);
        c["vocabulary"]!["target"] = new JsonArray([.. target.Select(s => (JsonNode)JsonValue.Create(s))]);
        w.WriteConfig(c);
        w.Convert();
        Assert.Equal(expected, File.ReadAllBytes(w.Output));
    }

    [Fact]
    public void Convert_CatchAllPrefix_MapsNamesUnderAModule()
    {
        // A state dict that already uses the .frnn names, under "model.": one "" entry maps everything.
        using var w = Seq2SeqWorkspace.For("tutorial");
        w.Convert();
        byte[] expected = File.ReadAllBytes(w.Output);
        using (FrnnFile reference = FrnnFile.Open(w.Output))
            File.WriteAllBytes(w.StateDict, Seq2SeqWorkspace.Safetensors(reference.Tensors.Select(t => ("model." + t.Name, t.Shape.ToArray(), reference.GetFloat32(t.Name).ToArray()))));
        JsonObject c = w.ReadConfig();
        c["tensors"] = new JsonObject { [""] = "model." };
        w.WriteConfig(c);
        w.Convert();
        Assert.Equal(expected, File.ReadAllBytes(w.Output));
    }

    [Fact]
    public void Convert_ExactNameBeatsAPrefix()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        w.Convert();
        byte[] expected = File.ReadAllBytes(w.Output);
        var tensors = w.ReadStateDict();
        var dec = tensors.Single(t => t.Name == "dec.gru.bias_hh_l0");
        tensors.Remove(dec);
        tensors.Add(("dec.gru_bias", dec.Shape, dec.Data));
        File.WriteAllBytes(w.StateDict, Seq2SeqWorkspace.Safetensors(tensors));
        JsonObject c = w.ReadConfig();
        c["tensors"]!["decoder.bias_hh_l0"] = "dec.gru_bias";
        w.WriteConfig(c);
        w.Convert();
        Assert.Equal(expected, File.ReadAllBytes(w.Output));
    }

    // ---- config errors

    [Fact]
    public void UnknownKey_IsAnErrorNamingIt()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        JsonObject c = w.ReadConfig();
        c["architecture"]!["encoder"]!["hiden_size"] = 9;
        w.WriteConfig(c);
        string message = w.Fails().Message;
        Assert.Contains($"{w.Config}: unknown key 'architecture.encoder.hiden_size'", message);
        Assert.Contains("kind, hidden_size, num_layers, bidirectional", message);

        c = w.ReadConfig();
        c["architecture"]!.AsObject().Remove("encoder");
        c["architecture"]!["encoder"] = new JsonObject { ["kind"] = "gru" };
        c["tokenizer"] = "char";
        w.WriteConfig(c);
        Assert.Contains("unknown key 'tokenizer' (the top level takes architecture, vocabulary, tensors, ignore)", w.Fails().Message);
    }

    [Theory]
    [InlineData("architecture", "bridge")]
    [InlineData("architecture", "output_inputs")]
    [InlineData("vocabulary", "eos_id")]
    [InlineData("vocabulary", "tokenizer")]
    [InlineData("", "tensors")]
    public void MissingRequiredKey_IsAnErrorNamingIt(string section, string key)
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        JsonObject c = w.ReadConfig();
        (section.Length == 0 ? c : c[section]!.AsObject()).Remove(key);
        w.WriteConfig(c);
        Assert.Contains($"missing required key '{(section.Length == 0 ? key : $"{section}.{key}")}'", w.Fails().Message);
    }

    [Theory]
    [InlineData("""{"architecture": {"encoder": {"kind": "gru", "hidden_size": "9"}}}""", "'architecture.encoder.hidden_size' must be an integer, not the string \"9\"")]
    [InlineData("""{"architecture": {"encoder": {"kind": "gru", "hidden_size": 9.5}}}""", "'architecture.encoder.hidden_size' must be an integer, not the number 9.5")]
    [InlineData("""{"architecture": {"encoder": {"kind": "rnn"}}}""", "'architecture.encoder.kind' is \"rnn\"; expected one of \"lstm\", \"gru\"")]
    [InlineData("""{"architecture": {"attention": "luong"}}""", "'architecture.attention' is \"luong\"; expected one of \"bahdanau\", \"bahdanau_norm\", \"mlp\", \"dot\", \"general\"")]
    [InlineData("""{"architecture": {"input_feeding": 0}}""", "'architecture.input_feeding' must be true or false, not the number 0")]
    [InlineData("""{"vocabulary": {"bos_id": 13}}""", "'vocabulary.bos_id' is 13, but the target vocabulary has 13 tokens (ids 0..12)")]
    [InlineData("""{"vocabulary": {"pad_id": -1}}""", "'vocabulary.pad_id' is -1; expected 0..")]
    [InlineData("""{"vocabulary": {"max_source_length": 0}}""", "'vocabulary.max_source_length' is 0; expected 1..65536")]
    [InlineData("""{"vocabulary": {"source": ["<pad>", "<unk>", "a", "a"]}}""", "'vocabulary.source': token \"a\" appears twice (ids 2 and 3)")]
    [InlineData("""{"vocabulary": {"target": 5}}""", "'vocabulary.target' must be an array of token strings, or the path of a text file with one token per line, not the number 5")]
    [InlineData("""{"vocabulary": {"source": "missing.txt"}}""", "'vocabulary.source': the vocabulary file 'missing.txt' (")]
    [InlineData("""{"architecture": {"attention": "general", "attention_size": 7}}""", "'architecture.attention_size' is 7, but \"general\" attention has no size")]
    [InlineData("""{"architecture": {"input_feeding": true, "output_inputs": "h_ctx"}}""", "'architecture.output_inputs' is \"h_ctx\", but with input feeding")]
    [InlineData("""{"tensors": {"encoder": 3}}""", "'tensors' entry \"encoder\" must map to a state-dict name or prefix (a string), not the number 3")]
    [InlineData("""{"ignore": "enc.dropout"}""", "'ignore' must be an array of state-dict names or module prefixes, not the string")]
    [InlineData("""{"architecture": []}""", "'architecture' must be a JSON object, not an array")]
    public void BadValue_IsAnErrorNamingTheKey(string patch, string expected)
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        w.WriteConfig(Merge(w.ReadConfig(), JsonNode.Parse(patch)!.AsObject()));
        string message = w.Fails().Message;
        Assert.StartsWith($"{w.Config}: ", message);
        Assert.Contains(expected, message);
    }

    [Fact]
    public void InvalidJson_AndDuplicateKeys_AreErrors()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        File.WriteAllText(w.Config, "{\"architecture\": {,}");
        Assert.StartsWith($"{w.Config}: not valid JSON: ", w.Fails().Message);

        string json = File.ReadAllText(w.File("tutorial.config.json.orig"));
        File.WriteAllText(w.Config, json.Replace("\"bridge\": \"final\",", "\"bridge\": \"final\", \"bridge\": \"zeros\","));
        Assert.Contains("key 'architecture.bridge' appears twice", w.Fails().Message);

        // Comments are allowed.
        File.WriteAllText(w.Config, "// converted from the tutorial\n" + json.Replace("\"bridge\": \"final\",", "\"bridge\": \"final\", /* decoder starts from the encoder */"));
        w.Convert();
    }

    [Fact]
    public void MissingTensorMapping_SaysWhatToAdd()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        JsonObject c = w.ReadConfig();
        c["tensors"]!.AsObject().Remove("attention.v");
        w.WriteConfig(c);
        Assert.Contains("'tensors' has no mapping for 'attention.v.weight' (bahdanau attention); add \"attention.v.weight\": \"<state-dict name>\", or a module prefix such as \"attention.v\" or \"attention\"",
            w.Fails().Message);
    }

    [Fact]
    public void MappedTensorNotInTheStateDict_ListsWhatIsThere()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        JsonObject c = w.ReadConfig();
        c["tensors"]!["attention.v"] = "dec.attn.V";
        w.WriteConfig(c);
        string message = w.Fails().Message;
        Assert.Contains("tensor 'attention.v.weight' (bahdanau attention) is mapped to 'dec.attn.V.weight' (by \"attention.v\": \"dec.attn.V\" in ", message);
        Assert.Contains("which is not in the state dict; under 'dec.attn' it has 'dec.attn.Ua.bias', 'dec.attn.Ua.weight', 'dec.attn.Va.bias', 'dec.attn.Va.weight', 'dec.attn.Wa.bias', 'dec.attn.Wa.weight'", message);
    }

    [Fact]
    public void ShapeMismatch_NamesBothTensorsAndTheLayout()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        var tensors = w.ReadStateDict();
        int i = tensors.FindIndex(t => t.Name == "dec.attn.Ua.weight");
        tensors[i] = ("dec.attn.Ua.weight", [7, 10], new float[70]);
        File.WriteAllBytes(w.StateDict, Seq2SeqWorkspace.Safetensors(tensors));
        Assert.Contains("tensor 'attention.key.weight' (state dict 'dec.attn.Ua.weight') has shape (7, 10); expected (7, 9) = (A, K)", w.Fails().Message);
    }

    [Fact]
    public void ArchitectureThatContradictsTheTensors_IsAShapeMismatch()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        w.WriteConfig(Merge(w.ReadConfig(), new JsonObject { ["architecture"] = new JsonObject { ["output_inputs"] = "h_ctx" } }));
        Assert.Contains("tensor 'output.weight' (state dict 'dec.out.weight') has shape (13, 9); expected (13, 18) = (V_tgt, H + K)", w.Fails().Message);
    }

    [Theory]
    [InlineData("target", 12, "'vocabulary.target' has 12 tokens, but tensor 'tgt_embedding.weight' (state dict 'dec.embedding.weight') has shape (13, 5): 13 rows, one per target token")]
    [InlineData("source", 15, "'vocabulary.source' has 15 tokens, but tensor 'src_embedding.weight' (state dict 'enc.embedding.weight') has shape (14, 6): 14 rows, one per source token")]
    public void VocabularySizeThatDiffersFromTheEmbedding_IsAnError(string which, int count, string expected)
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        JsonObject c = w.ReadConfig();
        JsonArray tokens = c["vocabulary"]![which]!.AsArray();
        while (tokens.Count > count)
            tokens.RemoveAt(tokens.Count - 1);
        while (tokens.Count < count)
            tokens.Add($"extra{tokens.Count}");
        w.WriteConfig(c);
        Assert.Contains(expected, w.Fails().Message);
    }

    [Theory]
    [InlineData("encoder", "hidden_size", "10", "'architecture.encoder.hidden_size' is 10, but tensor 'encoder.weight_hh_l0' (state dict 'enc.gru.weight_hh_l0') has shape (27, 9), which makes it 9")]
    [InlineData("encoder", "num_layers", "2", "'architecture.encoder.num_layers' is 2, but the state dict has no 'encoder.weight_ih_l1' (state dict 'enc.gru.weight_ih_l1'), which makes it 1")]
    [InlineData("encoder", "bidirectional", "true", "'architecture.encoder.bidirectional' is true, but the state dict has no 'encoder.weight_ih_l0_reverse' (state dict 'enc.gru.weight_ih_l0_reverse')")]
    [InlineData("decoder", "hidden_size", "8", "'architecture.decoder.hidden_size' is 8, but tensor 'decoder.weight_hh_l0' (state dict 'dec.gru.weight_hh_l0') has shape (27, 9), which makes it 9")]
    [InlineData("", "src_embedding_size", "7", "'architecture.src_embedding_size' is 7, but tensor 'src_embedding.weight' (state dict 'enc.embedding.weight') has shape (14, 6), which makes it 6")]
    [InlineData("", "attention_size", "8", "'architecture.attention_size' is 8, but tensor 'attention.query.weight' (state dict 'dec.attn.Wa.weight') has shape (7, 9), which makes it 7")]
    public void GivenSizeThatContradictsTheTensors_IsAnError(string module, string key, string value, string expected)
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        JsonObject c = w.ReadConfig();
        JsonObject target = module.Length == 0 ? c["architecture"]!.AsObject() : c["architecture"]![module]!.AsObject();
        target[key] = JsonNode.Parse(value);
        w.WriteConfig(c);
        Assert.Contains(expected, w.Fails().Message);
    }

    [Fact]
    public void LayersAndDirectionsGivenTooFew_AreErrorsNamingTheEvidence()
    {
        using var w = Seq2SeqWorkspace.For("luong_general");
        JsonObject c = w.ReadConfig();
        c["architecture"]!["encoder"]!["num_layers"] = 1;
        w.WriteConfig(c);
        Assert.Contains("'architecture.encoder.num_layers' is 1, but the state dict has 'encoder.weight_ih_l1' (state dict 'model.encoder.rnn.weight_ih_l1'), which makes it 2", w.Fails().Message);

        c["architecture"]!["encoder"]!["num_layers"] = 2;
        c["architecture"]!["encoder"]!["bidirectional"] = false;
        w.WriteConfig(c);
        Assert.Contains("'architecture.encoder.bidirectional' is false, but the state dict has 'encoder.weight_ih_l0_reverse' (state dict 'model.encoder.rnn.weight_ih_l0_reverse')", w.Fails().Message);
    }

    [Fact]
    public void WrongCellKind_SaysWhichKindTheShapeIs()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        w.WriteConfig(Merge(w.ReadConfig(), JsonNode.Parse("""{"architecture": {"encoder": {"kind": "lstm"}}}""")!.AsObject()));
        Assert.Contains("tensor 'encoder.weight_hh_l0' (state dict 'enc.gru.weight_hh_l0') has shape (27, 9); expected (4·H, H) for the LSTM encoder ('architecture.encoder.kind' is \"lstm\"); that is the layout of a GRU",
            w.Fails().Message);
    }

    [Fact]
    public void AnotherArchitecture_LeavesMappingsThatMapNothing_OrTensorsOfTheWrongShape()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        JsonObject c = w.ReadConfig();
        c["architecture"]!["attention"] = "dot";
        c["architecture"]!.AsObject().Remove("attention_size");
        w.WriteConfig(c);
        // dot attention has no attention.* tensors, so the first problem is the unused mapping of attention.query.
        Assert.Contains("'tensors' entry \"attention.query\" maps no tensor of this model", w.Fails().Message);

        c = JsonNode.Parse(File.ReadAllText(w.Config + ".orig"))!.AsObject();
        c["architecture"]!["decoder"]!["kind"] = "lstm";
        w.WriteConfig(c);
        Assert.Contains("for the LSTM decoder", w.Fails().Message);
    }

    [Fact]
    public void UnusedTensors_AreListed_UnlessIgnored()
    {
        using var w = Seq2SeqWorkspace.For("luong_general");
        JsonObject c = w.ReadConfig();
        c["ignore"] = new JsonArray("model.num_updates");
        w.WriteConfig(c);
        string message = w.Fails().Message;
        Assert.Contains("the state dict has 1 tensor(s) the config does not map: 'model.decoder.version'", message);
        Assert.Contains("list them or their module under 'ignore'", message);

        // Not ignored, the int64 counter is refused before anything is decoded.
        c["ignore"] = new JsonArray("model.decoder.version");
        w.WriteConfig(c);
        Assert.Contains("tensor 'model.num_updates' has dtype I64, which no seq2seq tensor has; if it is not part of the model, list it or its module under 'ignore'", w.Fails().Message);
    }

    [Fact]
    public void IgnoreEntries_MustMatchATensor_AndNotAMappedOne()
    {
        using var w = Seq2SeqWorkspace.For("luong_general");
        JsonObject c = w.ReadConfig();
        c["ignore"]!.AsArray().Add("model.optimizer.");
        w.WriteConfig(c);
        Assert.Contains("'ignore' entry \"model.optimizer\" matches no tensor of the state dict", w.Fails().Message);

        c = w.ReadConfig();
        c["ignore"]!.AsArray().Add("model.generator");
        w.WriteConfig(c);
        Assert.Contains("tensor 'output.weight' is mapped to 'model.generator.weight' (by \"output\": \"model.generator\"), which 'ignore' lists (\"model.generator\")", w.Fails().Message);
    }

    [Fact]
    public void MappingKeyThatMapsNothing_IsAnError()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        JsonObject c = w.ReadConfig();
        c["tensors"]!["bridge"] = "enc.bridge";
        w.WriteConfig(c);
        string message = w.Fails().Message;
        Assert.Contains("'tensors' entry \"bridge\" maps no tensor of this model (1-layer GRU encoder (hidden 9), 1-layer GRU decoder (hidden 9), bahdanau attention (size 7), bridge final, output from h)", message);
        Assert.Contains("its tensors are 'src_embedding.weight', 'tgt_embedding.weight', 'encoder.weight_ih_l0'", message);
    }

    [Fact]
    public void PlainRecurrentStateDict_SaysItNeedsNoConfig()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        string rnn = Path.Combine(CliModels.ImportDirectory, "pt_gru_l2_prefix.safetensors");
        var e = Assert.Throws<ImportException>(() => ModelConverter.ConvertSeq2Seq(rnn, w.Config, w.Output));
        Assert.Contains("tensor 'src_embedding.weight' (the source embedding) is mapped to 'enc.embedding.weight' (by \"src_embedding.weight\": \"enc.embedding.weight\" in ", e.Message);
        Assert.Contains("a plain LSTM, GRU or RNN converts without --config", e.Message);
        Assert.False(File.Exists(w.Output));
    }

    [Fact]
    public void FailedConversion_LeavesAnExistingOutputAlone()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        File.WriteAllText(w.Output, "previous");
        JsonObject c = w.ReadConfig();
        c["tensors"]!.AsObject().Remove("output");
        w.WriteConfig(c);
        Assert.Throws<ImportException>(() => w.Convert());
        Assert.Equal("previous", File.ReadAllText(w.Output));
    }

    /// <summary><paramref name="patch"/>'s values replace <paramref name="target"/>'s, object by object.</summary>
    private static JsonObject Merge(JsonObject target, JsonObject patch)
    {
        foreach ((string key, JsonNode? value) in patch.ToArray())
        {
            if (value is JsonObject inner && target[key] is JsonObject existing)
                Merge(existing, inner.DeepClone().AsObject());
            else
                target[key] = value?.DeepClone();
        }
        return target;
    }

    private static int[] Source(GoldenFile golden, int i) => FastRnn.Tests.Decoding.Seq2SeqParityTests.Source(golden, i);

    private static int[] Ints(ReadOnlySpan<float> values) => FastRnn.Tests.Decoding.Seq2SeqParityTests.Ints(values);
}

/// <summary>
/// <c>fastrnn convert --config</c> end to end: the written model translates like the reference model; bad configs and
/// files exit with 2, options that do not combine with a config with 1.
/// </summary>
public sealed class Seq2SeqConfigCliTests
{
    [Theory]
    [InlineData("tutorial", "wrote {0}: seq2seq, 1-layer GRU encoder (hidden 9), 1-layer GRU decoder (hidden 9), bahdanau attention, vocabularies 14 / 13; ")]
    [InlineData("luong_general", "wrote {0}: seq2seq, 2-layer bidirectional GRU encoder (hidden 7), 2-layer GRU decoder (hidden 14), general attention with input feeding, vocabularies 30 / 28; ")]
    public void ConvertWithConfig_ThenTranslate_LikeTheReferenceModel(string name, string summary)
    {
        using var w = Seq2SeqWorkspace.For(name);
        CliResult convert = CliHarness.Run("convert", w.StateDict, "-o", w.Output, "--config", w.Config).Succeeded();
        Assert.StartsWith(string.Format(CultureInfo.InvariantCulture, summary, w.Output), convert.Out);
        Assert.EndsWith(" bytes\n", convert.Out);

        string reference = Path.Combine(Fixtures.Directory("seq2seq"), name + ".frnn");
        foreach (string text in new[] { "abcdefg", "jihg", "a" })
        {
            foreach (string beam in new[] { "1", "3" })
            {
                string expected = CliHarness.Run("translate", "--model", reference, "--beam", beam, text).Succeeded().Out;
                Assert.Equal(expected, CliHarness.Run("translate", "--model", w.Output, "--beam", beam, text).Succeeded().Out);
            }
        }
    }

    [Fact]
    public void BadConfigContent_IsBadInput()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        File.WriteAllText(w.Config, File.ReadAllText(w.Config).Replace("\"bridge\"", "\"bridg\""));
        CliHarness.Run("convert", w.StateDict, "-o", w.Output, "--config", w.Config).Failed(2, "unknown key 'architecture.bridg'");
        Assert.False(File.Exists(w.Output));

        File.WriteAllText(w.Config, "not json");
        CliHarness.Run("convert", w.StateDict, "-o", w.Output, "--config", w.Config).Failed(2, "not valid JSON");
    }

    [Fact]
    public void StateDictThatDoesNotMatch_IsBadInput()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        JsonObject c = w.ReadConfig();
        c["tensors"]!["output"] = "dec.output";
        w.WriteConfig(c);
        CliHarness.Run("convert", w.StateDict, "-o", w.Output, "--config", w.Config).Failed(2, "tensor 'output.weight' (the output layer) is mapped to 'dec.output.weight'");
        Assert.False(File.Exists(w.Output));
    }

    [Fact]
    public void MissingConfigFile_IsBadInput()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        string missing = w.File("nope.json");
        CliHarness.Run("convert", w.StateDict, "-o", w.Output, "--config", missing).Failed(2, $"--config: {missing} does not exist");
    }

    [Fact]
    public void MissingInput_IsBadInput()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        string missing = w.File("nope.safetensors");
        CliHarness.Run("convert", missing, "-o", w.Output, "--config", w.Config).Failed(2, $"input: {missing} does not exist");
    }

    [Fact]
    public void PlainRecurrentStateDict_WithConfig_IsBadInput_AndSaysItNeedsNone()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        string rnn = Path.Combine(CliModels.ImportDirectory, "pt_gru_l2_prefix.safetensors");
        CliHarness.Run("convert", rnn, "-o", w.Output, "--config", w.Config).Failed(2, "converts without --config");
        CliHarness.Run("convert", rnn, "-o", w.Output).Succeeded();
    }

    [Theory]
    [InlineData("--keras")]
    [InlineData("--prefix", "enc")]
    [InlineData("--nonlinearity", "relu")]
    [InlineData("--gru-reset-before")]
    public void LayerOptions_DoNotCombineWithConfig(params string[] option)
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        CliHarness.Run(["convert", w.StateDict, "-o", w.Output, "--config", w.Config, .. option]).Failed(1, $"{option[0]} does not apply with --config");
    }

    [Fact]
    public void OnnxWithConfig_IsUsageError()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        CliHarness.Run("convert", w.File("model.onnx"), "-o", w.Output, "--config", w.Config).Failed(1, "--config applies to a PyTorch state dict");
    }

    [Fact]
    public void Help_DescribesConfig()
    {
        string help = CliHarness.Run("convert", "--help").Succeeded().Out;
        Assert.Contains("--config", help);
        Assert.Contains("JSON config", help);
    }
}

/// <summary>A temp folder holding a copy of one case's files (state dict, config, vocabulary files), and the output path.</summary>
internal sealed class Seq2SeqWorkspace : IDisposable
{
    private readonly TempDirectory _dir = new();

    private Seq2SeqWorkspace(string name)
    {
        StateDict = _dir.File(name + ".safetensors");
        Output = _dir.File("out.frnn");
        foreach (string file in Directory.EnumerateFiles(FixtureDirectory, name + ".*"))
            System.IO.File.Copy(file, _dir.File(Path.GetFileName(file)));
        System.IO.File.Copy(Config, Config + ".orig");
    }

    public static string FixtureDirectory => Fixtures.Directory("import-seq2seq");

    public string Config => _dir.File(Name + ".config.json");

    public string StateDict { get; }

    public string Output { get; }

    private string Name => Path.GetFileName(StateDict)[..^".safetensors".Length];

    public static Seq2SeqWorkspace For(string name) => new(name);

    public static GoldenFile Golden(string name) => GoldenFile.Read(Path.Combine(FixtureDirectory, name + ".golden.safetensors"));

    public string File(string name) => _dir.File(name);

    public JsonObject ReadConfig() => JsonNode.Parse(System.IO.File.ReadAllText(Config))!.AsObject();

    public void WriteConfig(JsonObject config) => System.IO.File.WriteAllText(Config, config.ToJsonString());

    public Seq2SeqConfig Convert() => ModelConverter.ConvertSeq2Seq(StateDict, Config, Output);

    /// <summary>The conversion fails with an <see cref="ImportException"/> and writes nothing.</summary>
    public ImportException Fails()
    {
        if (System.IO.File.Exists(Output))
            System.IO.File.Delete(Output);
        var e = Assert.Throws<ImportException>(() => Convert());
        Assert.False(System.IO.File.Exists(Output));
        return e;
    }

    /// <summary>The float tensors of the state dict, in file order.</summary>
    public List<(string Name, int[] Shape, float[] Data)> ReadStateDict()
    {
        using StateDictFile file = StateDictFile.Open(StateDict);
        return [.. file.ReadAll().Select(t => (t.Key, t.Value.Shape, t.Value.Data))];
    }

    public static byte[] Safetensors(IEnumerable<(string Name, int[] Shape, float[] Data)> tensors)
        => SafetensorsBytes.File([.. tensors.Select(t => (t.Name, "F32", t.Shape, SafetensorsBytes.Floats(t.Data)))]);

    public static byte[] Npz(IEnumerable<(string Name, int[] Shape, float[] Data)> tensors)
        => NpyBytes.Npz(false, [.. tensors.Select(t => (t.Name + ".npy", NpyBytes.Build(NpyBytes.Dict("<f4", ShapeText(t.Shape)), SafetensorsBytes.Floats(t.Data))))]);

    public void Dispose() => _dir.Dispose();

    private static string ShapeText(int[] shape) => shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
}
