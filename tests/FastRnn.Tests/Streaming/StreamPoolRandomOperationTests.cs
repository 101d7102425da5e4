using FastRnn.Streaming;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Streaming;

/// <summary>
/// 10,000 seeded random operations — open, submit, tick, close, reset, set state — on a <see cref="StreamPool"/> and on
/// a plain model of it: a dictionary of one-stream <see cref="RnnSession"/>s, each stepped alone when its stream ticks.
/// After every operation the two agree on which streams are open and waiting, and after every tick each stream's
/// output and state agree within the bound.
/// </summary>
/// <remarks>
/// Bound, 2e-5 absolute: a one-stream session takes the matrix–vector kernel, the pool (mostly) the matrix–matrix one,
/// which sum in different orders, so they differ by float32 rounding of sums over I + H_out ≤ 50 terms, a few 1e-7 per
/// step; streams here live up to a few hundred ticks, and the contractive recurrences keep the gap from growing with
/// them (it stays below 1e-5 in practice; the bound leaves room for the longest streams).
/// </remarks>
public class StreamPoolRandomOperationTests
{
    private const int Operations = 10_000, Capacity = 7;
    private const double Bound = 2e-5;

    [Theory]
    [InlineData(RecurrentKind.Lstm, 11)]
    [InlineData(RecurrentKind.Gru, 12)]
    public void RandomOperations_AgreeWithOneSessionPerStream(RecurrentKind kind, int seed)
    {
        var config = new RnnConfig { Kind = kind, InputSize = 6, HiddenSize = 14, NumLayers = 2 };
        var random = new Random(seed);
        var model = RnnModel.FromPyTorch(config, StreamModels.Parameters(config, initialState: kind == RecurrentKind.Lstm, seed));
        using var pool = new StreamPool(model, Capacity);
        var reference = new Dictionary<StreamHandle, (RnnSession Session, float[]? Pending)>();
        var output = new float[pool.OutputLength];
        var expected = new float[pool.OutputLength];
        var h = new float[pool.HiddenStateLength];
        var c = new float[pool.CellStateLength];
        int ticks = 0, swapsPossible = 0;
        try
        {
            for (int op = 0; op < Operations; op++)
            {
                List<StreamHandle> open = [.. reference.Keys];
                StreamHandle any = open.Count > 0 ? open[random.Next(open.Count)] : default;
                int roll = random.Next(100);
                if (roll < 8)
                {
                    bool opened = pool.TryOpen(out StreamHandle stream);
                    Assert.Equal(reference.Count < Capacity, opened);
                    if (opened)
                        reference.Add(stream, (model.CreateSession(1, 1), null));
                }
                else if (roll < 13 && open.Count > 0)
                {
                    pool.Close(any);
                    reference[any].Session.Dispose();
                    reference.Remove(any);
                }
                else if (roll < 15 && open.Count > 0)
                {
                    pool.Reset(any);
                    reference[any].Session.Reset();
                }
                else if (roll < 17 && open.Count > 0)
                {
                    float[] hs = StreamModels.Uniform(random, h.Length, 0.5f), cs = StreamModels.Uniform(random, c.Length, 0.5f);
                    pool.SetState(any, hs, cs);
                    reference[any].Session.SetState(hs, cs); // (L, 1, ·) is (L, ·)
                }
                else if (roll < 70 && open.Count > 0)
                {
                    if (reference[any].Pending is not null)
                    {
                        Assert.Throws<InvalidOperationException>(() => pool.Submit(any, new float[config.InputSize]));
                        continue;
                    }
                    float[] frame = StreamModels.Uniform(random, config.InputSize, 1.5f);
                    pool.Submit(any, frame);
                    reference[any] = (reference[any].Session, frame);
                }
                else if (roll >= 70)
                {
                    int pending = reference.Values.Count(r => r.Pending is not null);
                    if (pending > 0 && pending < reference.Count)
                        swapsPossible++;
                    Assert.Equal(pending, pool.Tick());
                    ticks++;
                    foreach (var (stream, (session, frame)) in reference.ToList())
                    {
                        if (frame is null)
                            continue;
                        session.Step(frame, expected);
                        reference[stream] = (session, null);
                        pool.GetOutput(stream, output);
                        Compare.Close(expected, output, Bound, $"operation {op}, tick {ticks}: output of stream {stream.Id}");
                        pool.GetState(stream, h, c);
                        Compare.Close(session.HiddenState, h, Bound, $"operation {op}: h of stream {stream.Id}");
                        Compare.Close(session.CellState, c, Bound, $"operation {op}: c of stream {stream.Id}");
                    }
                }

                Assert.Equal(reference.Count, pool.OpenCount);
                Assert.Equal(reference.Values.Count(r => r.Pending is not null), pool.PendingCount);
                foreach (var (stream, (_, frame)) in reference)
                    Assert.Equal(frame is not null, pool.HasInput(stream));
            }
        }
        finally
        {
            foreach (var (session, _) in reference.Values)
                session.Dispose();
        }
        Assert.True(ticks > 2000 && swapsPossible > 500, $"{ticks} ticks, {swapsPossible} with only some streams waiting: the sequence did not exercise the pool");
    }
}
