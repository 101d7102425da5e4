using BenchmarkDotNet.Attributes;
using FastRnn.Kernels;

namespace FastRnn.Benchmarks;

/// <summary>
/// One (4096 × 1024) matrix–vector product — the recurrent product of a batch-1 LSTM step with H = 1024, 16 MiB of
/// weights, far larger than the caches — per kernel variant this CPU supports.
/// </summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    private const int Rows = 4096;
    private const int Cols = 1024;

    private PackedMatrix _matrix = null!;
    private float[] _x = null!;
    private float[] _y = null!;

    /// <summary>The variants to compare: every one <see cref="KernelSelector.Supported"/> lists.</summary>
    public static IEnumerable<KernelIsa> Variants => KernelSelector.Supported;

    [ParamsSource(nameof(Variants))]
    public KernelIsa Isa { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _matrix = PackedMatrix.FromRowMajor(RecurrentWeights.Uniform(random, Rows * Cols, 1f / 32), Rows, Cols);
        _x = RecurrentWeights.Uniform(random, Cols, 1f);
        _y = new float[Rows];
    }

    [Benchmark(Description = "GEMV 4096x1024")]
    public void Gemv() => KernelSelector.Get(Isa).Multiply(_matrix, _x, Cols, _y, Rows, 1, default, accumulate: false);
}
