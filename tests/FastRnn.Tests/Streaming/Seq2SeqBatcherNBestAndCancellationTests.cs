using System.Diagnostics;
using FastRnn.Decoding;
using FastRnn.Streaming;
using FastRnn.Tests.Decoding;
using FastRnn.Tests.Models;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Streaming;

/// <summary>
/// The batcher's n-best answers and cancellation: every hypothesis of a beam request, blocking or awaited, matches
/// PyTorch's (float64 goldens of tools/seq2seq_reference.py: tokens exactly, raw and normalised scores to the parity
/// tests' 1e-4); a cancelled request is refused at submission, answered at once while queued, or stopped while decoding
/// with its rows freed for the next request, whose date is then right.
/// </summary>
public class Seq2SeqBatcherNBestAndCancellationTests
{
    private static readonly string DateModelPath = Fixtures.ShippedModel("date-normalizer.frnn");

    public static IEnumerable<object[]> Cases() => Seq2SeqParityTests.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task NBestRequests_BlockingAndAwaited_GiveEveryPyTorchHypothesis(string name)
    {
        var (model, golden) = Seq2SeqParityTests.Load(name);
        using var batcher = new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { Capacity = 10, Workers = 2, MaxBeam = 5, MaxOutputLength = 32 });
        foreach (string setting in new[] { "a", "b" })
        {
            BeamOptions options = Seq2SeqParityTests.BeamSetting(golden, setting);
            var shape = golden.Tensors[$"beam_{setting}_tokens"].Shape;
            int n = shape[0], nBest = shape[1], width = shape[2];
            Assert.True(nBest > 1, $"{name} setting {setting}: the golden keeps {nBest} hypotheses; the test needs several");

            async Task Check(int i, bool awaited)
            {
                var tokens = new int[options.NBest * 32];
                var hypotheses = new TranslationHypothesis[options.NBest];
                int[] source = Seq2SeqParityTests.Source(golden, i);
                TranslationResult result = awaited
                    ? await batcher.TranslateBeamAsync(source, options, tokens, hypotheses)
                    : batcher.TranslateBeam(source, options, tokens, hypotheses);
                string what = $"{name} beam {setting} source {i} ({(awaited ? "awaited" : "blocking")})";
                Assert.Equal(nBest, result.Hypotheses);
                Assert.Equal(hypotheses[0].Length, result.Length);
                Assert.Equal(hypotheses[0].Score, result.Score);
                int start = 0;
                for (int r = 0; r < nBest; r++)
                {
                    TranslationHypothesis h = hypotheses[r];
                    int[] expected = Seq2SeqParityTests.Padded(golden[$"beam_{setting}_tokens"].AsSpan((i * nBest + r) * width, width));
                    Assert.Equal(start, h.Start);
                    Assert.True(expected.AsSpan().SequenceEqual(tokens.AsSpan(h.Start, h.Length)),
                        $"{what} rank {r}: tokens [{string.Join(",", tokens[h.Start..(h.Start + h.Length)])}] expected [{string.Join(",", expected)}]");
                    Assert.True(Math.Abs(golden[$"beam_{setting}_raw"][i * nBest + r] - h.Score) <= 1e-4, $"{what} rank {r}: raw {h.Score}");
                    Assert.True(Math.Abs(golden[$"beam_{setting}_normalized"][i * nBest + r] - h.NormalizedScore) <= 1e-4, $"{what} rank {r}: normalized {h.NormalizedScore}");
                    start += h.Length;
                }
            }

            await Task.WhenAll(Enumerable.Range(0, 2 * n).Select(j => Task.Run(() => Check(j / 2, awaited: j % 2 == 0))));
        }
    }

    [Fact]
    public void NBestBuffers_TooSmall_AreRefusedNamingWhatIsNeeded()
    {
        var model = Seq2SeqModel.Load(DateModelPath);
        using var batcher = new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { Capacity = 4, MaxBeam = 3, MaxOutputLength = 16 });
        int[] source = model.EncodeText(DateNormalizerTests.TestSet()[0].Input);
        var options = new BeamOptions { BeamSize = 3, NBest = 3, MaxLength = 16 };
        Assert.Contains("room for 2", Assert.Throws<ArgumentException>(() => batcher.TranslateBeam(source, options, new int[48], new TranslationHypothesis[2])).Message);
        Assert.Contains("48 in all", Assert.Throws<ArgumentException>(() => batcher.TranslateBeam(source, options, new int[47], new TranslationHypothesis[3])).Message);
        Assert.Contains("room for 1", Assert.Throws<ArgumentException>(() => batcher.TranslateBeamAsync(source, options, new int[48], new TranslationHypothesis[1])).Message);
    }

    [Fact]
    public async Task ACancelledToken_IsRefusedAtSubmission_WithoutTakingAPlace()
    {
        var model = Seq2SeqModel.Load(DateModelPath);
        using var batcher = new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { Capacity = 2, MaxPending = 1, MaxOutputLength = 16 });
        var (input, expected) = DateNormalizerTests.TestSet()[3];
        int[] source = model.EncodeText(input);
        var options = DecodingOptions.Greedy(16);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Throws<OperationCanceledException>(() => batcher.Translate(source, options, new int[16], cancelled.Token));
        Assert.Throws<OperationCanceledException>(() => batcher.TranslateAsync(source, options, new int[16], cancelled.Token));
        Assert.Throws<OperationCanceledException>(() => batcher.TranslateBeam(source, new BeamOptions { BeamSize = 1, MaxLength = 16 }, new int[16], cancelled.Token));

        // The one place is still free.
        var tokens = new int[16];
        TranslationResult result = await batcher.TranslateAsync(source, options, tokens).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(expected, model.DecodeText(tokens.AsSpan(0, result.Length)));
    }

    [Fact]
    public async Task AQueuedRequest_Cancelled_IsAnsweredAtOnce_AndTheOthersKeepTheirPlaces()
    {
        var model = Seq2SeqModel.Load(DateModelPath);
        // An idle worker waits a minute for more requests: the three below stay queued until the batcher is disposed.
        var batcher = new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { Capacity = 4, MaxOutputLength = 16, MaxWait = TimeSpan.FromMinutes(1) });
        var lines = DateNormalizerTests.TestSet();
        var options = DecodingOptions.Greedy(16);
        var outputs = new[] { new int[16], new int[16], new int[16] };
        using var cancel = new CancellationTokenSource();
        Task<TranslationResult> first = batcher.TranslateAsync(model.EncodeText(lines[20].Input), options, outputs[0]).AsTask();
        Task<TranslationResult> second = batcher.TranslateAsync(model.EncodeText(lines[21].Input), options, outputs[1], cancel.Token).AsTask();
        Task<TranslationResult> third = batcher.TranslateAsync(model.EncodeText(lines[22].Input), options, outputs[2]).AsTask();

        cancel.Cancel();
        var canceled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(cancel.Token, canceled.CancellationToken);
        Assert.True(second.IsCanceled);
        Assert.False(first.IsCompleted || third.IsCompleted, "the other requests must still wait for MaxWait");

        batcher.Dispose(); // decodes what is queued
        TranslationResult[] results = await Task.WhenAll(first, third).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(lines[20].Expected, model.DecodeText(outputs[0].AsSpan(0, results[0].Length)));
        Assert.Equal(lines[22].Expected, model.DecodeText(outputs[2].AsSpan(0, results[1].Length)));
    }

    [Fact]
    public void ADecodingRequest_Cancelled_StopsAtTheNextStep_AndFreesItsRowForTheNext()
    {
        const int length = 40_000;
        var model = Seq2SeqModel.Load(DateModelPath);
        // One row: a request queued behind a long one starts only once the long one has left.
        using var batcher = new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { Capacity = 1, MaxPending = 3, MaxOutputLength = length, MaxWait = TimeSpan.Zero });
        var lines = DateNormalizerTests.TestSet();
        int[] longSource = model.EncodeText(lines[30].Input);
        var forced = new DecodingOptions { MinLength = length, MaxLength = length }; // no EOS before the limit
        var tokens = new int[length];

        // How long the long request takes when it runs to its end, on this machine and ISA now.
        var watch = Stopwatch.StartNew();
        Assert.Equal(length, batcher.Translate(longSource, forced, tokens).Length);
        TimeSpan whole = watch.Elapsed;

        // Threads of their own, not the thread pool's: a timer, task or continuation queued behind other tests could
        // come too late. The next request waits behind the long one for the only row.
        using var cancel = new CancellationTokenSource();
        Exception? failure = null;
        var next = new int[length];
        TranslationResult result = default;
        var stopped = new Thread(() => failure = Record.Exception(() => batcher.Translate(longSource, forced, tokens, cancel.Token)));
        stopped.Start();
        while (batcher.Load == 0)
            Thread.Yield();
        var after = new Thread(() => result = batcher.Translate(model.EncodeText(lines[31].Input), DecodingOptions.Greedy(16), next));
        after.Start();
        Thread.Sleep(whole / 10);
        watch.Restart();
        cancel.Cancel();
        Assert.True(stopped.Join(TimeSpan.FromSeconds(60)));
        TimeSpan toStop = watch.Elapsed;
        Assert.True(after.Join(TimeSpan.FromSeconds(60)));

        Assert.IsType<OperationCanceledException>(failure);
        Assert.Equal(lines[31].Expected, model.DecodeText(next.AsSpan(0, result.Length)));
        Assert.True(toStop < whole * 0.5, $"the cancelled request answered {toStop.TotalMilliseconds:F0} ms after its cancellation; the whole request takes {whole.TotalMilliseconds:F0} ms, and was cancelled a tenth of the way in");
    }

    [Fact]
    public async Task ABlockingCallerWaitingForAPlace_IsReleasedByItsToken()
    {
        var model = Seq2SeqModel.Load(DateModelPath);
        var batcher = new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { Capacity = 2, MaxPending = 1, MaxOutputLength = 16, MaxWait = TimeSpan.FromMinutes(1) });
        int[] source = model.EncodeText(DateNormalizerTests.TestSet()[4].Input);
        var options = DecodingOptions.Greedy(16);
        ValueTask<TranslationResult> holder = batcher.TranslateAsync(source, options, new int[16]); // takes the one place for a minute
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        var watch = Stopwatch.StartNew();
        Assert.Throws<OperationCanceledException>(() => batcher.Translate(source, options, new int[16], cancel.Token));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"released after {watch.Elapsed.TotalSeconds:F1} s");
        batcher.Dispose();
        await holder.AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    }
}
