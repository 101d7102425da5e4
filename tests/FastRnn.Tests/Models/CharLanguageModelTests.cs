using System.Text;
using System.Text.Json;
using FastRnn.Decoding;
using FastRnn.Format;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Models;

/// <summary>
/// The shipped model weights/char-lm.frnn (written by tools/train/train_char_lm.py through the independent Python
/// writer tools/frnn.py) against PyTorch's float64 bits per character on a slice of its validation text,
/// Fixtures/models/char-lm-validation.*, and its sampling loop.
/// </summary>
public class CharLanguageModelTests
{
    // The bar. In practice float32 against float64 differs by about 1e-5 bits/char over 4,000 characters.
    private const double Tolerance = 0.01;

    private const int GeneratedTokens = 2000, ComparedTokens = 200;
    private const ulong SamplingSeed = 7;

    private static readonly DecodingOptions Sampling = new() { Sample = true, Temperature = 0.8f, TopK = 20 };

    private static readonly string ModelPath = Fixtures.ShippedModel("char-lm.frnn");

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void BitsPerToken_OnTheValidationSlice_MatchesPyTorch(int threads)
    {
        var (text, goldenBits, characters) = Golden();
        var model = LanguageModel.Load(ModelPath);
        using var session = model.CreateSession(threads);
        Assert.Equal(threads, session.Threads);

        int[] ids = model.EncodeText(text);
        double bits = session.BitsPerToken(ids);

        Assert.Equal(characters, ids.Length);
        Assert.DoesNotContain(model.UnknownId, ids);
        Assert.True(Math.Abs(bits - goldenBits) <= Tolerance,
            $"FastRnn {bits:R} bits/char, PyTorch (float64) {goldenBits:R}, difference {Math.Abs(bits - goldenBits):E2} > {Tolerance}");
    }

    [Fact]
    public void Sample_AllocatesNothing_AndTheSameSeedRepeatsTheText()
    {
        var model = LanguageModel.Load(ModelPath);
        using var session = model.CreateSession();
        int[] prompt = model.EncodeText("Joh3:16 ");
        var generated = new int[GeneratedTokens];

        Allocations.AssertNone(() => Generate(session, prompt, SamplingSeed, generated), "sampling from the language model");
        Assert.DoesNotContain(model.UnknownId, generated);

        using var fresh = model.CreateSession();
        var again = new int[ComparedTokens];
        var otherSeed = new int[ComparedTokens];
        Generate(fresh, prompt, SamplingSeed, again);
        Generate(fresh, prompt, SamplingSeed + 1, otherSeed);
        string expected = model.DecodeText(generated.AsSpan(0, ComparedTokens));
        Assert.Equal(ComparedTokens, expected.Length);
        Assert.Equal(expected, model.DecodeText(again));
        Assert.NotEqual(expected, model.DecodeText(otherSeed));
    }

    [Fact]
    public void TwoThreads_GiveOneThreadsBits_AtEveryStep_AndAllocateNothingOnEitherThread()
    {
        var (text, _, _) = Golden();
        var model = LanguageModel.Load(ModelPath);
        using var one = model.CreateSession();
        using var two = model.CreateSession(threads: 2);
        int[] ids = model.EncodeText(text[..600]);
        foreach (int id in ids)
        {
            one.Feed(id);
            two.Feed(id);
            Assert.True(one.NextLogProbabilities.SequenceEqual(two.NextLogProbabilities), "log-probabilities on two threads differ from one thread's");
        }

        int[] prompt = model.EncodeText("Joh3:16 ");
        var generated = new int[GeneratedTokens];
        Generate(two, prompt, SamplingSeed, generated); // warm: the workers' first sleep and wake set up their wait
        long workers = two.Team.WorkerAllocatedBytes;
        Allocations.AssertNone(() => Generate(two, prompt, SamplingSeed, generated), "sampling on two threads");
        Assert.Equal(workers, two.Team.WorkerAllocatedBytes);

        var alone = new int[GeneratedTokens];
        Generate(one, prompt, SamplingSeed, alone);
        Assert.Equal(alone, generated);
        Assert.Equal(one.BitsPerToken(ids), two.BitsPerToken(ids));
    }

