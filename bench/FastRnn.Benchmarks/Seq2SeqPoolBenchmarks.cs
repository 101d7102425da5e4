using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using FastRnn.Decoding;
using FastRnn.Streaming;

namespace FastRnn.Benchmarks;

/// <summary>
/// The shipped date normaliser (weights/date-normalizer.frnn) translating R held-out dates, greedy, on one thread:
/// decoded one after another by one <see cref="Seq2SeqDecoder"/> (the baseline: what a server without a pool does),
/// all R started together in a <see cref="Seq2SeqPool"/> of R rows and stepped until every one has finished, and ONNX
/// Runtime decoding the same R dates as one batch (<see cref="OnnxSeq2SeqRunner"/>: the model exported by
/// tools/export_date_normalizer_onnx.py as an encoder graph and a decoder-step graph, one batched encode, then batched
/// steps). Dates/s is R over the median iteration; the issue's target is Ratio ≤ 1/4 at R = 64, with 0 B allocated.
/// </summary>
/// <remarks>
/// A lone date re-reads the decoder's weights at every token; the pool reads them once per step for all its running
/// requests. Requests finish at different lengths (dates are 10 characters and EOS, but some stop early), so the last
/// steps of an iteration run fewer rows. ONNX Runtime's batch is fixed for the whole decode (it has no continuous
/// batching): rows that have finished are stepped with the rest until the last one does, and its sources are padded
/// to the longest of the R. Setup checks that all three contenders print the same dates, so a wrong export is never
/// timed.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(Seq2SeqPoolConfig))]
public class Seq2SeqPoolBenchmarks
{
    private const int MaxOutputLength = 16;

    private Seq2SeqDecoder _decoder = null!;
    private Seq2SeqPool _pool = null!;
    private int[][] _sources = null!;
    private StreamHandle[] _requests = null!;
    private int[] _tokens = null!;
    private DecodingOptions _options = null!;
    private OnnxSeq2SeqRunner _onnx = null!;
    private HeldOutDates _dates = null!;

    /// <summary>R, the dates translated per iteration.</summary>
    [Params(1, 4, 16, 64, 256)]
    public int Requests { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string folder = HeldOutDates.Folder;
        _dates = HeldOutDates.Load(Requests);
        Seq2SeqModel model = _dates.Model;
        _sources = _dates.Sources;
        _decoder = model.CreateDecoder(beamSize: 1, maxOutputLength: MaxOutputLength);
        _pool = new Seq2SeqPool(model, capacity: Requests, maxOutputLength: MaxOutputLength);
        _requests = new StreamHandle[Requests];
        _tokens = new int[MaxOutputLength];
        _options = DecodingOptions.Greedy(MaxOutputLength);
        _onnx = new OnnxSeq2SeqRunner(
            Path.Combine(folder, "date-normalizer.encoder.onnx"), Path.Combine(folder, "date-normalizer.decoder-step.onnx"),
            rows: Requests, sourceLength: _sources.Max(s => s.Length), MaxOutputLength,
            model.Config.BosId, model.Config.EosId, model.Config.PadId ?? 0);
        VerifyAgreement(model);
        VerifyOnnxAgreement(model);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _decoder.Dispose();
        _pool.Dispose();
        _onnx.Dispose();
    }

    [Benchmark(Baseline = true, Description = "One after another")]
    public int OneAfterAnother()
    {
        int produced = 0;
        foreach (int[] source in _sources)
        {
            _decoder.Encode(source);
            produced += _decoder.Decode(_options, _tokens, out _);
        }
        return produced;
    }

    [Benchmark(Description = "Seq2SeqPool, all together")]
    public int Pool() => _dates.DecodeTogether(_pool, _options, _requests);

    [Benchmark(Description = "ONNX Runtime, batch of R")]
    public int OnnxBatch() => _onnx.Decode(_sources);

    // Both contenders must print the same dates before either is timed.
    private void VerifyAgreement(Seq2SeqModel model)
    {
        for (int r = 0; r < _sources.Length; r++)
            _requests[r] = _pool.Start(_sources[r], _options);
        while (_pool.RunningCount > 0)
            _pool.Step();
        for (int r = 0; r < _sources.Length; r++)
        {
            _decoder.Encode(_sources[r]);
            int n = _decoder.Decode(_options, _tokens, out _);
            string alone = model.DecodeText(_tokens.AsSpan(0, n)), pooled = model.DecodeText(_pool.Tokens(_requests[r]));
            if (alone != pooled)
                throw new InvalidOperationException($"date {r}: the pool gives {pooled}, decoding alone {alone}");
            _pool.Close(_requests[r]);
        }
    }

    // ONNX Runtime's batch must print FastRnn's dates, each decoded alone, with the same score up to float32 rounding.
    private void VerifyOnnxAgreement(Seq2SeqModel model)
    {
        _onnx.Decode(_sources);
        for (int r = 0; r < _sources.Length; r++)
        {
            _decoder.Encode(_sources[r]);
            int n = _decoder.Decode(_options, _tokens, out float score);
            string alone = model.DecodeText(_tokens.AsSpan(0, n)), onnx = model.DecodeText(_onnx.Tokens(r));
            if (!_onnx.Tokens(r).SequenceEqual(_tokens.AsSpan(0, n)) || Math.Abs(_onnx.Score(r) - score) > 1e-3f)
                throw new InvalidOperationException($"date {r}: ONNX Runtime gives {onnx} (score {_onnx.Score(r)}), FastRnn alone {alone} (score {score})");
        }
    }

    private sealed class Seq2SeqPoolConfig : ManualConfig
    {
        public Seq2SeqPoolConfig()
            => AddColumn(StatisticColumn.P50, new PercentileColumn(99, "one iteration's time"), new RateColumn("Dates/s", nameof(Requests), "dates translated per second: R / median iteration"));
    }
}
