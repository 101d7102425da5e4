using FastRnn.Streaming;
using FastRnn.Tests.Reference;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Streaming;

/// <summary>
/// Streams that join, pause and leave a <see cref="StreamPool"/> at different ticks, against the double-precision
/// <see cref="ReferenceRnn"/> run on each stream alone, and bit for bit against an <see cref="RnnSession"/> of the same
/// batch stepping the same streams.
/// </summary>
/// <remarks>
/// Bound, 1e-5 absolute: the pool's products are float32 sums over I + H_out ≤ 96 terms of weights within 1/√H and
/// activations within 1, so each sum is off the double one by a few units of 1e-7; the recurrences with PyTorch's
/// initialisation are contractive, so over the 40 steps the error does not grow past that — the bound the session
/// tests use against the same reference. A stream in a tick of n ≥ 2 streams is computed by the matrix–matrix kernel,
/// one alone by the matrix–vector kernel, which sums in another order: so a pool stream equals a one-stream session
/// only within this bound, but equals bit for bit the same stream in a session of the tick's batch, whose rows the
/// kernel computes identically whatever their position.
/// </remarks>
public class StreamPoolTests
{
    private const double Bound = 1e-5;
    private const int Ticks = 40, Streams = 6;

    [Theory]
    [MemberData(nameof(StreamModels.Configs), MemberType = typeof(StreamModels))]
    public void Streams_JoiningPausingAndLeaving_MatchEachStreamAlone(string what, RnnConfig config, bool initialState)
    {
        var random = new Random(what.Length * 31 + 7);
        var parameters = StreamModels.Parameters(config, initialState, random.Next());
        var model = RnnModel.FromPyTorch(config, parameters);
        using var pool = new StreamPool(model, capacity: 4);

        // Stream k is open from tick start[k] to end[k] and skips some ticks; at most four are open at once.
        int[] start = [0, 0, 3, 9, 17, 20], end = [18, 12, 40, 30, 40, 38];
        var handles = new StreamHandle?[Streams];
        var inputs = new List<float>[Streams];
        var outputs = new List<float>[Streams];
        for (int k = 0; k < Streams; k++)
        {
            inputs[k] = [];
            outputs[k] = [];
        }
        var sessions = new Dictionary<int, RnnSession>();
        var output = new float[pool.OutputLength];
        try
        {
            for (int tick = 0; tick < Ticks; tick++)
            {
                for (int k = 0; k < Streams; k++)
                {
                    if (tick == end[k] && handles[k] is { } done)
                    {
                        pool.Close(done);
                        handles[k] = null;
                    }
                    if (tick == start[k])
                        handles[k] = pool.Open();
                }
                var stepping = new List<int>();
                for (int k = 0; k < Streams; k++)
                {
                    if (handles[k] is not { } h || random.Next(5) == 0)
                        continue; // closed, or pausing this tick
                    float[] frame = StreamModels.Uniform(random, config.InputSize, 1.5f);
                    pool.Submit(h, frame);
                    inputs[k].AddRange(frame);
                    stepping.Add(k);
                }
                RnnSession? same = SameBatchStep(model, pool, handles, stepping, inputs, sessions);
                Assert.Equal(stepping.Count, pool.Tick());
                for (int b = 0; b < stepping.Count; b++)
                {
                    StreamHandle h = handles[stepping[b]]!.Value;
                    pool.GetOutput(h, output);
                    outputs[stepping[b]].AddRange(output);
                    AssertSameAsSessionRow(pool, h, same!, b, stepping.Count);
                }
            }
        }
        finally
        {
            foreach (RnnSession session in sessions.Values)
                session.Dispose();
        }

        for (int k = 0; k < Streams; k++)
        {
            int steps = inputs[k].Count / config.InputSize;
            Assert.True(steps > 3, $"stream {k} stepped only {steps} times");
            float[]? h0 = initialState ? parameters["initial_h"] : null;
            float[]? c0 = initialState && config.Kind == RecurrentKind.Lstm ? parameters["initial_c"] : null;
            var (y, _, _) = ReferenceRnn.Run(config, parameters, [.. inputs[k]], steps, 1, h0, c0);
            Compare.Close(y.Select(v => (float)v).ToArray(), outputs[k].ToArray(), Bound, $"{what}: stream {k}");
        }
    }

