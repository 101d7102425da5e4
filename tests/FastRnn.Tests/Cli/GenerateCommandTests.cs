using FastRnn.Decoding;
using FastRnn.Format;

namespace FastRnn.Tests.Cli;

/// <summary>
/// <c>fastrnn generate</c> on a tiny random character LSTM language model written by the test (the shipped model is
/// not needed): what is printed, reproducibility by seed, and the speed report on stderr.
/// </summary>
public sealed class GenerateCommandTests : IDisposable
{
    // Single characters only, so the number of characters printed is the number of tokens; id 0 is UNK.
    private static readonly string[] Vocabulary = ["~", "\n", " ", "a", "b", "c", "d", "e", "f", "g", "h"];
    private const int Embedding = 5, Hidden = 7;

    private readonly TempDirectory _dir = new();
    private readonly string _model;

    public GenerateCommandTests()
    {
        _model = _dir.File("tiny-lm.frnn");
        WriteLanguageModel(_model, seed: 20240917);
    }

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(57)]
    [InlineData(200)]
    public void PrintsTheRequestedNumberOfCharacters_ThenANewline(int tokens)
    {
        CliResult result = Generate("--tokens", tokens.ToString(), "--seed", "5");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(tokens + 1, result.Out.Length);
        Assert.EndsWith("\n", result.Out);
        Assert.All(result.Out[..^1], c => Assert.Contains(c.ToString(), Vocabulary));
    }

    [Fact]
    public void DefaultsAreTwoHundredTokensFromANewlineWithSeedZero()
    {
        string defaults = Generate().Out;
        Assert.Equal(201, defaults.Length);
        Assert.Equal(defaults, Generate("--tokens", "200", "--seed", "0", "--prompt", "\n").Out);
    }

    [Fact]
    public void SameSeed_GivesTheSameText_AndADifferentSeedAnotherText()
    {
        string first = Generate("--seed", "42", "--prompt", "abc").Out;
        Assert.Equal(first, Generate("--seed", "42", "--prompt", "abc").Out);
        Assert.NotEqual(first, Generate("--seed", "43", "--prompt", "abc").Out);
        Assert.NotEqual(first, Generate("--seed", "42", "--prompt", "abd").Out);
    }

    [Theory]
    [InlineData("ab", 1f, 0, 1f, 7UL)]
    [InlineData("hello?", 0.7f, 4, 0.9f, 12345678901234UL)]
    [InlineData("\n", 1.8f, 0, 0.5f, 0UL)]
    public void Text_IsWhatTheEnginesOwnSamplingLoopDraws(string prompt, float temperature, int topK, float topP, ulong seed)
    {
        var model = LanguageModel.Load(_model);
        using var session = model.CreateSession();
        session.Seed(seed);
        session.Feed(model.EncodeText(prompt)); // the prompt as one sequence, as the command feeds it
        var options = new DecodingOptions { Sample = true, Temperature = temperature, TopK = topK, TopP = topP };
        var drawn = new List<int>();
        for (int i = 0; i < 80; i++)
        {
            drawn.Add(session.Sample(options));
            session.Feed(drawn[^1]);
        }

        CliResult result = Generate("--prompt", prompt, "--tokens", "80", "--temperature", temperature.ToString("R"),
            "--top-k", topK.ToString(), "--top-p", topP.ToString("R"), "--seed", seed.ToString());
        Assert.Equal(model.DecodeText([.. drawn]) + "\n", result.Out);
    }

    [Fact]
    public void TwoThreads_GiveTheSameText()
    {
        string one = Generate("--seed", "9", "--prompt", "abc", "--tokens", "300").Out;
        CliResult two = Generate("--seed", "9", "--prompt", "abc", "--tokens", "300", "--threads", "2");
        Assert.Equal(0, two.ExitCode);
        Assert.Equal(one, two.Out);
    }

    [Fact]
    public void TopKOne_IsGreedy_WhateverTheSeed()
    {
        var model = LanguageModel.Load(_model);
        using var session = model.CreateSession();
        var greedy = new List<int>();
        session.Feed(model.EncodeText("cab"));
        for (int i = 0; i < 60; i++)
        {
            ReadOnlySpan<float> logProbs = session.NextLogProbabilities;
            int best = 0;
            for (int id = 1; id < logProbs.Length; id++)
            {
                if (logProbs[id] > logProbs[best])
                    best = id;
            }
            greedy.Add(best);
            session.Feed(best);
        }
        string expected = model.DecodeText([.. greedy]) + "\n";

        foreach (string seed in new[] { "0", "1", "99", "18446744073709551615" })
            Assert.Equal(expected, Generate("--prompt", "cab", "--tokens", "60", "--top-k", "1", "--temperature", "3", "--seed", seed).Out);
    }

    [Fact]
    public void ReportsTokensPerSecondOnStderr_OnlyTheTextOnStdout()
    {
        CliResult result = Generate("--tokens", "30");
        Assert.Equal(0, result.ExitCode);
        string[] lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Matches(@"^generated 30 tokens in [0-9.]+ ms: [0-9,]+ tokens/s", lines[0]);
        Assert.DoesNotContain("tokens/s", result.Out);
    }

    [Fact]
    public void UnknownPromptCharacters_AreFedAsUnk()
        => Assert.Equal(Generate("--prompt", "~~", "--seed", "3").Out, Generate("--prompt", "XY", "--seed", "3").Out);

    [Theory]
    [InlineData("--tokens", "0", "--tokens must be 1 to 1,000,000, got 0")]
    [InlineData("--tokens", "1000001", "--tokens must be 1 to 1,000,000, got 1,000,001")]
    [InlineData("--temperature", "0", "--temperature must be positive")]
    [InlineData("--temperature", "-1", "--temperature must be positive")]
    [InlineData("--top-k", "-1", "--top-k must be 0 (off) or positive")]
    [InlineData("--top-p", "0", "--top-p must be in (0, 1]")]
    [InlineData("--top-p", "1.5", "--top-p must be in (0, 1]")]
    [InlineData("--seed", "-1", "-1")]
    [InlineData("--threads", "0", "--threads must be in 1..")]
    public void BadOptions_AreUsageErrors(string option, string value, string message)
        => Generate(option, value).Failed(1, message);

    [Fact]
    public void EmptyPrompt_IsBadData()
        => Generate("--prompt", "").Failed(2, "--prompt: the prompt has no tokens");

    [Fact]
    public void MissingModel_OrASeq2SeqModel_IsBadInput()
    {
        CliHarness.Run("generate", "--model", _dir.File("absent.frnn")).Failed(2, "--model: ");
        string seq2seq = Path.Combine(Support.Fixtures.Directory("seq2seq"), "tutorial.frnn");
        CliHarness.Run("generate", "--model", seq2seq).Failed(2, "tutorial.frnn: ");
    }

    [Fact]
    public void Help_SaysTheSeedIsFixedByDefault()
    {
        string help = CliHarness.Run("generate", "--help").Succeeded().Out;
        Assert.Contains("Fixed by default", help);
        Assert.Contains("char-lm.frnn", help);
    }

    private CliResult Generate(params string[] options) => CliHarness.Run(["generate", "--model", _model, .. options]);

    // A one-layer LSTM language model with seeded random weights; the output layer is scaled up so the distribution
    // over the next character is far from uniform and depends on the context.
    internal static void WriteLanguageModel(string path, int seed)
    {
        int v = Vocabulary.Length;
        var random = new Random(seed);
        float[] Uniform(int count, float scale) => [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale)];

        var writer = new FrnnWriter();
        writer.AddMetadata("fastrnn.architecture", "lm");
        writer.AddMetadata("rnn.kind", "lstm");
        writer.AddMetadata("rnn.input_size", (long)Embedding);
        writer.AddMetadata("rnn.hidden_size", (long)Hidden);
        writer.AddMetadata("rnn.num_layers", 1L);
        writer.AddMetadata("rnn.proj_size", 0L);
        writer.AddMetadata("rnn.bidirectional", false);
        writer.AddMetadata("rnn.bias", true);
        writer.AddMetadata("rnn.gru_reset_after", true);
        writer.AddMetadata("rnn.nonlinearity", "tanh");
        writer.AddMetadata("lm.vocab", Vocabulary);
        writer.AddMetadata("lm.unk_id", 0L);
        writer.AddMetadata("lm.tokenizer", "char");
        writer.AddTensor("embedding.weight", [v, Embedding], Uniform(v * Embedding, 1.5f));                 // (V, E)
        writer.AddTensor("rnn.weight_ih_l0", [4 * Hidden, Embedding], Uniform(4 * Hidden * Embedding, 0.8f)); // (4H, E)
        writer.AddTensor("rnn.weight_hh_l0", [4 * Hidden, Hidden], Uniform(4 * Hidden * Hidden, 0.8f));       // (4H, H)
        writer.AddTensor("rnn.bias_ih_l0", [4 * Hidden], Uniform(4 * Hidden, 0.4f));                          // (4H)
        writer.AddTensor("rnn.bias_hh_l0", [4 * Hidden], Uniform(4 * Hidden, 0.4f));                          // (4H)
        writer.AddTensor("output.weight", [v, Hidden], Uniform(v * Hidden, 3f));                              // (V, H)
        writer.AddTensor("output.bias", [v], Uniform(v, 0.5f));                                               // (V)
        writer.Save(path);
    }
}
