using System.Diagnostics;
using FastRnn.Decoding;
using FastRnn.Streaming;
using FastRnn.Tests.Decoding;
using FastRnn.Tests.Models;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Streaming;

/// <summary>
/// The thread-safe front of the seq2seq pool: many threads translating at once each get their own request's answer —
/// the right date for every one of the shipped date normaliser's 2,000 held-out dates, and PyTorch's tokens and
/// scores (float64 goldens of tools/seq2seq_reference.py, held to the parity tests' 1e-4) for greedy and beam requests
/// mixed —, no call allocates, a lone request waits MaxWait at most, and disposing answers every caller.
/// </summary>
public class Seq2SeqBatcherTests
{
    private static readonly string DateModelPath = Fixtures.ShippedModel("date-normalizer.frnn");

    [Fact]
    public void SixtyFourProducerThreads_EachGetTheirOwnDates_WithoutAllocating()
    {
        const int producers = 64, windows = 3;
        var model = Seq2SeqModel.Load(DateModelPath);
        var lines = DateNormalizerTests.TestSet();
        var options = DecodingOptions.Greedy(maxLength: 16);
        using var batcher = new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { Capacity = 32, Workers = 2, MaxOutputLength = 16 });
        int[][] sources = [.. lines.Select(line => model.EncodeText(line.Input))];
        var outputs = new string[lines.Count];
        const int warmUp = 4;
        // Producer p translates dates p, p + 64, …: the first few warm up, the rest in three measured windows.
        int[][] mine = [.. Enumerable.Range(0, producers).Select(p => Enumerable.Range(0, lines.Count).Where(i => i % producers == p).ToArray())];
        int perWindow = (mine.Min(m => m.Length) - warmUp) / windows;
        var tokens = new int[producers][];
        void TranslateRange(int p, int from, int to)
        {
            for (int k = from; k < to; k++)
            {
                TranslationResult result = batcher.Translate(sources[mine[p][k]], options, tokens[p]);
                outputs[mine[p][k]] = model.DecodeText(tokens[p].AsSpan(0, result.Length));
            }
        }

        var (allocated, workers) = ProducerWindows.Run(producers, windows,
            warmUp: p =>
            {
                tokens[p] = new int[16];
                TranslateRange(p, 0, warmUp);
            },
            // DecodeText allocates the answer's string: the windows time the calls alone, and the dates come after.
            window: (p, w) =>
            {
                for (int k = warmUp + w * perWindow; k < warmUp + (w + 1) * perWindow; k++)
                    batcher.Translate(sources[mine[p][k]], options, tokens[p]);
            },
            finish: p => TranslateRange(p, warmUp, mine[p].Length),
            () => batcher.WorkerAllocatedBytes);

