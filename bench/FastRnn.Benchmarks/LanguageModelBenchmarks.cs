using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using FastRnn.Decoding;
using FastRnn.Streaming;

namespace FastRnn.Benchmarks;

/// <summary>
/// Token-by-token generation with the shipped character language model (embedding 64, two LSTM layers of 256, softmax
/// over 74 characters), greedy: R requests, each from its own one-character prompt, generate
/// <see cref="Tokens"/> characters — one after another with one <see cref="LanguageModelSession"/>, all together in a
/// <see cref="LanguageModelPool"/>, and by ONNX Runtime stepping a batch of R through the same model as one ONNX graph
/// per step (<see cref="OnnxLanguageModelRunner"/>). At R = 1 the rows are the latency of one generated character.
/// Every contender gets the same intra-op threads (FastRnn's <c>threads</c>, ONNX Runtime's <c>IntraOpNumThreads</c>).
/// The setup checks that all three generate the same text.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(LanguageModelConfig))]
public class LanguageModelBenchmarks
{
    private const int Tokens = 32;

    private LanguageModel _model = null!;
    private LanguageModelSession _session = null!;
    private LanguageModelPool _pool = null!;
    private OnnxLanguageModelRunner _onnx = null!;
    private ReadOnlyMemory<int>[] _prompts = null!;
    private StreamHandle[] _requests = null!;
    private DecodingOptions _options = null!;
    private int[] _next = null!;
    private int[] _generated = null!; // (R, Tokens): the last iteration's text of each contender, for the check

    [Params(1, 16, 64)]
    public int Requests { get; set; }

    /// <summary>Intra-op threads on each side.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string path = Path.Combine(HeldOutDates.Folder, "char-lm.frnn");
        _model = LanguageModel.Load(path);
        _session = _model.CreateSession(Threads);
        _pool = new LanguageModelPool(_model, Requests, Tokens, Threads);
        _onnx = new OnnxLanguageModelRunner(path, Requests, Threads);
        _options = DecodingOptions.Greedy(Tokens);
        // Request r starts from character r + 1 of the vocabulary (id 0 is <unk>), so the rows generate different text.
        _prompts = [.. Enumerable.Range(0, Requests).Select(r => new ReadOnlyMemory<int>([1 + r % (_model.Vocabulary.Count - 1)]))];
        _requests = new StreamHandle[Requests];
        _next = new int[Requests];
        _generated = new int[Requests * Tokens];
        VerifyAgreement();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.Dispose();
        _pool.Dispose();
        _onnx.Dispose();
    }

    [Benchmark(Baseline = true, Description = "One after another")]
    public int OneAfterAnother()
    {
        int last = 0;
        for (int r = 0; r < Requests; r++)
        {
            _session.Reset();
            int token = _prompts[r].Span[0];
            for (int t = 0; t < Tokens; t++)
            {
                _session.Feed(token);
                token = TensorPrimitives.IndexOfMax(_session.NextLogProbabilities); // greedy, as the pool's Greedy options
                _generated[r * Tokens + t] = token;
            }
            last = token;
        }
        return last;
    }

    [Benchmark(Description = "LanguageModelPool, all together")]
    public int Pool()
    {
        for (int r = 0; r < Requests; r++)
            _requests[r] = _pool.Start(_prompts[r], _options);
        int generated = 0;
        while (generated < Requests * Tokens)
            generated += _pool.Step();
        for (int r = 0; r < Requests; r++)
        {
            _pool.Tokens(_requests[r]).CopyTo(_generated.AsSpan(r * Tokens, Tokens));
            _pool.Close(_requests[r]);
        }
        return generated;
    }

    [Benchmark(Description = "ONNX Runtime, batch of R")]
    public int OnnxBatch()
    {
        _onnx.Reset();
        for (int r = 0; r < Requests; r++)
            _next[r] = _prompts[r].Span[0];
        for (int t = 0; t < Tokens; t++)
        {
            _onnx.Step(_next);
            for (int r = 0; r < Requests; r++)
            {
                _next[r] = _onnx.ArgMax(r);
                _generated[r * Tokens + t] = _next[r];
            }
        }
        return _next[0];
    }

    // All three must write the same characters before any is timed (greedy text from float32 models that sum in
    // different orders: a near tie could in principle part them, and would be reported here, not hidden).
    private void VerifyAgreement()
    {
        OneAfterAnother();
        int[] alone = (int[])_generated.Clone();
        Pool();
        Check(alone, "LanguageModelPool");
        OnnxBatch();
        Check(alone, "ONNX Runtime");
    }

    private void Check(int[] alone, string who)
    {
        for (int r = 0; r < Requests; r++)
        {
            ReadOnlySpan<int> expected = alone.AsSpan(r * Tokens, Tokens), actual = _generated.AsSpan(r * Tokens, Tokens);
            if (!expected.SequenceEqual(actual))
                throw new InvalidOperationException($"request {r}: {who} generates {_model.DecodeText(actual)}, the session alone {_model.DecodeText(expected)}");
        }
    }

    private sealed class LanguageModelConfig : ManualConfig
    {
        public LanguageModelConfig()
            => AddColumn(StatisticColumn.P50, new PercentileColumn(99, "one iteration's time"), new RateColumn("Tokens/s", nameof(Requests), "characters generated per second: R × 32 / median iteration", Tokens));
    }
}
