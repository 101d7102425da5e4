using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using FastRnn.Format;

namespace FastRnn.Benchmarks;

/// <summary>
/// How fast this machine streams a buffer from DRAM: a sum over <see cref="MiB"/> MiB, four times the usual last-level
/// cache, so nothing stays cached between passes. Bytes / mean time is the read bandwidth against which the int8
/// step's weight stream is judged: the target is ≥ 80 % of it. At H = 1024 (<see cref="QuantizedBenchmarks"/>) the
/// 8 MiB of int8 weights stay in a 32 MiB L3, so the same run also steps an int8 LSTM of H = <see cref="DramHidden"/>,
/// whose 128 MiB of int8 weights must come from DRAM at every step.
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

    private RnnSession _int8 = null!;
    private float[] _frame = null!, _output = null!;

    [GlobalSetup(Target = nameof(Read))]
    public void Setup()
    {
        _buffer = GC.AllocateUninitializedArray<float>(MiB * (1 << 20) / sizeof(float), pinned: true);
        new Random(1).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_buffer.AsSpan()));
        for (int i = 0; i < _buffer.Length; i++)
            _buffer[i] = float.IsFinite(_buffer[i]) ? _buffer[i] : 0f;
    }

    [GlobalSetup(Target = nameof(Int8StepFromDram))]
    public void SetupInt8()
    {
        RecurrentWeights weights = RecurrentWeights.Seeded(RecurrentKind.Lstm, DramHidden, DramHidden, 1234);
        byte[] fp32 = RnnModel.ToFrnn(weights.Config, weights.ToPyTorchStateDict());
        using FrnnFile file = FrnnFile.Parse(fp32);
        _int8 = RnnModel.Load(FrnnQuantizer.Convert(file, WeightPrecision.Int8).ToArray()).CreateSession();
        _frame = RecurrentWeights.Uniform(new Random(5678), DramHidden, 1f);
        _output = new float[DramHidden];
    }

    [GlobalCleanup(Target = nameof(Int8StepFromDram))]
    public void CleanupInt8() => _int8.Dispose();

    /// <summary>One vectorized pass over the whole buffer; the sum keeps the loads alive.</summary>
    [Benchmark(Baseline = true, Description = "Read the buffer once (sum)")]
    public float Read() => TensorPrimitives.Sum(_buffer);

    /// <summary>One batch-1 step of the int8 LSTM of H = 4096: 128 MiB of int8 weights (and 128 KiB of row scales).</summary>
    [Benchmark(Description = "int8 LSTM 4096 Step (128 MiB of weights)")]
    public void Int8StepFromDram() => _int8.Step(_frame, _output);
}
