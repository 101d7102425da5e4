using System.Runtime.InteropServices;
using FastRnn.Format;
using FastRnn.Kernels;
using FastRnn.Tests.Format;

namespace FastRnn.Tests.Kernels;

/// <summary>
/// Packing with more than one thread (<see cref="ModelLoadOptions.Threads"/>, <see cref="ParallelPacking"/>) shares a
/// large matrix's panels among threads in chunks: every packed element must still be its source element, and the
/// checksum joined from the chunks must be the bitwise reference CRC of the whole source. The matrices are over
/// <see cref="ParallelPacking.MinParallelBytes"/> (so they really are shared) and end in a partial panel.
/// </summary>
public class ParallelPackingTests
{
    public static IEnumerable<object[]> ThreadCounts() => new[] { 2, 3, 8 }.Select(t => new object[] { t });

    public static IEnumerable<object[]> ThreadCountsAndStores() =>
        from t in new[] { 2, 3, 8 } from streams in new[] { false, true } select new object[] { t, streams };

    [Theory]
    [MemberData(nameof(ThreadCountsAndStores))]
    public void Float32_PackedOnThreads_HoldsEverySourceElement_AndTheReferenceChecksum(int threads, bool streamStores)
    {
        // Streaming stores (a matrix too large to stay in the cache) are weakly ordered: each thread fences its own.
        const int rows = 2076, colsA = 517, colsB = 128; // 65 panels, the last of 28 rows; A alone is 4.3 MB
        var random = new Random(threads);
        float[] a = Values(random, rows * colsA), b = Values(random, rows * colsB);
        var sumA = new SourceChecksum(0, a.Length * 4L);
        var sumB = new SourceChecksum(0, b.Length * 4L);
        PackedMatrix pair = PackedMatrix.FromRowMajorPair(a, colsA, b, colsB, rows, streamStores, sumA, sumB, threads);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < colsA; c++)
                Assert.True(BitConverter.SingleToInt32Bits(a[r * colsA + c]) == BitConverter.SingleToInt32Bits(pair[r, c]), $"A[{r}, {c}]");
            for (int c = 0; c < colsB; c++)
                Assert.True(BitConverter.SingleToInt32Bits(b[r * colsB + c]) == BitConverter.SingleToInt32Bits(pair[r, colsA + c]), $"B[{r}, {c}]");
        }
        AssertChecksum(sumA, MemoryMarshal.AsBytes(a.AsSpan()), "A");
        AssertChecksum(sumB, MemoryMarshal.AsBytes(b.AsSpan()), "B");
    }

    [Theory]
    [MemberData(nameof(ThreadCounts))]
    public void BFloat16_PackedOnThreads_HoldsEverySourceElement_AndTheReferenceChecksum(int threads)
    {
        const int rows = 1630, cols = 341; // 1.1 MB of bfloat16; 51 panels, the last of 30 rows
        var random = new Random(10 + threads);
        ushort[] bits = new ushort[rows * cols];
        for (int i = 0; i < bits.Length; i++)
            bits[i] = (ushort)random.Next(0x3000, 0x4800); // finite, both below and above 1
        var sum = new SourceChecksum(0, bits.Length * 2L);
        PackedMatrix m = PackedMatrix.FromWeights(new WeightData(bits, sum) { PackThreads = threads }, rows, cols);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                float expected = BitConverter.Int32BitsToSingle(bits[r * cols + c] << 16);
                Assert.True(expected == m[r, c], $"[{r}, {c}]: {m[r, c]}, expected {expected}");
            }
        }
        AssertChecksum(sum, MemoryMarshal.AsBytes(bits.AsSpan()), "bfloat16");
    }

    [Theory]
    [MemberData(nameof(ThreadCounts))]
    public void Int8_PackedOnThreads_HoldsEverySourceElementAndRowSum_AndTheReferenceChecksum(int threads)
    {
        // Whole quads of columns (transposed as 32-bit quads) and not (padded after the checksummed pass), each 1.07 MB.
        foreach ((int rows, int cols) in new[] { (2076, 520), (2076, 517) })
        {
            var random = new Random(20 + threads + cols);
            sbyte[] q = new sbyte[rows * cols];
            for (int i = 0; i < q.Length; i++)
                q[i] = (sbyte)random.Next(-127, 128);
            float[] scales = Values(random, rows).Select(Math.Abs).ToArray();
            var sum = new SourceChecksum(0, q.Length);
            PackedMatrix m = PackedMatrix.FromWeights(new WeightData(q, scales, sum) { PackThreads = threads }, rows, cols);
            Int8Segment segment = m.Int8!.Segments[0];
            for (int r = 0; r < rows; r++)
            {
                int rowSum = 0;
                for (int c = 0; c < cols; c++)
                {
                    float expected = q[r * cols + c] * scales[r];
                    Assert.True(expected == m[r, c], $"{cols} columns, [{r}, {c}]: {m[r, c]}, expected {expected}");
                    rowSum += q[r * cols + c];
                }
                Assert.True(rowSum == segment.RowSums[r], $"{cols} columns, row {r}: sum {segment.RowSums[r]}, expected {rowSum}");
            }
            AssertChecksum(sum, MemoryMarshal.AsBytes(q.AsSpan()), $"int8, {cols} columns");
        }
    }

    [Fact]
    public void Run_SharesThePanelsWithAnotherThread_AndEachPanelIsPackedOnce()
    {
        // Every thread's first panel waits until a second thread has started one, so the sharing is not left to luck.
        var log = new PanelLog(panels: 40, failOnHelper: false);
        uint crc = ParallelPacking.Run(new LoggingPacker(log), 40, ParallelPacking.MinParallelBytes, threads: 2, checksum: true);
        Assert.True(log.Threads.Count >= 2, $"the panels were packed by {log.Threads.Count} thread(s)");
        Assert.All(log.Counts, c => Assert.Equal(1, c));
        // Each panel's "bytes" are its index, one byte: the joined state is the CRC of 0, 1, …, 39 in panel order.
        byte[] bytes = Enumerable.Range(0, 40).Select(i => (byte)i).ToArray();
        Assert.Equal(FrnnBytes.ReferenceCrc32CUpdate(0, bytes), crc);
    }

    [Fact]
    public void Run_RethrowsAFailureOnAnotherThread_AfterEveryTakenChunkIsDone()
    {
        var log = new PanelLog(panels: 40, failOnHelper: true);
        var e = Assert.Throws<InvalidOperationException>(() => ParallelPacking.Run(new LoggingPacker(log), 40, ParallelPacking.MinParallelBytes, threads: 2, checksum: true));
        Assert.Equal("a packer failed on a helper thread", e.Message);
        Assert.Equal(0, Volatile.Read(ref log.InFlight)); // nothing still packing once Run has returned
    }

    [Fact]
    public void FrnnFileLoad_HandsTheThreadCountToTheWeightsOfEveryPrecision()
    {
        // The seq2seq and language-model loaders go through the same FrnnFile.Load as RnnModel's.
        var config = new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 8, HiddenSize = 8 };
        byte[] fp32 = RnnModel.ToFrnn(config, Layers.OnnxFeatureTests.RandomParameters(config, new Random(3)));
        using var parsed = FrnnFile.Parse(fp32);
        foreach (byte[] file in new[] { fp32, FrnnQuantizer.Convert(parsed, WeightPrecision.BFloat16, minElements: 1).ToArray(), FrnnQuantizer.Convert(parsed, WeightPrecision.Int8, minElements: 1).ToArray() })
        {
            int threads = FrnnFile.Load(file, f => f.GetWeights("weight_hh_l0", [24, 8]).PackThreads, new ModelLoadOptions { Threads = 3 });
            Assert.Equal(3, threads);
            Assert.Equal(1, FrnnFile.Load(file, f => f.GetWeights("weight_hh_l0", [24, 8]).PackThreads));
        }
    }

    [Fact]
    public void ModelLoadOptions_RefusesThreadCountsOutsideItsRange()
    {
        Assert.Contains("1 to 64", Assert.Throws<ArgumentOutOfRangeException>(() => new ModelLoadOptions { Threads = 0 }).Message);
        Assert.Contains("1 to 64", Assert.Throws<ArgumentOutOfRangeException>(() => new ModelLoadOptions { Threads = 65 }).Message);
        Assert.Equal(1, ModelLoadOptions.Default.Threads);
    }

    /// <summary>What <see cref="LoggingPacker"/> saw: how often each panel was packed, by which threads.</summary>
    private sealed class PanelLog(int panels, bool failOnHelper)
    {
        public readonly int[] Counts = new int[panels];
        public readonly HashSet<int> Threads = [];
        public readonly bool FailOnHelper = failOnHelper;
        public readonly int Caller = Environment.CurrentManagedThreadId; // made on the thread that calls Run
        public int InFlight;
        private int _started;

        /// <summary>A thread's first panel: wait (up to 30 s) until two threads have started.</summary>
        public void Arrive()
        {
            lock (Threads)
            {
                if (!Threads.Add(Environment.CurrentManagedThreadId))
                    return;
            }
            Interlocked.Increment(ref _started);
            var wait = System.Diagnostics.Stopwatch.StartNew();
            while (Volatile.Read(ref _started) < 2 && wait.Elapsed < TimeSpan.FromSeconds(30))
                Thread.Sleep(1);
        }
    }

    private readonly struct LoggingPacker(PanelLog log) : IPanelPacker
    {
        public uint Pack(int panel, uint crc)
        {
            Interlocked.Increment(ref log.InFlight);
            try
            {
                log.Arrive();
                Interlocked.Increment(ref log.Counts[panel]);
                if (log.FailOnHelper && Environment.CurrentManagedThreadId != log.Caller)
                {
                    Thread.Sleep(20); // the caller must wait for this chunk, not return while it is in flight
                    throw new InvalidOperationException("a packer failed on a helper thread");
                }
                return Crc32C.Append(crc, [(byte)panel]);
            }
            finally
            {
                Interlocked.Decrement(ref log.InFlight);
            }
        }

        public long SourceBytes(int panel) => 1;

        public void Finish()
        {
        }
    }

    private static float[] Values(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    private static void AssertChecksum(SourceChecksum sum, ReadOnlySpan<byte> source, string what)
    {
        Assert.True(sum.IsComplete, $"{what}: the packer did not complete its checksum");
        uint expected = FrnnBytes.ReferenceCrc32CUpdate(0, source);
        Assert.True(expected == sum.State, $"{what}: checksum state 0x{sum.State:X8}, the bitwise reference gives 0x{expected:X8}");
    }
}
