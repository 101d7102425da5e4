using FastRnn.Decoding;
using FastRnn.Streaming;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Streaming;

/// <summary>After warm-up, streams joining, ticking, pausing, resetting and leaving allocate nothing on the ticking thread.</summary>
/// <remarks>
/// Each test measures three windows of thousands of calls and needs one to show 0 bytes: a steady-state allocation
/// shows in every window, while the runtime's per-thread counter is known to be off by a few hundred bytes now and then
/// when collections run on other threads (dotnet/runtime#63487), which the parallel test run makes likely.
/// </remarks>
public class StreamPoolAllocationTests
{
    /// <summary>The fewest bytes <paramref name="work"/> allocated on this thread in any of three runs.</summary>
    internal static long LeastAllocated(Action work)
    {
        long least = long.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            work();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }

    [Theory]
    [InlineData(RecurrentKind.Lstm)]
    [InlineData(RecurrentKind.Gru)]
    [InlineData(RecurrentKind.Rnn)]
    public void SteadyState_OfAPool_AllocatesNothing(RecurrentKind kind)
    {
        var config = new RnnConfig { Kind = kind, InputSize = 24, HiddenSize = 48, NumLayers = 2 };
        using var pool = new StreamPool(RnnModel.FromPyTorch(config, StreamModels.Parameters(config, initialState: true, seed: 5)), capacity: 16);
        var random = new Random(5);
        float[] frame = StreamModels.Uniform(random, config.InputSize, 1f);
        var output = new float[pool.OutputLength];
        var h = new float[pool.HiddenStateLength];
        var c = new float[pool.CellStateLength];
        var streams = new StreamHandle[pool.Capacity];
        for (int i = 0; i < streams.Length; i++)
            streams[i] = pool.Open();

        void Churn(int iterations)
        {
            for (int i = 0; i < iterations; i++)
            {
                // Every stream but a few ticks; one stream leaves and another joins; one is reset, one saved and restored.
                for (int s = 0; s < streams.Length; s++)
                {
                    if ((s + i) % 5 != 0)
                        pool.Submit(streams[s], frame);
                }
                pool.Tick();
                int leaving = i % streams.Length;
                pool.Close(streams[leaving]);
                streams[leaving] = pool.Open();
                pool.Reset(streams[(i + 3) % streams.Length]);
                pool.GetState(streams[(i + 7) % streams.Length], h, c);
                pool.SetState(streams[(i + 7) % streams.Length], h, c);
                pool.GetOutput(streams[(i + 1) % streams.Length], output);
                for (int s = 0; s < streams.Length; s++)
                    pool.Submit(streams[s], frame);
                pool.Tick();
            }
        }

        Churn(200);
        Assert.Equal(0, LeastAllocated(() => Churn(1000)));
        Assert.All(output, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void SteadyState_OfALanguageModelPool_AllocatesNothing()
    {
        var model = LanguageModel.Load(Fixtures.ShippedModel("char-lm.frnn"));
        using var pool = new LanguageModelPool(model, capacity: 8, maxTokens: 16);
        ReadOnlyMemory<int> prompt = model.EncodeText("And God said");
        var options = new DecodingOptions { Sample = true, Temperature = 0.9f, TopK = 10, MaxLength = 16, Seed = 3 };
        var requests = new StreamHandle[pool.Capacity];
        for (int i = 0; i < requests.Length; i++)
            requests[i] = pool.Start(prompt, options);

        void Generate(int steps)
        {
            for (int i = 0; i < steps; i++)
            {
                pool.Step();
                int r = i % requests.Length;
                if (pool.IsFinished(requests[r]) || i % 7 == 0)
                {
                    pool.Close(requests[r]);
                    requests[r] = pool.Start(prompt, options);
                }
            }
        }

        Generate(100);
        Assert.Equal(0, LeastAllocated(() => Generate(200)));
    }
}