    [Fact]
    public void IntraOpThreads_GiveOneThreadsNumbers_BitForBit()
    {
        // Large enough that each tick's products are split between the threads.
        var config = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 96, HiddenSize = 160, NumLayers = 2 };
        var model = RnnModel.FromPyTorch(config, StreamModels.Parameters(config, false, 8));
        using var one = new StreamPool(model, capacity: 5);
        using var two = new StreamPool(model, capacity: 5, threads: 2);
        var random = new Random(8);
        StreamHandle[] a = [.. Enumerable.Range(0, 5).Select(_ => one.Open())], b = [.. Enumerable.Range(0, 5).Select(_ => two.Open())];
        var y1 = new float[one.OutputLength];
        var y2 = new float[two.OutputLength];
        for (int tick = 0; tick < 20; tick++)
        {
            for (int s = 0; s < 5; s++)
            {
                if ((s + tick) % 3 == 0)
                    continue;
                float[] frame = StreamModels.Uniform(random, config.InputSize, 1f);
                one.Submit(a[s], frame);
                two.Submit(b[s], frame);
            }
            Assert.Equal(one.Tick(), two.Tick());
            for (int s = 0; s < 5; s++)
            {
                one.GetOutput(a[s], y1);
                two.GetOutput(b[s], y2);
                Assert.Equal(y1, y2);
            }
        }
    }

    [Fact]
    public void Reset_ReturnsToTheModelsInitialState_AndSetStateRoundTrips()
    {
        var config = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 3, HiddenSize = 5, NumLayers = 2 };
        var parameters = StreamModels.Parameters(config, initialState: true, seed: 4);
        using var pool = new StreamPool(RnnModel.FromPyTorch(config, parameters), capacity: 3);
        StreamHandle a = pool.Open(), b = pool.Open();
        var h = new float[pool.HiddenStateLength];
        var c = new float[pool.CellStateLength];
        pool.GetState(b, h, c);
        Assert.Equal(parameters["initial_h"], h);
        Assert.Equal(parameters["initial_c"], c);

        pool.Submit(a, [1f, 2f, 3f]);
        pool.Submit(b, [-1f, 0.5f, 0f]);
        Assert.Equal(2, pool.Tick());
        pool.GetState(b, h, c);
        Assert.NotEqual(parameters["initial_h"], h);
        pool.Reset(b);
        var h2 = new float[h.Length];
        var c2 = new float[c.Length];
        pool.GetState(b, h2, c2);
        Assert.Equal(parameters["initial_h"], h2);
        Assert.Equal(parameters["initial_c"], c2);

        pool.SetState(a, h, c);
        pool.GetState(a, h2, c2);
        Assert.Equal(h, h2);
        Assert.Equal(c, c2);
        var output = new float[pool.OutputLength];
        pool.GetOutput(a, output);
        Assert.Equal(h.AsSpan(config.OutputHiddenSize).ToArray(), output); // the top layer's h
    }

    [Fact]
    public void Tick_WithNoInput_StepsNothing()
    {
        var config = new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 3, HiddenSize = 4 };
        using var pool = new StreamPool(RnnModel.FromPyTorch(config, StreamModels.Parameters(config, false, 1)), capacity: 2);
        StreamHandle a = pool.Open();
        var before = new float[4];
        pool.GetOutput(a, before);
        Assert.Equal(0, pool.Tick());
        var after = new float[4];
        pool.GetOutput(a, after);
        Assert.Equal(before, after);
    }

    [Fact]
    public void BidirectionalAndReverseModels_AreRefused_SayingWhy()
    {
        var bi = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 3, HiddenSize = 4, Bidirectional = true };
        var e = Assert.Throws<InvalidOperationException>(() => new StreamPool(RnnModel.FromPyTorch(bi, StreamModels.Parameters(bi, false, 1)), 2));
        Assert.Contains("bidirectional", e.Message);
        var reverse = new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 3, HiddenSize = 4, Reverse = true };
        e = Assert.Throws<InvalidOperationException>(() => new StreamPool(RnnModel.FromPyTorch(reverse, StreamModels.Parameters(reverse, false, 1)), 2));
        Assert.Contains("reverse", e.Message);
    }

    [Fact]
    public void InitialStateForSeveralStreams_IsRefused()
    {
        var config = new RnnConfig { Kind = RecurrentKind.Rnn, InputSize = 3, HiddenSize = 4 };
        var parameters = StreamModels.Parameters(config, false, 1);
        parameters["initial_h"] = new float[2 * 4];
        var e = Assert.Throws<ArgumentException>(() => new StreamPool(RnnModel.FromPyTorch(config, parameters), 2));
        Assert.Contains("2 particular streams", e.Message);
    }

    [Fact]
    public void Misuse_GetsAnExceptionNamingTheProblem()
    {
        var config = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 3, HiddenSize = 4 };
        using var pool = new StreamPool(RnnModel.FromPyTorch(config, StreamModels.Parameters(config, false, 1)), capacity: 2);
        StreamHandle a = pool.Open();
        pool.Open();
        Assert.Contains("all 2 streams", Assert.Throws<InvalidOperationException>(() => pool.Open()).Message);
        Assert.False(pool.TryOpen(out _));

        Assert.Contains("frame has 2 floats; expected 3", Assert.Throws<ArgumentException>(() => pool.Submit(a, new float[2])).Message);
        pool.Submit(a, new float[3]);
        Assert.Contains("already has an input", Assert.Throws<InvalidOperationException>(() => pool.Submit(a, new float[3])).Message);
        Assert.Contains("hidden has 3 floats", Assert.Throws<ArgumentException>(() => pool.GetState(a, new float[3], new float[4])).Message);
        Assert.Contains("output has 5 floats", Assert.Throws<ArgumentException>(() => pool.GetOutput(a, new float[5])).Message);

        pool.Close(a);
        Assert.Equal(0, pool.PendingCount);
        Assert.False(pool.IsOpen(a));
        Assert.Contains("is not open", Assert.Throws<InvalidOperationException>(() => pool.Submit(a, new float[3])).Message);
        StreamHandle reopened = pool.Open();
        Assert.Equal(a.Id, reopened.Id); // the slot is reused, and the old handle still refused
        Assert.Contains("is not open", Assert.Throws<InvalidOperationException>(() => pool.Close(a)).Message);
        Assert.Throws<InvalidOperationException>(() => pool.Reset(default));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StreamPool(pool.Model, 0));
    }

    // The reference for one tick: a session of the tick's batch, given each stepping stream's state from the pool
    // (before the tick) and its frame, stepped once.
    private static RnnSession SameBatchStep(RnnModel model, StreamPool pool, StreamHandle?[] handles, List<int> stepping,
        List<float>[] inputs, Dictionary<int, RnnSession> sessions)
    {
        int n = stepping.Count;
        if (n == 0)
            return null!;
        if (!sessions.TryGetValue(n, out RnnSession? session))
            sessions[n] = session = model.CreateSession(n, 1);
        RnnConfig c = model.Config;
        var h = new float[session.HiddenStateLength];
        var cell = new float[session.CellStateLength];
        var one = new float[pool.HiddenStateLength];
        var oneCell = new float[pool.CellStateLength];
        var frames = new float[n * c.InputSize];
        for (int b = 0; b < n; b++)
        {
            pool.GetState(handles[stepping[b]]!.Value, one, oneCell);
            StreamModels.Place(one, h, c.NumLayers, c.OutputHiddenSize, b, n, toSession: true);
            StreamModels.Place(oneCell, cell, c.NumLayers, oneCell.Length == 0 ? 0 : c.HiddenSize, b, n, toSession: true);
            inputs[stepping[b]].CopyTo(inputs[stepping[b]].Count - c.InputSize, frames, b * c.InputSize, c.InputSize);
        }
        session.SetState(h, cell);
        session.Step(frames, new float[session.OutputLength]);
        return session;
    }

    private static void AssertSameAsSessionRow(StreamPool pool, StreamHandle stream, RnnSession session, int b, int n)
    {
        RnnConfig c = pool.Model.Config;
        var h = new float[pool.HiddenStateLength];
        var cell = new float[pool.CellStateLength];
        pool.GetState(stream, h, cell);
        var expectedH = new float[h.Length];
        var expectedC = new float[cell.Length];
        StreamModels.Place(expectedH, session.HiddenState.ToArray(), c.NumLayers, c.OutputHiddenSize, b, n, toSession: false);
        StreamModels.Place(expectedC, session.CellState.ToArray(), c.NumLayers, cell.Length == 0 ? 0 : c.HiddenSize, b, n, toSession: false);
        Assert.Equal(expectedH, h);
        Assert.Equal(expectedC, cell);
    }
}