    [Fact]
    public void AfterBitsPerToken_TheSessionIsWhereFeedingAllButTheLastTokenLeavesIt()
    {
        var (text, _, _) = Golden();
        var model = LanguageModel.Load(ModelPath);
        using var scored = model.CreateSession();
        using var fed = model.CreateSession();
        int[] ids = model.EncodeText(text[..150]);
        scored.BitsPerToken(ids);
        fed.Feed(ids.AsSpan(0, ids.Length - 1));
        Compare.Close(fed.NextLogProbabilities, scored.NextLogProbabilities, 1e-5, "log-probabilities after BitsPerToken");
        scored.Feed(ids[^1]);
        fed.Feed(ids[^1]);
        Compare.Close(fed.NextLogProbabilities, scored.NextLogProbabilities, 1e-5, "and one token later");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(LanguageModelSession.PieceLength)]
    [InlineData(LanguageModelSession.PieceLength + 1)]
    [InlineData(3 * LanguageModelSession.PieceLength - 5)]
    public void FeedingAPrompt_AsOneSequence_MatchesFeedingItOneTokenAtATime(int length)
    {
        var (text, _, _) = Golden();
        var model = LanguageModel.Load(ModelPath);
        using var whole = model.CreateSession();
        using var single = model.CreateSession();
        int[] prompt = model.EncodeText(text[..length]);
        whole.Feed(prompt);
        foreach (int id in prompt)
            single.Feed(id);
        Compare.Close(single.NextLogProbabilities, whole.NextLogProbabilities, 1e-4, "log-probabilities after the prompt");

        // The state carries on: the next tokens, one at a time on both, still agree.
        foreach (int id in model.EncodeText(text.Substring(length, 20)))
        {
            whole.Feed(id);
            single.Feed(id);
        }
        Compare.Close(single.NextLogProbabilities, whole.NextLogProbabilities, 1e-4, "log-probabilities 20 tokens later");
    }

    [Fact]
    public void FeedingAPrompt_AndBitsPerToken_AllocateNothing()
    {
        var (text, _, _) = Golden();
        var model = LanguageModel.Load(ModelPath);
        using var session = model.CreateSession();
        int[] ids = model.EncodeText(text[..500]);
        session.Feed(ids);
        session.BitsPerToken(ids);
        Allocations.AssertNone(() =>
        {
            for (int i = 0; i < 5; i++)
            {
                session.Reset();
                session.Feed(ids);
                session.BitsPerToken(ids);
            }
        }, "feeding a prompt and measuring bits per token");
    }

    [Fact]
    public void FeedingAPrompt_WithAnIdOutsideTheVocabulary_NamesIt_AndChangesNothing()
    {
        var model = LanguageModel.Load(ModelPath);
        using var session = model.CreateSession();
        session.Feed(model.EncodeText("In the beginning"));
        float[] before = session.NextLogProbabilities.ToArray();
        int[] bad = [.. model.EncodeText("God"), model.Vocabulary.Count, 3];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => session.Feed(bad));
        Assert.Contains("token 3 is outside the vocabulary", e.Message);
        Assert.Equal(before, session.NextLogProbabilities.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => session.BitsPerToken([1, -1]));
    }

    [Fact]
    public void CreateSession_WithBadThreadCount_NamesTheLimit()
    {
        var model = LanguageModel.Load(ModelPath);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.CreateSession(threads: 0));
        Assert.Contains($"1..{RnnSession.MaxThreads}", e.Message);
    }

    [Fact]
    public void Load_ReadsTheVocabularyAndModelCardMetadata()
    {
        var model = LanguageModel.Load(ModelPath);
        using FrnnFile file = FrnnFile.Open(ModelPath);

        Assert.Equal(TokenizerKind.Character, model.Tokenizer);
        Assert.Equal("<unk>", model.Vocabulary[model.UnknownId]);
        Assert.Equal("char-lm", file.GetString("model.name"));
        Assert.Equal("character language modelling", file.GetString("model.task"));
    }

    /// <summary>From the zero state: feeds the prompt, then samples each next token and feeds it back.</summary>
    private static void Generate(LanguageModelSession session, int[] prompt, ulong seed, Span<int> output)
    {
        session.Reset();
        session.Seed(seed);
        foreach (int id in prompt)
            session.Feed(id);
        for (int i = 0; i < output.Length; i++)
        {
            int next = session.Sample(Sampling);
            output[i] = next;
            session.Feed(next);
        }
    }

    internal static (string Text, double BitsPerChar, int Characters) Golden()
    {
        string folder = Fixtures.Directory("models");
        // The model was trained on \n line ends, and .NET counts "\r\n" as one text element (one token): undo a CRLF
        // checkout so the slice is the text PyTorch scored.
        string text = File.ReadAllText(Path.Combine(folder, "char-lm-validation.txt"), Encoding.UTF8).ReplaceLineEndings("\n");
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "char-lm-validation.json")));
        JsonElement root = json.RootElement;
        return (text, root.GetProperty("bits_per_char").GetDouble(), root.GetProperty("characters").GetInt32());
    }

}
