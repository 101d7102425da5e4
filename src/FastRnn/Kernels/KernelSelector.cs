namespace FastRnn.Kernels;

/// <summary>
/// Chooses the kernel variant: once per process for the element-wise cell updates, and once per matrix, when it is
/// packed at model load, for its products.
/// </summary>
/// <remarks>
/// Ranking: AVX-512 streams two 64-byte vectors per panel column, AVX2+FMA four 32-byte ones, Vector128 eight 16-byte
/// ones; the wider the vector the fewer instructions per weight, and these products are bound by how fast the
/// weights stream in. The widest supported variant wins unless the environment variable
/// <c>FASTRNN_KERNEL</c> (<c>scalar</c>, <c>vector128</c>, <c>avx2</c>, <c>avx512</c>) forces one — for tests and for
/// comparing variants on one machine. The runtime's own switches (<c>DOTNET_EnableAVX512=0</c>,
/// <c>DOTNET_EnableAVX2=0</c>, <c>DOTNET_EnableHWIntrinsic=0</c>) also take effect here, since they change what
/// <c>IsSupported</c> reports. A bad value is reported at first use, by the call that needed a kernel, not from a
/// static initialiser.
/// </remarks>
public static class KernelSelector
{
    /// <summary>Name of the environment variable that forces a variant.</summary>
    public const string EnvironmentVariable = "FASTRNN_KERNEL";

    /// <summary>Name of the environment variable that sets <see cref="StreamingBytes"/> (a byte count).</summary>
    public const string StreamingBytesVariable = "FASTRNN_STREAMING_BYTES";

    private static KernelSet? s_default;
    private static long s_streamingBytes;
    private static long s_tiledPrefetchBytes;
    private static long s_gemmRowBlockBytes;
    private static long s_twoStreamBytes;
    private static long s_level2Bytes = -1;
    private static readonly KernelSet?[] s_sets = new KernelSet?[4];

    /// <summary>The variant every model in this process uses (see <see cref="ForWeights"/> for the one exception).</summary>
    /// <exception cref="InvalidOperationException"><c>FASTRNN_KERNEL</c> names no variant, or one this CPU cannot run.</exception>
    public static KernelIsa Active => Default.Isa;

    /// <summary>Whether <see cref="EnvironmentVariable"/> forced the variant.</summary>
    public static bool IsForced => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>
    /// Matrices at least this large stream from memory rather than from cache: half the last-level cache the
    /// operating system reports (16 MiB when it reports none), or <c>FASTRNN_STREAMING_BYTES</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>FASTRNN_STREAMING_BYTES</c> is set but is not a positive byte count.</exception>
    public static long StreamingBytes => s_streamingBytes > 0 ? s_streamingBytes : s_streamingBytes = CacheSizes.StreamingThreshold(StreamingBytesVariable);

    /// <summary>The kernels of <see cref="Active"/>.</summary>
    internal static KernelSet Default => s_default ??= Get(Choose(Environment.GetEnvironmentVariable(EnvironmentVariable)));

    /// <summary>
    /// The variant for a product over <paramref name="weightBytes"/> of weights: <see cref="Active"/>, except that
    /// matrices of <see cref="StreamingBytes"/> or more use AVX2 rather than AVX-512 unless a variant was forced.
    /// </summary>
    /// <remarks>
    /// Measured on Zen 4 (docs/benchmarks.md): once the weights stream from memory the 512-bit kernel was the slower
    /// of the two (a 32 MiB LSTM step: 906 µs with AVX2, 1,023–1,117 µs with AVX-512), while for cache-resident
    /// matrices it is the faster one. Both variants compute the same panels, so results differ only by rounding.
    /// </remarks>
    public static KernelIsa ForWeights(long weightBytes) => KernelsForWeights(weightBytes).Isa;

    /// <summary>Whether a product that reads <paramref name="weightBytes"/> of weights each time reads them from DRAM:
    /// more than <see cref="StreamingBytes"/> (half the last-level cache).</summary>
    internal static bool StreamsFromMemory(long weightBytes) => weightBytes > StreamingBytes;

    /// <summary>
    /// Whether a tiled product (several vectors) over <paramref name="weightBytes"/> of weights, read once per product,
    /// prefetches each strip's next K block: beyond <see cref="StreamingBytes"/>, or beyond eight times a core's L2 where
    /// that is smaller (unless <c>FASTRNN_STREAMING_BYTES</c> sets the one threshold for both).
    /// </summary>
    /// <remarks>
    /// Measured on a Zen 3 guest (512 KiB L2, 32 MiB L3 listed): a batch-16 LSTM 512 step, 8 MiB of weights, took 2.7–2.9
    /// ms without the prefetch and 1.4 ms with it, GRU 512 (6 MiB) 1.7–2.1 ms against 1.0; LSTM 384 (4.5 MiB) the same
    /// either way — the guest's share of the L3 did not hold what the listed size suggests. On Zen 4 and Zen 5 (1 MiB
    /// L2) eight times the L2 is 8 MiB: the batched 256 and 512 steps measured there (where the prefetch cost 10–16 % of
    /// a batch-16 step in cache) keep their kernels, while the input projections of 1024 models (12–16 MiB of W_ih) now
    /// prefetch there too, which has not been measured on those machines.
    /// </remarks>
    internal static bool TiledProductPrefetches(long weightBytes) => weightBytes > TiledPrefetchBytes;

