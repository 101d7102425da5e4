using System.Numerics.Tensors;
using FastRnn.Decoding;
using FastRnn.Streaming;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Streaming;

/// <summary>
/// Generation requests with different prompts, options and seeds, joining and leaving the shipped character model's
/// <see cref="LanguageModelPool"/> at different steps, give the tokens each gives alone in a
/// <see cref="LanguageModelSession"/> with the same seed.
/// </summary>
/// <remarks>
/// The pool's batched products differ from the session's one-stream products in the last bits (another summation
/// order), so equal tokens are expected, not guaranteed: a draw that lands within float rounding of a boundary between
/// two tokens could go either way. Over these 1,300 tokens none does; a bookkeeping error (a request fed another's
/// token, state or generator) changes the text within a few tokens.
/// </remarks>
public class LanguageModelPoolTests
{
    private static readonly string ModelPath = Fixtures.ShippedModel("char-lm.frnn");

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Requests_JoiningAndLeavingAtDifferentSteps_GenerateWhatEachGeneratesAlone(int threads)
    {
        var model = LanguageModel.Load(ModelPath);
        (string Prompt, DecodingOptions Options, int JoinAt)[] requests =
        [
            ("In the beginning ", new DecodingOptions { Sample = true, Temperature = 0.8f, MaxLength = 120, Seed = 1 }, 0),
            ("And", new DecodingOptions { Sample = true, TopK = 5, MaxLength = 90, Seed = 2 }, 0),
            ("The LORD is my shepherd", new DecodingOptions { MaxLength = 60 }, 3),
            ("\n", new DecodingOptions { Sample = true, TopP = 0.9f, Temperature = 1.2f, MaxLength = 200, Seed = 3 }, 10),
            ("Blessed are", new DecodingOptions { Sample = true, Temperature = 0.6f, TopK = 20, TopP = 0.95f, MaxLength = 150, Seed = 4 }, 40),
            ("a", new DecodingOptions { Sample = true, MaxLength = 1, Seed = 5 }, 41),
            ("For God so loved the world, that he gave ", new DecodingOptions { Sample = true, MaxLength = 180, Seed = 6 }, 55),
            ("x", new DecodingOptions { Sample = true, Temperature = 0.9f, MaxLength = 200, Seed = 7 }, 130),
            ("Thou shalt", new DecodingOptions { Sample = true, Temperature = 0.7f, MaxLength = 200, Seed = 8 }, 131),
            ("And it came to pass", new DecodingOptions { MaxLength = 99, Sample = true, Seed = 9 }, 132),
        ];
        using var pool = new LanguageModelPool(model, capacity: 6, maxTokens: 200, threads);
        var prompts = requests.Select(r => (ReadOnlyMemory<int>)model.EncodeText(r.Prompt)).ToArray();
        var handles = new StreamHandle?[requests.Length];
        var results = new int[requests.Length][];
        int done = 0;
        for (int step = 0; done < requests.Length; step++)
        {
            for (int r = 0; r < requests.Length; r++)
            {
                if (handles[r] is { } h && pool.IsFinished(h))
                {
                    results[r] = pool.Tokens(h).ToArray();
                    pool.Close(h);
                    handles[r] = null;
                    done++;
                }
            }
            for (int r = 0; r < requests.Length; r++)
            {
                // Join at the planned step, or as soon after it as a slot is free.
                if (results[r] is null && handles[r] is null && step >= requests[r].JoinAt && pool.OpenCount < pool.Capacity)
                    handles[r] = pool.Start(prompts[r], requests[r].Options);
            }
            pool.Step();
            Assert.True(step < 10_000, "the requests never finished");
        }

        for (int r = 0; r < requests.Length; r++)
        {
            int[] alone = Alone(model, prompts[r].Span, requests[r].Options);
            Assert.True(alone.SequenceEqual(results[r]),
                $"request {r}, {threads} thread(s): pool \"{model.DecodeText(results[r])}\" but alone \"{model.DecodeText(alone)}\"");
        }
    }

    [Fact]
    public void Misuse_GetsAnExceptionNamingTheProblem()
    {
        var model = LanguageModel.Load(ModelPath);
        using var pool = new LanguageModelPool(model, capacity: 1, maxTokens: 8);
        var options = new DecodingOptions { Sample = true, MaxLength = 8 };
        Assert.Contains("at least one token", Assert.Throws<ArgumentException>(() => pool.Start(Array.Empty<int>(), options)).Message);
        Assert.Contains("outside the vocabulary", Assert.Throws<ArgumentOutOfRangeException>(() => pool.Start(new[] { 1, 100_000 }, options)).Message);
        Assert.Contains("maxTokens", Assert.Throws<ArgumentOutOfRangeException>(() => pool.Start(new[] { 1 }, options with { MaxLength = 9 })).Message);
        Assert.Contains("Temperature", Assert.Throws<ArgumentOutOfRangeException>(() => pool.Start(new[] { 1 }, options with { Temperature = 0 })).Message);
        StreamHandle h = pool.Start(new[] { 1 }, options);
        Assert.Throws<InvalidOperationException>(() => pool.Start(new[] { 1 }, options));
        pool.Close(h);
        Assert.Throws<InvalidOperationException>(() => pool.Tokens(h).Length);
        Assert.Contains("threads must be 1..", Assert.Throws<ArgumentOutOfRangeException>(() => new LanguageModelPool(model, 1, 8, threads: 0)).Message);
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.Step());
    }

    // What `fastrnn generate` does: seed, feed the prompt, then sample (or take the argmax) and feed each token.
    private static int[] Alone(LanguageModel model, ReadOnlySpan<int> prompt, DecodingOptions options)
    {
        using LanguageModelSession session = model.CreateSession();
        session.Seed(options.Seed);
        foreach (int token in prompt)
            session.Feed(token);
        var tokens = new int[options.MaxLength];
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = options.Sample ? session.Sample(options) : TensorPrimitives.IndexOfMax(session.NextLogProbabilities);
            if (i + 1 < tokens.Length)
                session.Feed(tokens[i]);
        }
        return tokens;
    }
}
