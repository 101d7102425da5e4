using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using FastRnn.Format;

namespace FastRnn.Benchmarks;

/// <summary>
/// How fast this machine streams a buffer from DRAM: a sum over <see cref="MiB"/> MiB, four times the usual last-level
/// cache, so nothing stays cached between passes. Bytes / mean time is the read bandwidth against which the int8
/// step's weight stream is judged: the target is ≥ 80 % of it. At H = 1024 (<see cref="QuantizedBenchmarks"/>) the
/// 8 MiB of int8 weights stay in a 32 MiB L3, so the same run also steps an int8 LSTM of H = <see cref="DramHidden"/>,
/// whose 128 MiB of int8 weights must come from DRAM at every step. Beside them, the bound of the products whose
/// weights stay in L3: a sum over <see cref="CachedMiB"/> MiB read again and again, and the H = 1024 int8 step that
/// reads its 8 MiB from there.
/// </summary>
[MemoryDiagnoser]
public class ReadBandwidthBenchmarks
{
    private float[] _buffer = null!;

    /// <summary>Buffer size: well past the last-level cache of the machines we measure on (32–96 MiB).</summary>
    [Params(256)]
    public int MiB { get; set; }

    /// <summary>Hidden (and input) size of the int8 LSTM whose weights, 4·H·2H bytes, are four times a 32 MiB L3.</summary>
    public const int DramHidden = 4096;

    /// <summary>The L3-resident buffer: the int8 LSTM 1024's weights, a quarter of a 32 MiB L3.</summary>
    public const int CachedMiB = 8;

    /// <summary>Hidden size of the int8 LSTM whose 8 MiB of weights stay in L3.</summary>
    public const int CachedHidden = 1024;

    private float[] _cached = null!;
    private RnnSession _int8 = null!, _int8Cached = null!;
    private float[] _frame = null!, _output = null!, _cachedFrame = null!, _cachedOutput = null!;

    [GlobalSetup(Target = nameof(Read))]
    public void Setup()
    {
        _buffer = GC.AllocateUninitializedArray<float>(MiB * (1 << 20) / sizeof(float), pinned: true);
        new Random(1).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_buffer.AsSpan()));
        for (int i = 0; i < _buffer.Length; i++)
            _buffer[i] = float.IsFinite(_buffer[i]) ? _buffer[i] : 0f;
    }

    [GlobalSetup(Target = nameof(ReadCached))]
    public void SetupCached()
    {
        _cached = new float[CachedMiB * (1 << 20) / sizeof(float)];
        for (int i = 0; i < _cached.Length; i++)
            _cached[i] = i % 7;
    }

    [GlobalSetup(Target = nameof(Int8StepFromDram))]
    public void SetupInt8()
    {
        _int8 = Int8Session(DramHidden);
        _frame = RecurrentWeights.Uniform(new Random(5678), DramHidden, 1f);
        _output = new float[DramHidden];
    }

    [GlobalSetup(Target = nameof(Int8StepFromL3))]
    public void SetupInt8Cached()
    {
        _int8Cached = Int8Session(CachedHidden);
        _cachedFrame = RecurrentWeights.Uniform(new Random(5678), CachedHidden, 1f);
        _cachedOutput = new float[CachedHidden];
    }

    [GlobalCleanup(Targets = [nameof(Int8StepFromDram), nameof(Int8StepFromL3)])]
    public void CleanupInt8()
    {
        _int8?.Dispose();
        _int8Cached?.Dispose();
    }

    private static RnnSession Int8Session(int hidden)
    {
        RecurrentWeights weights = RecurrentWeights.Seeded(RecurrentKind.Lstm, hidden, hidden, 1234);
        byte[] fp32 = RnnModel.ToFrnn(weights.Config, weights.ToPyTorchStateDict());
        using FrnnFile file = FrnnFile.Parse(fp32);
        return RnnModel.Load(FrnnQuantizer.Convert(file, WeightPrecision.Int8).ToArray()).CreateSession();
    }

    /// <summary>One vectorized pass over the whole buffer; the sum keeps the loads alive.</summary>
    [Benchmark(Baseline = true, Description = "Read the buffer once (sum)")]
    public float Read() => TensorPrimitives.Sum(_buffer);

    /// <summary>One pass over the 8 MiB buffer, which every earlier pass left in L3.</summary>
    [Benchmark(Description = "Read 8 MiB again (in L3)")]
    public float ReadCached() => TensorPrimitives.Sum(_cached);

    /// <summary>One batch-1 step of the int8 LSTM of H = 1024: 8 MiB of int8 weights, in L3 from step to step.</summary>
    [Benchmark(Description = "int8 LSTM 1024 Step (8 MiB of weights)")]
    public void Int8StepFromL3() => _int8Cached.Step(_cachedFrame, _cachedOutput);

    /// <summary>One batch-1 step of the int8 LSTM of H = 4096: 128 MiB of int8 weights (and 128 KiB of row scales).</summary>
    [Benchmark(Description = "int8 LSTM 4096 Step (128 MiB of weights)")]
    public void Int8StepFromDram() => _int8.Step(_frame, _output);
}