    /// <summary>
    /// Whether a product of one vector over <paramref name="weightBytes"/> of weights reads the two halves of its panels
    /// side by side: beyond twice a core's L2 (beyond <see cref="StreamingBytes"/> where the operating system gives no L2
    /// size), where the weights come from L3 or DRAM and two streams come in faster than one.
    /// </summary>
    /// <remarks>Measured on a Zen 1 guest (512 KiB L2, 8 MiB L3): two 3 MiB matrices read side by side at 25-27 GB/s
    /// against 17-18 one after the other, two 12 MiB ones at 13-14 against 10.5-11.</remarks>
    internal static bool ReadsAsTwoStreams(long weightBytes) => weightBytes > TwoStreamBytes;

    /// <summary>
    /// Whether a bfloat16 product of one vector over <paramref name="weightBytes"/> of weights asks for each line a few
    /// KiB before it reads it (<see cref="BFloat16PanelKernel{TOps, TVector}.PrefetchBytes"/>): past the same bound as
    /// <see cref="ReadsAsTwoStreams"/>, where the weights come from L3 or DRAM.
    /// </summary>
    /// <remarks>Why bfloat16 prefetches where fp32 and int8 read two streams (Zen 1 guest, one vector, medians): a 16 MiB
    /// bfloat16 matrix took 1.75 ms read as one stream, 1.37–1.42 prefetched and 1.86–2.07 as two streams of 2 KiB chunks
    /// (its eight accumulators per panel leave no registers for a second panel in one loop); with the same prefetch,
    /// fp32's two streams over 32 MiB went from 2.29–2.39 ms to 2.62–2.82, and int8 read as one prefetched stream took
    /// 0.60–0.67 ms over 8 MiB against 0.55–0.59 as two. Within the L2 the hint costs nothing measurable (64 KiB–1 MiB
    /// unchanged), but it buys nothing there either.</remarks>
    internal static bool OneVectorProductPrefetches(long weightBytes) => weightBytes > TwoStreamBytes;

    private static long TwoStreamBytes
    {
        get
        {
            if (s_twoStreamBytes > 0)
                return s_twoStreamBytes;
            return s_twoStreamBytes = Level2Bytes > 0 ? 2 * Level2Bytes : StreamingBytes;
        }
    }

    // A core's L2 as the operating system lists it (0 where it does not), read once for the thresholds derived from it.
    private static long Level2Bytes => s_level2Bytes >= 0 ? s_level2Bytes : s_level2Bytes = CacheSizes.Level2Bytes();

