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

    [Theory]
    [MemberData(nameof(ThreadCounts))]
    public void Float32_PackedOnThreads_HoldsEverySourceElement_AndTheReferenceChecksum(int threads)
    {
        const int rows = 2076, colsA = 517, colsB = 128; // 65 panels, the last of 28 rows; A alone is 4.3 MB
        var random = new Random(threads);
        float[] a = Values(random, rows * colsA), b = Values(random, rows * colsB);
        var sumA = new SourceChecksum(0, a.Length * 4L);
        var sumB = new SourceChecksum(0, b.Length * 4L);
        PackedMatrix pair = PackedMatrix.FromRowMajorPair(a, colsA, b, colsB, rows, checksumA: sumA, checksumB: sumB, threads: threads);
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
    public void ModelLoadOptions_RefusesThreadCountsOutsideItsRange()
    {
        Assert.Contains("1 to 64", Assert.Throws<ArgumentOutOfRangeException>(() => new ModelLoadOptions { Threads = 0 }).Message);
        Assert.Contains("1 to 64", Assert.Throws<ArgumentOutOfRangeException>(() => new ModelLoadOptions { Threads = 65 }).Message);
        Assert.Equal(1, ModelLoadOptions.Default.Threads);
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
