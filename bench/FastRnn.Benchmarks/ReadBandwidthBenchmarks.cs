using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace FastRnn.Benchmarks;

/// <summary>
/// How fast this machine streams a buffer from DRAM: a sum over <see cref="MiB"/> MiB, four times the usual last-level
/// cache, so nothing stays cached between passes. Bytes / mean time is the read bandwidth against which the int8
/// step's weight stream (<see cref="QuantizedBenchmarks"/>, H = 1024: 8 MiB of int8 weights per step) is judged: the
/// target is ≥ 80 % of it.
/// </summary>
[MemoryDiagnoser]
public class ReadBandwidthBenchmarks
{
    private float[] _buffer = null!;

    /// <summary>Buffer size: well past the last-level cache of the machines we measure on (32–96 MiB).</summary>
    [Params(256)]
    public int MiB { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _buffer = GC.AllocateUninitializedArray<float>(MiB * (1 << 20) / sizeof(float), pinned: true);
        new Random(1).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_buffer.AsSpan()));
        for (int i = 0; i < _buffer.Length; i++)
            _buffer[i] = float.IsFinite(_buffer[i]) ? _buffer[i] : 0f;
    }

    /// <summary>One vectorized pass over the whole buffer; the sum keeps the loads alive.</summary>
    [Benchmark(Description = "Read the buffer once (sum)")]
    public float Read() => TensorPrimitives.Sum(_buffer);
}
