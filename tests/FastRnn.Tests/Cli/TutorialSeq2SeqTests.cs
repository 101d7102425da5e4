using FastRnn.Decoding;
using FastRnn.Tests.Support;
using CliProgram = FastRnn.Cli.Program;

namespace FastRnn.Tests.Cli;

/// <summary>
/// A model trained as PyTorch's translation tutorial trains it (its EncoderRNN / AttnDecoderRNN classes, EOS appended
/// to every source, no PAD or UNK), converted with the config of docs/seq2seq.md and run through <c>fastrnn
/// translate</c>: every output must be the tutorial's own <c>evaluate</c> output. Fixtures/seq2seq-tutorial, from
/// tools/gen_tutorial_seq2seq_fixture.py (PyTorch 1.13, goldens in float64).
/// </summary>
public sealed class TutorialSeq2SeqTests : IDisposable
{
    private const int MaxLength = 10; // the tutorial decodes MAX_LENGTH steps
    private static readonly string Folder = Fixtures.Directory("seq2seq-tutorial");
    private readonly TempDirectory _dir = new();
    private readonly string _model;

    public TutorialSeq2SeqTests()
    {
        _model = _dir.File("tutorial.frnn");
        CliHarness.Run("convert", Path.Combine(Folder, "tutorial.safetensors"), "-o", _model, "--config", Path.Combine(Folder, "tutorial.config.json"))
            .Succeeded();
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Translate_OfEveryHeldOutSentence_IsTheTutorialsEvaluateOutput()
    {
        string[][] pairs = Pairs();
        string stdin = string.Join("\n", pairs.Select(p => p[0])) + "\n";
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliProgram.Run(["translate", "--model", _model, "--max-length", MaxLength.ToString()], new StringReader(stdin), stdout, stderr);

        Assert.Equal(0, code);
        Assert.Equal("", stderr.ToString());
        Assert.Equal(pairs.Select(p => p[1]), stdout.ToString().TrimEnd('\n').Split('\n'));
        Assert.Equal(pairs[0][1] + "\n", CliHarness.Run("translate", pairs[0][0], "--model", _model).Succeeded().Out);
    }

    [Fact]
    public void EncodeText_AppendsEos_AsTheTutorialFramesASource()
    {
        var model = Seq2SeqModel.Load(_model);
        Assert.Equal(1, model.Config.SourceEosId);
        Assert.Null(model.Config.SourceBosId);
        Assert.Null(model.Config.UnkId);
        Assert.Null(model.Config.PadId);
        SafetensorsFile golden = Golden();
        string[][] pairs = Pairs();
        int width = golden.Tensors["src"].Shape[1];
        for (int i = 0; i < pairs.Length; i++)
            Assert.Equal(Ids(golden["src"].AsSpan(i * width, width)), model.EncodeText(pairs[i][0]));
    }

    [Fact]
    public void TeacherForcedLogProbabilitiesAndAttention_MatchPyTorch()
    {
        var model = Seq2SeqModel.Load(_model);
        SafetensorsFile golden = Golden();
        using var decoder = model.CreateDecoder(maxOutputLength: MaxLength);
        int n = golden.Tensors["src"].Shape[0], t = golden.Tensors["out"].Shape[1], v = model.Config.TargetVocabularySize;
        for (int i = 0; i < n; i++)
        {
            int[] source = Ids(golden["src"].AsSpan(i * MaxLength, MaxLength)), target = Ids(golden["out"].AsSpan(i * t, t));
            decoder.Encode(source);
            var logProbs = new float[target.Length * v];
            var attention = new float[target.Length * source.Length];
            decoder.Score(target, logProbs, attention);
            Compare.Close(golden["tf_logprobs"].AsSpan(i * t * v, target.Length * v), logProbs, 1e-4, $"sentence {i} log-probs");
            for (int step = 0; step < target.Length; step++)
            {
                Compare.Close(golden["tf_attention"].AsSpan((i * t + step) * MaxLength, source.Length), attention.AsSpan(step * source.Length, source.Length),
                    1e-4, $"sentence {i} step {step} attention");
            }
        }
    }

    [Fact]
    public void UnknownWords_WithoutAnUnkToken_AreLeftOut_AndNamed()
    {
        string[] pair = Pairs()[0]; // "je suis content ."
        CliResult result = CliHarness.Run("translate", pair[0].Replace("suis", "suis vraiment"), "--model", _model);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("fastrnn: warning: text: word 'vraiment' not in the source vocabulary of tutorial.frnn; left out\n", result.Error);
        Assert.Equal(pair[1] + "\n", result.Out);
        CliHarness.Run("translate", "vraiment", "--model", _model)
            .Failed(2, "text: word 'vraiment' not in the source vocabulary of tutorial.frnn; nothing is left to translate");
        Assert.Empty(Seq2SeqModel.Load(_model).EncodeText("vraiment tellement"));
    }

    [Fact]
    public void Inspect_ShowsTheSourceFraming()
    {
        string text = CliHarness.Run("inspect", _model).Succeeded().Out;
        Assert.Contains("architecture: seq2seq: 1-layer GRU encoder (hidden 32), 1-layer GRU decoder (hidden 32), bahdanau attention", text);
        Assert.Contains("whitespace tokens, sources framed: EOS (id 1) appended\n", text);
        Assert.Matches(@"\n  seq2seq\.src_eos_id +1\n", text);

        using var json = System.Text.Json.JsonDocument.Parse(CliHarness.Run("inspect", _model, "--json").Succeeded().Out);
        System.Text.Json.JsonElement architecture = json.RootElement.GetProperty("architecture");
        Assert.Equal("seq2seq", architecture.GetProperty("kind").GetString());
        Assert.Equal(1, architecture.GetProperty("src_eos_id").GetInt32());
        Assert.False(architecture.TryGetProperty("src_bos_id", out _));
    }

    [Fact]
    public void Inspect_OfASeq2SeqModelWithoutFraming_SaysSourcesAreTakenAsGiven()
        => Assert.Contains("sources framed: as given\n",
            CliHarness.Run("inspect", Path.Combine(Fixtures.Directory("seq2seq"), "tutorial.frnn")).Succeeded().Out);

    [Theory]
    [InlineData("\"src_eos_id\": 1", "\"src_eos_id\": 27", "'vocabulary.src_eos_id' is 27, but the source vocabulary has 27 tokens (ids 0..26)")]
    [InlineData("\"src_eos_id\": 1", "\"src_eos_id\": \"EOS\"", "vocabulary.src_eos_id")]
    [InlineData("\"bos_id\": 0", "\"bos_id\": 0, \"src_bos_id\": -1", "vocabulary.src_bos_id")]
    public void Convert_WithABadFramingId_IsBadInput_NamingTheKey(string from, string to, string message)
    {
        string config = _dir.File("bad.config.json");
        string text = File.ReadAllText(Path.Combine(Folder, "tutorial.config.json"));
        Assert.Contains(from, text);
        File.WriteAllText(config, text.Replace(from, to));
        CliHarness.Run("convert", Path.Combine(Folder, "tutorial.safetensors"), "-o", _dir.File("bad.frnn"), "--config", config).Failed(2, message);
    }

    private static string[][] Pairs()
        => [.. File.ReadAllLines(Path.Combine(Folder, "tutorial.pairs.tsv")).Select(line => line.Split('\t'))];

    private static SafetensorsFile Golden() => SafetensorsFile.Read(Path.Combine(Folder, "tutorial.golden.safetensors"));

    private static int[] Ids(ReadOnlySpan<float> padded) => [.. Decoding.Seq2SeqParityTests.Ints(padded).TakeWhile(id => id >= 0)];
}