    private static long TiledPrefetchBytes
    {
        get
        {
            if (s_tiledPrefetchBytes > 0)
                return s_tiledPrefetchBytes;
            long streaming = StreamingBytes, l2 = Level2Bytes;
            bool set = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(StreamingBytesVariable));
            return s_tiledPrefetchBytes = set || l2 <= 0 ? streaming : Math.Min(streaming, 8 * l2);
        }
    }

    /// <summary>
    /// Bytes of X (rows × K floats) a tiled product keeps in L2 while every strip of weights passes over them: half a
    /// core's L2 (the other half holds the strips' K blocks, Y's tiles and what the prefetch brings), 256 KiB where the
    /// operating system does not say. A product over more rows of X runs block after block of rows, each against all
    /// the weights.
    /// </summary>
    internal static long GemmRowBlockBytes
    {
        get
        {
            if (s_gemmRowBlockBytes > 0)
                return s_gemmRowBlockBytes;
            return s_gemmRowBlockBytes = Level2Bytes > 0 ? Level2Bytes / 2 : 256L << 10;
        }
    }

    /// <summary>The kernels of <see cref="ForWeights"/>.</summary>
    internal static KernelSet KernelsForWeights(long weightBytes)
    {
        KernelSet active = Default;
        // Read even where it cannot matter (no AVX-512), so a bad FASTRNN_STREAMING_BYTES fails on every machine alike.
        long streaming = StreamingBytes;
        return active.Isa == KernelIsa.Avx512 && !IsForced && weightBytes >= streaming && IsSupported(KernelIsa.Avx2)
            ? Get(KernelIsa.Avx2)
            : active;
    }

    /// <summary>The kernels of one variant, for tests and benchmarks that compare variants.</summary>
    /// <exception cref="NotSupportedException">This CPU (or the runtime's switches) does not allow <paramref name="isa"/>.</exception>
    internal static KernelSet Get(KernelIsa isa)
    {
        if (!IsSupported(isa))
            throw new NotSupportedException($"kernel variant {isa} is not supported on this CPU or runtime configuration");
        return s_sets[(int)isa] ??= isa switch
        {
            KernelIsa.Avx512 => new SimdKernelSet<SimdOpsAvx512, System.Runtime.Intrinsics.Vector512<float>>(isa, Int8For(isa)),
            KernelIsa.Avx2 => new SimdKernelSet<SimdOpsAvx2, System.Runtime.Intrinsics.Vector256<float>>(isa, Int8For(isa)),
            KernelIsa.Vector128 => new SimdKernelSet<SimdOpsVector128, System.Runtime.Intrinsics.Vector128<float>>(isa, Int8For(isa)),
            _ => new SimdKernelSet<SimdOpsScalar, float>(isa, Int8For(isa)),
        };
    }

    /// <summary>
    /// The int8 dot product that goes with a float variant: the same vector width, except that 256-bit VNNI (one
    /// vpdpbusd per load instead of the sign trick's four or five instructions) wins wherever the CPU has it, AVX-512
    /// included — measured on Zen 5, LSTM 256/512/1024 int8 Steps of 4.4 / 21.8 / 94.3 µs against 512-bit vpmaddubsw's
    /// 5.1 / 22.6 / 96.0, and equal or better Runs, once its one-vector kernel kept eight chains of vpdpbusd in flight;
    /// the scalar code for 128-bit vectors off x64, where no byte dot product is exposed portably.
    /// </summary>
    internal static Int8Kernel Int8For(KernelIsa isa) => isa switch
    {
        KernelIsa.Avx512 or KernelIsa.Avx2 when Int8OpsAvxVnni.IsSupported
            => new Int8Kernel<Int8OpsAvxVnni, System.Runtime.Intrinsics.Vector256<int>, System.Runtime.Intrinsics.Vector256<sbyte>>("avx-vnni"),
        KernelIsa.Avx512 when Int8OpsAvx512.IsSupported
            => new Int8Kernel<Int8OpsAvx512, System.Runtime.Intrinsics.Vector512<int>, System.Runtime.Intrinsics.Vector512<sbyte>>("avx512bw"),
        KernelIsa.Avx512 or KernelIsa.Avx2
            => new Int8Kernel<Int8OpsAvx2, System.Runtime.Intrinsics.Vector256<int>, System.Runtime.Intrinsics.Vector256<sbyte>>("avx2"),
        KernelIsa.Vector128 when Int8OpsSsse3.IsSupported
            => new Int8Kernel<Int8OpsSsse3, System.Runtime.Intrinsics.Vector128<int>, System.Runtime.Intrinsics.Vector128<sbyte>>("ssse3"),
        _ => new Int8Kernel<Int8OpsScalar, int, int>("scalar"),
    };

    /// <summary>Whether this CPU (and the runtime's switches) allow <paramref name="isa"/>.</summary>
    public static bool IsSupported(KernelIsa isa) => isa switch
    {
        KernelIsa.Scalar => true,
        KernelIsa.Vector128 => SimdOpsVector128.IsSupported,
        KernelIsa.Avx2 => SimdOpsAvx2.IsSupported,
        KernelIsa.Avx512 => SimdOpsAvx512.IsSupported,
        _ => false,
    };

    /// <summary>Every variant this CPU can run, scalar first.</summary>
    public static IReadOnlyList<KernelIsa> Supported { get; } =
        Enum.GetValues<KernelIsa>().Where(IsSupported).ToArray();

    internal static KernelIsa Choose(string? forced)
    {
        if (!string.IsNullOrWhiteSpace(forced))
        {
            if (!Enum.TryParse(forced.Trim(), ignoreCase: true, out KernelIsa isa) || !Enum.IsDefined(isa) || int.TryParse(forced, out _))
                throw new InvalidOperationException(
                    $"{EnvironmentVariable}='{forced}' is not a kernel variant; use one of: {string.Join(", ", Enum.GetNames<KernelIsa>()).ToLowerInvariant()}");
            if (!IsSupported(isa))
                throw new InvalidOperationException($"{EnvironmentVariable}='{forced}' asks for {isa}, which this CPU or runtime configuration does not support");
            return isa;
        }
        for (var isa = KernelIsa.Avx512; isa > KernelIsa.Scalar; isa--)
        {
            if (IsSupported(isa))
                return isa;
        }
        return KernelIsa.Scalar;
    }
}
