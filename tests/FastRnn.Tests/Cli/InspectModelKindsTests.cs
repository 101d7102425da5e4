using System.Text.Json;
using FastRnn.Format;

namespace FastRnn.Tests.Cli;

/// <summary>
/// <c>inspect</c> describes every kind of model the engine loads. What it reports is checked against the file's own
/// metadata, read here through <see cref="FrnnFile"/>, not against the tool's formatting code.
/// </summary>
public class InspectModelKindsTests
{
    private static string Shipped(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string path = Path.Combine(dir.FullName, "weights", name);
            if (File.Exists(path))
                return path;
        }
        throw new FileNotFoundException($"weights/{name} not found above the test output");
    }

    [Fact]
    public void Inspect_ShippedDateNormalizer_DescribesTheSeq2SeqModel()
    {
        string path = Shipped("date-normalizer.frnn");
        CliResult text = CliHarness.Run("inspect", path).Succeeded();
        using var file = FrnnFile.Open(path);
        string encoder = file.GetBool("seq2seq.encoder.bidirectional") ? "bidirectional GRU encoder" : "GRU encoder";
        Assert.Contains($"architecture: seq2seq: {file.GetInt64("seq2seq.encoder.num_layers")}-layer {encoder} (hidden {file.GetInt64("seq2seq.encoder.hidden_size")})", text.Out);

        using JsonDocument json = JsonDocument.Parse(CliHarness.Run("inspect", path, "--json").Succeeded().Out);
        JsonElement root = json.RootElement, arch = root.GetProperty("architecture");
        Assert.Equal("seq2seq", root.GetProperty("model").GetString());
        Assert.Equal(file.GetString("seq2seq.encoder.kind"), arch.GetProperty("encoder_kind").GetString());
        Assert.Equal(file.GetInt64("seq2seq.encoder.hidden_size"), arch.GetProperty("encoder_hidden_size").GetInt64());
        Assert.Equal(file.GetInt64("seq2seq.decoder.hidden_size"), arch.GetProperty("decoder_hidden_size").GetInt64());
        Assert.Equal(file.GetString("seq2seq.attention"), arch.GetProperty("attention").GetString());
        Assert.Equal(file.GetStringArray("seq2seq.src_vocab").Length, arch.GetProperty("source_vocab_size").GetInt32());
        Assert.Equal(file.GetStringArray("seq2seq.tgt_vocab").Length, arch.GetProperty("target_vocab_size").GetInt32());
        Assert.Equal(file.Tensors.Count, root.GetProperty("tensors").GetArrayLength());
    }

    [Fact]
    public void Inspect_ShippedCharacterModel_DescribesTheLanguageModel()
    {
        string path = Shipped("char-lm.frnn");
        CliResult text = CliHarness.Run("inspect", path).Succeeded();
        using var file = FrnnFile.Open(path);
        int vocabulary = file.GetStringArray("lm.vocab").Length;
        Assert.Contains($"architecture: language model: {file.GetInt64("rnn.num_layers")}-layer LSTM, input {file.GetInt64("rnn.input_size")}, hidden {file.GetInt64("rnn.hidden_size")}", text.Out);
        Assert.Contains($"vocabulary {vocabulary}, character tokens", text.Out);

        using JsonDocument json = JsonDocument.Parse(CliHarness.Run("inspect", path, "--json").Succeeded().Out);
        JsonElement root = json.RootElement, arch = root.GetProperty("architecture");
        Assert.Equal("lm", root.GetProperty("model").GetString());
        Assert.Equal(vocabulary, arch.GetProperty("vocab_size").GetInt32());
        Assert.Equal(file.GetString("lm.tokenizer"), arch.GetProperty("tokenizer").GetString());
        Assert.Equal(file.GetInt64("rnn.hidden_size"), arch.GetProperty("rnn").GetProperty("hidden_size").GetInt64());
    }

    [Fact]
    public void Inspect_ShippedSineModel_StillDescribesTheRecurrentStack()
    {
        using JsonDocument json = JsonDocument.Parse(CliHarness.Run("inspect", Shipped("sine-lstm.frnn"), "--json").Succeeded().Out);
        Assert.Equal("rnn", json.RootElement.GetProperty("model").GetString());
        Assert.Equal("lstm", json.RootElement.GetProperty("architecture").GetProperty("kind").GetString());
    }

    [Fact]
    public void Inspect_UnknownArchitecture_IsBadDataNamingTheKeyAndValue()
    {
        using var dir = new TempDirectory();
        var writer = new FrnnWriter();
        writer.AddMetadata("fastrnn.architecture", "transformer");
        writer.AddTensor("w", [2], [1f, 2f]);
        string path = dir.File("other.frnn");
        writer.Save(path);
        CliHarness.Run("inspect", path).Failed(2, $"{path}: metadata 'fastrnn.architecture': expected \"rnn\", \"seq2seq\" or \"lm\", actual \"transformer\"");
    }
}
