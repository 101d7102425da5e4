using FastRnn.Decoding;
using FastRnn.Streaming;
using FastRnn.Tests.Decoding;

namespace FastRnn.Tests.Streaming;

/// <summary>
/// 4,000 seeded random operations — start a greedy, sampling or beam request with a random source, close a random
/// request (finished or not), step — on a <see cref="Seq2SeqPool"/> and on a plain model of it: each request decoded
/// alone by its own <see cref="Seq2SeqDecoder"/> (checked against PyTorch by <see cref="Seq2SeqParityTests"/>). After
/// every operation the two agree on which requests are open, running and finished and how many rows are free; after
/// every step each greedy request's tokens so far are the alone decoding's first tokens, and each beam finishes at the
/// step the alone search does, with the same hypotheses.
/// </summary>
/// <remarks>Scores within 1e-4, tokens equal: see <see cref="Seq2SeqPoolTests"/> for why.</remarks>
public class Seq2SeqPoolRandomOperationTests
{
    private const int Operations = 4_000, Capacity = 9, MaxBeam = 3, MaxLength = 9;

    [Theory]
    [InlineData("bahdanau_2015", 21)]
    [InlineData("luong_general", 22)]
    public void RandomOperations_AgreeWithEachRequestDecodedAlone(string name, int seed)
    {
        var (model, _) = Seq2SeqParityTests.Load(name);
        Seq2SeqConfig c = model.Config;
        var random = new Random(seed);
        using var pool = new Seq2SeqPool(model, Capacity, MaxBeam, maxOutputLength: MaxLength);
        using var alone = model.CreateDecoder(MaxBeam, MaxLength);
        var live = new Dictionary<StreamHandle, Expected>();
        int steps = 0, finished = 0;
        for (int op = 0; op < Operations; op++)
        {
            int roll = random.Next(100);
            if (roll < 30)
            {
                int[] source = [.. Enumerable.Range(0, random.Next(1, c.MaxSourceLength + 1)).Select(_ => random.Next(c.SourceVocabularySize))];
                int kind = random.Next(3);
                Expected expected = kind == 2 ? AloneBeam(alone, source, random.Next(1, MaxBeam + 1)) : AloneGreedy(alone, source, kind == 1, (ulong)op);
                int free = Capacity - live.Values.Where(e => !e.Finished).Sum(e => e.Rows);
                bool started = expected.Beam is { } beam
                    ? pool.TryStartBeam(source, beam, out StreamHandle request)
                    : pool.TryStart(source, expected.Greedy!, out request);
                Assert.Equal(expected.Rows <= free && live.Count < Capacity, started);
                if (started)
                    live.Add(request, expected);
            }
            else if (roll < 45 && live.Count > 0)
            {
                StreamHandle request = live.Keys.ElementAt(random.Next(live.Count));
                pool.Close(request);
                live.Remove(request);
                Assert.False(pool.IsOpen(request));
            }
            else
            {
                pool.Step();
                steps++;
                foreach (var (request, expected) in live)
                {
                    if (expected.Finished)
                        continue;
                    expected.Steps++;
                    Check(pool, request, expected, $"{name} op {op}");
                    if (expected.Finished)
                        finished++;
                }
            }

            Assert.Equal(live.Count, pool.OpenCount);
            Assert.Equal(live.Values.Count(e => !e.Finished), pool.RunningCount);
            Assert.Equal(Capacity - live.Values.Where(e => !e.Finished).Sum(e => e.Rows), pool.FreeRows);
            foreach (var (request, expected) in live)
                Assert.Equal(expected.Finished, pool.IsFinished(request));
        }
        Assert.True(steps > 1_000 && finished > 300, $"only {steps} steps and {finished} finished requests: the operations did not exercise the pool");
    }

    private static void Check(Seq2SeqPool pool, StreamHandle request, Expected expected, string what)
    {
        if (expected.Beam is null)
        {
            int count = Math.Min(expected.Steps, expected.Tokens.Length);
            Assert.True(expected.Tokens.AsSpan(0, count).SequenceEqual(pool.Tokens(request)),
                $"{what}: greedy tokens [{string.Join(",", pool.Tokens(request).ToArray())}], alone [{string.Join(",", expected.Tokens[..count])}]");
            if (expected.Finished)
                Assert.True(Math.Abs(expected.Score - pool.Score(request)) <= 1e-4, $"{what}: score {pool.Score(request)}, alone {expected.Score}");
            return;
        }
        Assert.Equal(expected.Finished ? expected.Results.Length : 0, pool.BeamResultCount(request));
        if (!expected.Finished)
            return;
        for (int r = 0; r < expected.Results.Length; r++)
        {
            ReadOnlySpan<int> tokens = pool.GetBeamResult(request, r, out float raw, out float normalized);
            var (aloneTokens, aloneRaw, aloneNormalized) = expected.Results[r];
            Assert.True(aloneTokens.AsSpan().SequenceEqual(tokens), $"{what}: beam rank {r} [{string.Join(",", tokens.ToArray())}], alone [{string.Join(",", aloneTokens)}]");
            Assert.True(Math.Abs(aloneRaw - raw) <= 1e-4 && Math.Abs(aloneNormalized - normalized) <= 1e-4, $"{what}: beam rank {r} scores {raw}, {normalized}; alone {aloneRaw}, {aloneNormalized}");
        }
    }

    private static Expected AloneGreedy(Seq2SeqDecoder alone, int[] source, bool sample, ulong seed)
    {
        var options = sample ? new DecodingOptions { Sample = true, TopK = 4, MaxLength = MaxLength, Seed = seed } : DecodingOptions.Greedy(MaxLength);
        alone.Encode(source);
        var tokens = new int[MaxLength];
        int n = alone.Decode(options, tokens, out float score);
        return new Expected { Greedy = options, Tokens = tokens[..n], Score = score, Rows = 1 };
    }

    private static Expected AloneBeam(Seq2SeqDecoder alone, int[] source, int k)
    {
        var options = new BeamOptions { BeamSize = k, NBest = Math.Min(2, k), MaxLength = MaxLength, Penalty = LengthPenalty.Average, Alpha = 0.7f };
        alone.Encode(source);
        alone.BeginBeam(options);
        int stepCount = 0;
        while (alone.AdvanceBeam())
            stepCount++;
        var results = new (int[], float, float)[alone.BeamResultCount];
        for (int r = 0; r < results.Length; r++)
            results[r] = (alone.GetBeamResult(r, out float raw, out float normalized).ToArray(), raw, normalized);
        return new Expected { Beam = options, Results = results, BeamSteps = stepCount, Rows = k };
    }

    private sealed class Expected
    {
        public DecodingOptions? Greedy { get; init; }
        public BeamOptions? Beam { get; init; }
        public int[] Tokens { get; init; } = [];
        public float Score { get; init; }
        public (int[] Tokens, float Raw, float Normalized)[] Results { get; init; } = [];
        public int BeamSteps { get; init; }
        public int Rows { get; init; }

        /// <summary>Steps taken since it started (the first is the one that encodes it).</summary>
        public int Steps { get; set; }

        public bool Finished => Beam is null ? Steps >= Tokens.Length : Steps >= BeamSteps;
    }
}
