using FastRnn.Decoding;
using FastRnn.Streaming;
using FastRnn.Tests.Decoding;
using FastRnn.Tests.Models;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Streaming;

/// <summary>
/// Requests joining and leaving a <see cref="Seq2SeqPool"/> at different steps, greedy and beam mixed, give what the
/// reference gives each source alone: PyTorch's tokens and scores (float64 goldens from tools/seq2seq_reference.py, the
/// same as <see cref="Seq2SeqParityTests"/>) for every architecture in Fixtures/seq2seq, and the right date for the
/// shipped date normaliser's 2,000 held-out dates.
/// </summary>
/// <remarks>
/// Scores are held to the parity tests' 1e-4: the pool's batched products sum in another order than a lone source's,
/// which moves a score by float32 rounding only. Tokens must be equal: a bookkeeping error (a row fed another request's
/// token, state, h̃ or attention memory) changes them within a step or two.
/// </remarks>
public class Seq2SeqPoolTests
{
    private static readonly string DateModelPath = Fixtures.ShippedModel("date-normalizer.frnn");

    public static IEnumerable<object[]> Cases() => Seq2SeqParityTests.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Greedy_RequestsJoiningAtDifferentSteps_MatchPyTorch(string name)
    {
        var (model, golden) = Seq2SeqParityTests.Load(name);
        int n = golden.Tensors["src"].Shape[0], width = golden.Tensors["greedy_tokens"].Shape[1];
        var options = DecodingOptions.Greedy(maxLength: 12);
        var jobs = Enumerable.Range(0, n).Select(i => new Job(Seq2SeqParityTests.Source(golden, i), options, null, JoinAt: i)).ToArray();

        // Three rows for more sources than that: requests wait for rows, and join as others finish.
        using var pool = new Seq2SeqPool(model, capacity: 3, maxOutputLength: 32);
        Result[] results = Drive(pool, jobs);

        for (int i = 0; i < n; i++)
        {
            Assert.Equal(Seq2SeqParityTests.Padded(golden["greedy_tokens"].AsSpan(i * width, width)), results[i].Tokens);
            Assert.True(Math.Abs(golden["greedy_score"][i] - results[i].Score) <= 1e-4, $"{name} source {i}: score {results[i].Score}, expected {golden["greedy_score"][i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BeamAndGreedyRequestsTogether_MatchPyTorch(string name)
    {
        var (model, golden) = Seq2SeqParityTests.Load(name);
        int n = golden.Tensors["src"].Shape[0], greedyWidth = golden.Tensors["greedy_tokens"].Shape[1];
        var greedy = DecodingOptions.Greedy(maxLength: 12);
        foreach (string setting in new[] { "a", "b" })
        {
            BeamOptions beam = Seq2SeqParityTests.BeamSetting(golden, setting);
            // Each source twice, as a beam and as a greedy request, joining two per step: rows for two beams and some
            // greedy requests at a time, so beams wait for rows too.
            var jobs = Enumerable.Range(0, 2 * n)
                .Select(j => new Job(Seq2SeqParityTests.Source(golden, j / 2), j % 2 == 0 ? null : greedy, j % 2 == 0 ? beam : null, JoinAt: j / 4))
                .ToArray();
            using var pool = new Seq2SeqPool(model, capacity: 2 * beam.BeamSize + 3, maxBeam: beam.BeamSize, maxOutputLength: 32);
            Result[] results = Drive(pool, jobs);

            var shape = golden.Tensors[$"beam_{setting}_tokens"].Shape;
            int nBest = shape[1], width = shape[2];
            for (int i = 0; i < n; i++)
            {
                Result b = results[2 * i], g = results[2 * i + 1];
                Assert.Equal(Seq2SeqParityTests.Padded(golden["greedy_tokens"].AsSpan(i * greedyWidth, greedyWidth)), g.Tokens);
                Assert.Equal(nBest, b.Beam.Length);
                for (int r = 0; r < nBest; r++)
                {
                    string what = $"{name} beam {setting} source {i} rank {r}";
                    int[] expected = Seq2SeqParityTests.Padded(golden[$"beam_{setting}_tokens"].AsSpan((i * nBest + r) * width, width));
                    Assert.True(expected.SequenceEqual(b.Beam[r].Tokens), $"{what}: tokens [{string.Join(",", b.Beam[r].Tokens)}] expected [{string.Join(",", expected)}]");
                    Assert.True(Math.Abs(golden[$"beam_{setting}_raw"][i * nBest + r] - b.Beam[r].Raw) <= 1e-4, $"{what}: raw {b.Beam[r].Raw}");
                    Assert.True(Math.Abs(golden[$"beam_{setting}_normalized"][i * nBest + r] - b.Beam[r].Normalized) <= 1e-4, $"{what}: normalized {b.Beam[r].Normalized}");
                }
                Assert.Equal(b.Beam[0].Tokens, b.Tokens);
            }
        }
    }

    [Fact]
    public void DateNormalizer_SixtyFourRequestsAtATime_NormaliseEveryHeldOutDate()
    {
        var model = Seq2SeqModel.Load(DateModelPath);
        var lines = DateNormalizerTests.TestSet();
        var options = DecodingOptions.Greedy(maxLength: 16);
        // 40 join at each step (three encoder batches per step), as many as rows are free.
        var jobs = lines.Select((line, i) => new Job(model.EncodeText(line.Input), options, null, JoinAt: i / 40)).ToArray();

        using var pool = new Seq2SeqPool(model, capacity: 64, maxOutputLength: 16);
        Result[] results = Drive(pool, jobs);

        var wrong = lines.Select((line, i) => (line, Output: model.DecodeText(results[i].Tokens)))
            .Where(x => x.Output != x.line.Expected).Select(x => $"\"{x.line.Input}\" -> {x.Output} ({x.line.Expected})").ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {lines.Count} dates wrong through the pool: {string.Join("; ", wrong.Take(10))}");
    }

    [Fact]
    public void TwoIntraOpThreads_GiveTheSameTokensAndScoresAsOne()
    {
        var model = Seq2SeqModel.Load(DateModelPath);
        var options = DecodingOptions.Greedy(maxLength: 16);
        var beam = new BeamOptions { BeamSize = 3, NBest = 2, MaxLength = 16 };
        var jobs = DateNormalizerTests.TestSet().Take(120)
            .Select((line, i) => new Job(model.EncodeText(line.Input), i % 3 == 0 ? null : options, i % 3 == 0 ? beam : null, JoinAt: i / 6)).ToArray();

        using var one = new Seq2SeqPool(model, capacity: 48, maxBeam: 3, maxOutputLength: 16);
        using var two = new Seq2SeqPool(model, capacity: 48, maxBeam: 3, maxOutputLength: 16, threads: 2);
        Result[] a = Drive(one, jobs), b = Drive(two, jobs);

        // Threads split every product by panels and never change a sum's order: the results are the same bits.
        for (int i = 0; i < jobs.Length; i++)
        {
            Assert.Equal(a[i].Tokens, b[i].Tokens);
            Assert.Equal(a[i].Score, b[i].Score);
            Assert.Equal(a[i].Beam.Length, b[i].Beam.Length);
            for (int r = 0; r < a[i].Beam.Length; r++)
            {
                Assert.Equal(a[i].Beam[r].Tokens, b[i].Beam[r].Tokens);
                Assert.Equal(a[i].Beam[r].Raw, b[i].Beam[r].Raw);
                Assert.Equal(a[i].Beam[r].Normalized, b[i].Beam[r].Normalized);
            }
        }
    }

    [Fact]
    public void SteadyState_StartStepAndClose_AllocateNothing()
    {
        var model = Seq2SeqModel.Load(DateModelPath);
        int[][] sources = [.. DateNormalizerTests.TestSet().Take(12).Select(line => model.EncodeText(line.Input))];
        var greedy = DecodingOptions.Greedy(maxLength: 16);
        var sampled = new DecodingOptions { Sample = true, TopK = 3, MaxLength = 16, Seed = 7 };
        var beam = new BeamOptions { BeamSize = 3, NBest = 2, MaxLength = 16 };
        using var pool = new Seq2SeqPool(model, capacity: 20, maxBeam: 3, maxOutputLength: 16); // 8 greedy rows and 4 beams of 3
        var open = new StreamHandle[sources.Length];

        Allocations.AssertNone(() =>
        {
            for (int round = 0; round < 50; round++)
            {
                for (int i = 0; i < sources.Length; i++)
                {
                    open[i] = (i % 3) switch
                    {
                        0 => pool.Start(sources[i], greedy),
                        1 => pool.Start(sources[i], sampled),
                        _ => pool.StartBeam(sources[i], beam),
                    };
                    if (i % 4 == 0)
                        pool.Step(); // join at different steps
                }
                while (pool.RunningCount > 0)
                    pool.Step();
                foreach (StreamHandle request in open)
                {
                    if (pool.IsOpen(request))
                        pool.Close(request);
                }
            }
        }, "Seq2SeqPool start, step and close");
    }

    [Fact]
    public void Misuse_GetsAnExceptionNamingTheProblem()
    {
        var model = Seq2SeqModel.Load(DateModelPath);
        using var pool = new Seq2SeqPool(model, capacity: 3, maxBeam: 2, maxOutputLength: 16);
        int[] source = model.EncodeText("30 Nov 2026");
        var greedy = DecodingOptions.Greedy(16);

        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => pool.Start([], greedy)).Message);
        Assert.Contains("at most", Assert.Throws<ArgumentException>(() => pool.Start(new int[model.Config.MaxSourceLength + 1], greedy)).Message);
        Assert.Contains("outside the source vocabulary", Assert.Throws<ArgumentException>(() => pool.Start([1, -3], greedy)).Message);
        Assert.Contains("maxBeam", Assert.Throws<ArgumentOutOfRangeException>(() => pool.StartBeam(source, new BeamOptions { BeamSize = 3 })).Message);
        Assert.Contains("MaxLength", Assert.Throws<ArgumentOutOfRangeException>(() => pool.Start(source, DecodingOptions.Greedy(0))).Message);

        StreamHandle beam = pool.StartBeam(source, new BeamOptions { BeamSize = 2, MaxLength = 16 });
        StreamHandle one = pool.Start(source, greedy);
        Assert.Equal(0, pool.FreeRows);
        Assert.False(pool.TryStart(source, greedy, out _));
        Assert.Contains("free rows", Assert.Throws<InvalidOperationException>(() => pool.Start(source, greedy)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.GetBeamResult(beam, 0, out _, out _)); // not finished yet

        pool.Close(one);
        Assert.Contains("not open", Assert.Throws<InvalidOperationException>(() => pool.Tokens(one)).Message);
        Assert.Contains("not open", Assert.Throws<InvalidOperationException>(() => pool.Close(one)).Message);
        Assert.Throws<InvalidOperationException>(() => pool.IsFinished(default));

        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.Step());
        Assert.Throws<ObjectDisposedException>(() => pool.Start(source, greedy));
    }

    [Fact]
    public void Capacities_OutOfRange_AreRefused()
    {
        var model = Seq2SeqModel.Load(DateModelPath);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Seq2SeqPool(model, capacity: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Seq2SeqPool(model, capacity: 4, maxBeam: 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Seq2SeqPool(model, capacity: 4, maxOutputLength: 0));
        Assert.Contains("larger than one array", Assert.Throws<ArgumentOutOfRangeException>(() => new Seq2SeqPool(model, capacity: 1 << 16, maxOutputLength: 1 << 16)).Message);
    }

    /// <summary>One request: its source, greedy or beam options, and the step from which it tries to join.</summary>
    internal sealed record Job(int[] Source, DecodingOptions? Greedy, BeamOptions? Beam, int JoinAt);

    internal sealed record Hypothesis(int[] Tokens, float Raw, float Normalized);

    internal sealed record Result(int[] Tokens, float Score, Hypothesis[] Beam);

    /// <summary>
    /// Steps the pool until every job is done: a job starts at its step, or at the first step after it with rows free
    /// (jobs start in order), and its result is read and closed as soon as it has finished.
    /// </summary>
    internal static Result[] Drive(Seq2SeqPool pool, Job[] jobs)
    {
        var handles = new StreamHandle?[jobs.Length];
        var results = new Result?[jobs.Length];
        int next = 0, done = 0;
        for (int step = 0; done < jobs.Length; step++)
        {
            for (int j = 0; j < next; j++)
            {
                if (handles[j] is { } h && pool.IsFinished(h))
                {
                    var beam = new Hypothesis[pool.BeamResultCount(h)];
                    for (int r = 0; r < beam.Length; r++)
                        beam[r] = new Hypothesis(pool.GetBeamResult(h, r, out float raw, out float normalized).ToArray(), raw, normalized);
                    results[j] = new Result(pool.Tokens(h).ToArray(), pool.Score(h), beam);
                    pool.Close(h);
                    handles[j] = null;
                    done++;
                }
            }
            while (next < jobs.Length && jobs[next].JoinAt <= step)
            {
                Job job = jobs[next];
                bool started = job.Beam is { } b ? pool.TryStartBeam(job.Source, b, out StreamHandle s) : pool.TryStart(job.Source, job.Greedy!, out s);
                if (!started)
                    break;
                handles[next++] = s;
            }
            pool.Step();
            Assert.True(step < 100_000, "the requests never finished");
        }
        return [.. results.Select(r => r!)];
    }
}