        Assert.All(allocated, bytes => Assert.Equal(0, bytes));
        Assert.Equal(0, workers);
        var wrong = lines.Select((line, i) => (line, Output: outputs[i])).Where(x => x.Output != x.line.Expected)
            .Select(x => $"\"{x.line.Input}\" -> {x.Output} ({x.line.Expected})").ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {lines.Count} dates wrong through the batcher: {string.Join("; ", wrong.Take(10))}");
    }

    public static IEnumerable<object[]> Cases() => Seq2SeqParityTests.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task AwaitedGreedyAndBeamRequests_FromManyLoops_MatchPyTorch(string name)
    {
        var (model, golden) = Seq2SeqParityTests.Load(name);
        int n = golden.Tensors["src"].Shape[0], greedyWidth = golden.Tensors["greedy_tokens"].Shape[1];
        var greedy = DecodingOptions.Greedy(maxLength: 12);
        BeamOptions beam = Seq2SeqParityTests.BeamSetting(golden, "a") with { NBest = 1 };
        int width = golden.Tensors["beam_a_tokens"].Shape[2], nBest = golden.Tensors["beam_a_tokens"].Shape[1];
        // Rows for one beam and two greedy requests per worker: requests queue for rows, and join as others finish.
        using var batcher = new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions
        {
            Capacity = 2 * (beam.BeamSize + 2), Workers = 2, MaxBeam = beam.BeamSize, MaxOutputLength = 32,
        });

        async Task Check(int i, bool isBeam)
        {
            var tokens = new int[32];
            int[] source = Seq2SeqParityTests.Source(golden, i);
            TranslationResult result = isBeam
                ? await batcher.TranslateBeamAsync(source, beam, tokens)
                : await batcher.TranslateAsync(source, greedy, tokens);
            string what = $"{name} source {i} {(isBeam ? "beam" : "greedy")}";
            int[] expected = isBeam
                ? Seq2SeqParityTests.Padded(golden["beam_a_tokens"].AsSpan(i * nBest * width, width))
                : Seq2SeqParityTests.Padded(golden["greedy_tokens"].AsSpan(i * greedyWidth, greedyWidth));
            double score = isBeam ? golden["beam_a_raw"][i * nBest] : golden["greedy_score"][i];
            Assert.True(expected.AsSpan().SequenceEqual(tokens.AsSpan(0, result.Length)), $"{what}: tokens [{string.Join(",", tokens[..result.Length])}] expected [{string.Join(",", expected)}]");
            Assert.True(Math.Abs(score - result.Score) <= 1e-4, $"{what}: score {result.Score}, expected {score}");
        }

        await Task.WhenAll(Enumerable.Range(0, 2 * n).Select(j => Task.Run(() => Check(j / 2, isBeam: j % 2 == 0))));
    }

    [Fact]
    public async Task AwaitedCalls_AllocateNothing()
    {
        const int loops = 16, calls = 40, warmUp = 8;
        var model = Seq2SeqModel.Load(DateModelPath);
        var options = DecodingOptions.Greedy(maxLength: 16);
        int[][] sources = [.. DateNormalizerTests.TestSet().Take(loops).Select(line => model.EncodeText(line.Input))];
        using var batcher = new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { Capacity = loops, MaxOutputLength = 16 });
        var allocated = new long[loops];

        async Task Loop(int p)
        {
            var tokens = new int[16];
            for (int k = 0; k < calls; k++)
            {
                // The call itself, on whichever thread the loop is on now; the answer comes from the worker.
                long before = GC.GetAllocatedBytesForCurrentThread();
                ValueTask<TranslationResult> call = batcher.TranslateAsync(sources[p], options, tokens);
                if (k >= warmUp)
                    allocated[p] += GC.GetAllocatedBytesForCurrentThread() - before;
                await call;
            }
        }

        await Task.WhenAll(Enumerable.Range(0, loops).Select(p => Task.Run(() => Loop(p))));
        Assert.All(allocated, bytes => Assert.Equal(0, bytes));
    }

    [Fact]
    public void ALoneRequest_WaitsMaxWaitForOthers_ThenDecodes()
    {
        var model = Seq2SeqModel.Load(DateModelPath);
        var maxWait = TimeSpan.FromMilliseconds(30);
        using var batcher = new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { Capacity = 4, MaxOutputLength = 16, MaxWait = maxWait });
        var tokens = new int[16];
        var (input, expected) = DateNormalizerTests.TestSet()[0];

        var watch = Stopwatch.StartNew();
        TranslationResult result = batcher.Translate(model.EncodeText(input), DecodingOptions.Greedy(16), tokens);
        Assert.InRange(watch.Elapsed, maxWait, TimeSpan.FromSeconds(10));
        Assert.Equal(expected, model.DecodeText(tokens.AsSpan(0, result.Length)));
    }

    [Fact]
    public async Task MaxBatchRequests_StartAnIdleWorker_WithoutWaitingForMore()
    {
        var model = Seq2SeqModel.Load(DateModelPath);
        using var batcher = new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { Capacity = 4, MaxBatch = 2, MaxOutputLength = 16, MaxWait = TimeSpan.FromMinutes(1) });
        var options = DecodingOptions.Greedy(16);
        ValueTask<TranslationResult> first = batcher.TranslateAsync(model.EncodeText(DateNormalizerTests.TestSet()[2].Input), options, new int[16]);
        ValueTask<TranslationResult> second = batcher.TranslateAsync(model.EncodeText(DateNormalizerTests.TestSet()[3].Input), options, new int[16]);
        await first.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await second.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Dispose_AnswersTheRequestsAlreadySubmitted_AndRefusesLaterOnes()
    {
        var model = Seq2SeqModel.Load(DateModelPath);
        var batcher = new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { Capacity = 4, MaxOutputLength = 16, MaxWait = TimeSpan.FromMinutes(1) });
        var tokens = new int[16];
        var options = DecodingOptions.Greedy(16);
        var (input, expected) = DateNormalizerTests.TestSet()[1];
        Task<TranslationResult> pending = batcher.TranslateAsync(model.EncodeText(input), options, tokens).AsTask();
        Assert.False(pending.IsCompleted); // waiting for others, for up to a minute

        batcher.Dispose();
        TranslationResult result = await pending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(expected, model.DecodeText(tokens.AsSpan(0, result.Length)));
        Assert.Throws<ObjectDisposedException>(() => batcher.Translate(model.EncodeText(input), options, tokens));
        batcher.Dispose();
    }

    [Fact]
    public async Task Dispose_WakesABlockingCallerWaitingForAPlace_WithObjectDisposed()
    {
        var model = Seq2SeqModel.Load(DateModelPath);
        var batcher = new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { Capacity = 4, MaxPending = 1, MaxOutputLength = 16, MaxWait = TimeSpan.FromMinutes(1) });
        var options = DecodingOptions.Greedy(16);
        var (input, expected) = DateNormalizerTests.TestSet()[4];
        var tokens = new int[16];
        // The one place is held until this task's result is taken.
        ValueTask<TranslationResult> holding = batcher.TranslateAsync(model.EncodeText(input), options, tokens);
        int[] source = model.EncodeText(input);
        Task<Exception?> blocked = Task.Run<Exception?>(() => Record.Exception(() => batcher.Translate(source, options, new int[16])));
        await Task.Delay(50);
        Assert.False(blocked.IsCompleted); // waiting for the place

        batcher.Dispose();
        Assert.IsType<ObjectDisposedException>(await blocked.WaitAsync(TimeSpan.FromSeconds(10)));
        TranslationResult result = await holding.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(expected, model.DecodeText(tokens.AsSpan(0, result.Length)));
    }

    [Fact]
    public async Task ABeamNeedingEveryRow_QueuedBehindGreedyRequests_StartsOnceTheyFinish()
    {
        var model = Seq2SeqModel.Load(DateModelPath);
        using var batcher = new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { Capacity = 3, MaxBeam = 3, MaxOutputLength = 16, MaxBatch = 4, MaxWait = TimeSpan.FromMilliseconds(20) });
        var lines = DateNormalizerTests.TestSet();
        var outputs = new int[4][];
        var tasks = new Task<TranslationResult>[4];
        for (int i = 0; i < 4; i++)
        {
            outputs[i] = new int[16];
            int[] source = model.EncodeText(lines[10 + i].Input);
            tasks[i] = i == 1
                ? batcher.TranslateBeamAsync(source, new BeamOptions { BeamSize = 3, MaxLength = 16 }, outputs[i]).AsTask()
                : batcher.TranslateAsync(source, DecodingOptions.Greedy(16), outputs[i]).AsTask();
        }
        // MaxBatch requests start the idle worker at once; the beam waits for all three rows, the last two greedy ones
        // behind it (once the first finishes the worker is idle again and waits out MaxWait from the first submission).
        TranslationResult[] results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));
        for (int i = 0; i < 4; i++)
            Assert.Equal(lines[10 + i].Expected, model.DecodeText(outputs[i].AsSpan(0, results[i].Length)));
    }

    [Fact]
    public async Task AnAwaitedResultTakenBeforeItCompletes_IsRefused_AndTheRequestKeepsItsPlace()
    {
        var model = Seq2SeqModel.Load(DateModelPath);
        var batcher = new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { Capacity = 4, MaxPending = 1, MaxOutputLength = 16, MaxWait = TimeSpan.FromMinutes(1) });
        var options = DecodingOptions.Greedy(16);
        var (input, expected) = DateNormalizerTests.TestSet()[5];
        var tokens = new int[16];
        ValueTask<TranslationResult> pending = batcher.TranslateAsync(model.EncodeText(input), options, tokens);
        ValueTask<TranslationResult> early = pending;

        // ValueTask.Result on a pooled source that has not completed: a misuse, refused; the place must stay taken.
        Assert.Contains("exactly once", Assert.Throws<InvalidOperationException>(() => early.Result).Message);
        Assert.Contains("MaxPending", Assert.Throws<InvalidOperationException>(() => batcher.TranslateAsync(model.EncodeText(input), options, new int[16])).Message);

        batcher.Dispose(); // answers the request waiting for others
        TranslationResult result = await pending.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(expected, model.DecodeText(tokens.AsSpan(0, result.Length)));
    }

    [Fact]
    public async Task AnAwaitedResultTakenTwice_IsRefused_AndLaterRequestsGetTheirOwnAnswers()
    {
        var model = Seq2SeqModel.Load(DateModelPath);
        using var batcher = new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { Capacity = 4, MaxPending = 2, MaxOutputLength = 16 });
        var options = DecodingOptions.Greedy(16);
        var lines = DateNormalizerTests.TestSet();
        ValueTask<TranslationResult> first = batcher.TranslateAsync(model.EncodeText(lines[6].Input), options, new int[16]);
        ValueTask<TranslationResult> copy = first;
        await first;

        // The second take of the same task: refused, and its place is not handed out twice.
        Assert.Contains("exactly once", Assert.Throws<InvalidOperationException>(() => copy.Result).Message);
        var outputs = new[] { new int[16], new int[16] };
        ValueTask<TranslationResult> a = batcher.TranslateAsync(model.EncodeText(lines[7].Input), options, outputs[0]);
        ValueTask<TranslationResult> b = batcher.TranslateAsync(model.EncodeText(lines[8].Input), options, outputs[1]);
        Assert.Contains("MaxPending", Assert.Throws<InvalidOperationException>(() => batcher.TranslateAsync(model.EncodeText(lines[9].Input), options, new int[16])).Message);
        TranslationResult ra = await a, rb = await b;
        Assert.Equal(lines[7].Expected, model.DecodeText(outputs[0].AsSpan(0, ra.Length)));
        Assert.Equal(lines[8].Expected, model.DecodeText(outputs[1].AsSpan(0, rb.Length)));
    }

    [Fact]
    public void Misuse_GetsAnExceptionNamingTheProblem()
    {
        var model = Seq2SeqModel.Load(DateModelPath);
        using var batcher = new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { Capacity = 4, MaxBeam = 2, MaxPending = 2, MaxOutputLength = 16, MaxWait = TimeSpan.FromMinutes(1) });
        int[] source = model.EncodeText(DateNormalizerTests.TestSet()[0].Input);
        var options = DecodingOptions.Greedy(16);
        Assert.Contains("room for 8 tokens", Assert.Throws<ArgumentException>(() => batcher.Translate(source, options, new int[8])).Message);
        Assert.Contains("outside the source vocabulary", Assert.Throws<ArgumentException>(() => batcher.Translate([model.Config.SourceVocabularySize], options, new int[16])).Message);
        Assert.Contains("source is empty", Assert.Throws<ArgumentException>(() => batcher.Translate([], options, new int[16])).Message);
        Assert.Contains("MaxBeam", Assert.Throws<ArgumentOutOfRangeException>(() => batcher.TranslateBeam(source, new BeamOptions { BeamSize = 3, MaxLength = 16 }, new int[16])).Message);

        // Two places: two requests wait for others (a minute), the third awaited call is refused.
        ValueTask<TranslationResult> a = batcher.TranslateAsync(source, options, new int[16]);
        ValueTask<TranslationResult> b = batcher.TranslateAsync(source, options, new int[16]);
        Assert.Contains("MaxPending", Assert.Throws<InvalidOperationException>(() => batcher.TranslateAsync(source, options, new int[16])).Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { Workers = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { Capacity = 4, MaxBeam = 5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Seq2SeqBatcher(model, new Seq2SeqBatcherOptions { MaxWait = TimeSpan.FromSeconds(-1) }));
        GC.KeepAlive(a);
        GC.KeepAlive(b);
    }
}
