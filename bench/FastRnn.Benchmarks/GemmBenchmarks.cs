using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using FastRnn.Kernels;

namespace FastRnn.Benchmarks;

/// <summary>
/// The tiled matrix product Y = X·Wᵀ with N = 1024 output rows against this core's FMA peak: M = 256, K = 256 is the
/// input projection of a T = 256 LSTM 256 sequence; M = 16 and 64 with K = 512 are a batched LSTM 256 step of 16 or 64
/// streams ([x ; h] against [W_ih | W_hh]), the small-M products of batches and stream pools. The baseline runs exactly
/// the same number of flops as independent FMAs on registers, so Ratio = GEMM time / peak time and the GEMM's share of
/// peak is 1 / Ratio.
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private const int N = 1024;

    private PackedMatrix _w = null!;
    private float[] _x = null!;
    private float[] _y = null!;
    private float[] _bias = null!;
    private int _m, _k;

    /// <summary>The vector variants this CPU supports.</summary>
    public static IEnumerable<KernelIsa> Variants => KernelSelector.Supported.Where(isa => isa != KernelIsa.Scalar);

    [ParamsSource(nameof(Variants))]
    public KernelIsa Isa { get; set; }

    /// <summary>(M, K): rows of X and their length.</summary>
    [Params("256x256", "64x512", "16x512")]
    public string Shape { get; set; } = "256x256";

    private int M => int.Parse(Shape.Split('x')[0], System.Globalization.CultureInfo.InvariantCulture);

    private int K => int.Parse(Shape.Split('x')[1], System.Globalization.CultureInfo.InvariantCulture);

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        (_m, _k) = (M, K);
        _w = PackedMatrix.FromRowMajor(RecurrentWeights.Uniform(random, N * _k, 1f / 16), N, _k);
        _x = RecurrentWeights.Uniform(random, _m * _k, 1f);
        _bias = RecurrentWeights.Uniform(random, N, 1f);
        _y = new float[_m * N];
    }

    [Benchmark(Description = "GEMM M x 1024 x K")]
    public void Gemm() => KernelSelector.Get(Isa).Multiply(_w, _x, _k, _y, N, _m, _bias, accumulate: false);

    [Benchmark(Baseline = true, Description = "FMA peak, same flops")]
    public float FmaPeak() => Isa switch
    {
        KernelIsa.Avx512 => FmaLoop<SimdOpsAvx512, Vector512<float>>.Run((long)_m * N * _k),
        KernelIsa.Avx2 => FmaLoop<SimdOpsAvx2, Vector256<float>>.Run((long)_m * N * _k),
        _ => FmaLoop<SimdOpsVector128, Vector128<float>>.Run((long)_m * N * _k),
    };

    /// <summary>Twelve independent FMA chains (enough to cover latency × pipes on every core measured) on registers.</summary>
    private static class FmaLoop<TOps, TVector>
        where TOps : ISimdOps<TVector>
        where TVector : struct
    {
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public static float Run(long multiplyAdds)
        {
            TVector a = TOps.Broadcast(0.999f), b = TOps.Broadcast(0.001f);
            TVector c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero, c4 = TOps.Zero, c5 = TOps.Zero;
            TVector c6 = TOps.Zero, c7 = TOps.Zero, c8 = TOps.Zero, c9 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero;
            long iterations = multiplyAdds / (12L * TOps.Width);
            for (long i = 0; i < iterations; i++)
            {
                c0 = TOps.MultiplyAdd(c0, a, b); c1 = TOps.MultiplyAdd(c1, a, b); c2 = TOps.MultiplyAdd(c2, a, b);
                c3 = TOps.MultiplyAdd(c3, a, b); c4 = TOps.MultiplyAdd(c4, a, b); c5 = TOps.MultiplyAdd(c5, a, b);
                c6 = TOps.MultiplyAdd(c6, a, b); c7 = TOps.MultiplyAdd(c7, a, b); c8 = TOps.MultiplyAdd(c8, a, b);
                c9 = TOps.MultiplyAdd(c9, a, b); c10 = TOps.MultiplyAdd(c10, a, b); c11 = TOps.MultiplyAdd(c11, a, b);
            }
            TVector sum = TOps.Add(TOps.Add(TOps.Add(c0, c1), TOps.Add(c2, c3)), TOps.Add(TOps.Add(c4, c5), TOps.Add(c6, c7)));
            sum = TOps.Add(sum, TOps.Add(TOps.Add(c8, c9), TOps.Add(c10, c11)));
            Span<float> lanes = stackalloc float[16];
            TOps.Store(sum, ref lanes[0], 0);
            return lanes[0];
        }
    }
}
