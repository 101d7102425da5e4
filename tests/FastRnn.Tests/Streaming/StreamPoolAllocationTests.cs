using FastRnn.Decoding;
using FastRnn.Streaming;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Streaming;

/// <summary>After warm-up, streams joining, ticking, pausing, resetting and leaving allocate nothing on the ticking thread.</summary>
public class StreamPoolAllocationTests
{
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
        long before = GC.GetAllocatedBytesForCurrentThread();
        Churn(3000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.All(output, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void SteadyState_OfALanguageModelPool_AllocatesNothing()
    {
        var model = LanguageModel.Load(Path.Combine(Fixtures.RepositoryRoot(), "weights", "char-lm.frnn"));
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
        long before = GC.GetAllocatedBytesForCurrentThread();
        Generate(400);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
