using System.Runtime.CompilerServices;
using FastRnn.Kernels;

namespace FastRnn.Tests.Kernels;

/// <summary>
/// bfloat16 and int8 packing (register transposes for full panels, element by element for the rest, rows not of whole
/// quads padded): every stored element back where the layout says, the padding zero, and each int8 row's sum of bytes
/// as a plain loop adds it.
/// </summary>
public class QuantizedPackingTests
{
    private static readonly int[] Rows = [1, 31, 32, 33, 64, 100];
    private static readonly (int A, int B)[] Cols = [(1, 0), (3, 0), (4, 0), (7, 0), (8, 0), (9, 17), (13, 64), (100, 3), (64, 64)];

    [Fact]
    public void BFloat16Packing_PutsEveryElementInItsPlace_AndZeroesThePadding()
    {
        var random = new Random(91);
        foreach (int rows in Rows)
        {
            foreach ((int colsA, int colsB) in Cols)
            {
                ushort[] a = Enumerable.Range(0, rows * colsA).Select(_ => (ushort)random.Next(1, 65536)).ToArray();
                ushort[] b = Enumerable.Range(0, rows * colsB).Select(_ => (ushort)random.Next(1, 65536)).ToArray();
                int cols = colsA + colsB;
                PackedMatrix w = colsB == 0
                    ? PackedMatrix.FromWeights(new WeightData(a), rows, colsA)
                    : PackedMatrix.FromWeightPair(new WeightData(a), colsA, new WeightData(b), colsB, rows);
                BFloat16Panels packed = w.BFloat16!;
                for (int p = 0; p < w.PanelCount; p++)
                {
                    for (int lane = 0; lane < PackedMatrix.PanelRows; lane++)
                    {
                        int r = p * PackedMatrix.PanelRows + lane;
                        for (int k = 0; k < cols; k++)
                        {
                            ushort expected = r >= rows ? (ushort)0 : k < colsA ? a[r * colsA + k] : b[r * colsB + k - colsA];
                            Assert.True(expected == packed[p, k, lane], $"({rows}; {colsA}|{colsB}) row {r} column {k}: expected {expected}, stored {packed[p, k, lane]}");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void Int8Packing_PutsEveryByteInItsPlace_ZeroesThePadding_AndSumsEachRow()
    {
        var random = new Random(92);
        foreach (int rows in Rows)
        {
            foreach ((int colsA, int colsB) in Cols)
            {
                sbyte[] a = Enumerable.Range(0, rows * colsA).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
                sbyte[] b = Enumerable.Range(0, rows * colsB).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
                float[] scalesA = Enumerable.Range(0, rows).Select(_ => (float)random.NextDouble()).ToArray();
                float[] scalesB = Enumerable.Range(0, rows).Select(_ => (float)random.NextDouble()).ToArray();
                PackedMatrix w = colsB == 0
                    ? PackedMatrix.FromWeights(new WeightData(a, scalesA), rows, colsA)
                    : PackedMatrix.FromWeightPair(new WeightData(a, scalesA), colsA, new WeightData(b, scalesB), colsB, rows);
                Int8Panels packed = w.Int8!;
                foreach (Int8Segment segment in packed.Segments)
                {
                    (sbyte[] block, float[] scales) = segment.Column == 0 ? (a, scalesA) : (b, scalesB);
                    for (int p = 0; p < w.PanelCount; p++)
                    {
                        for (int lane = 0; lane < PackedMatrix.PanelRows; lane++)
                        {
                            int r = p * PackedMatrix.PanelRows + lane;
                            // Every byte of the segment's quads, its padding columns included.
                            for (int k = 0; k < segment.Quads * 4; k++)
                            {
                                sbyte expected = r < rows && k < segment.Cols ? block[r * segment.Cols + k] : (sbyte)0;
                                sbyte stored = StoredByte(packed, segment, p, lane, k);
                                Assert.True(expected == stored, $"({rows}; {colsA}|{colsB}) segment at {segment.Column}, row {r}, column {k}: expected {expected}, stored {stored}");
                            }
                            int sum = 0;
                            for (int k = 0; r < rows && k < segment.Cols; k++)
                                sum += block[r * segment.Cols + k];
                            Assert.Equal(sum, segment.RowSums[r]);
                            Assert.Equal(r < rows ? scales[r] : 0f, segment.Scales[r]);
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void Pairs_StoreEachBlocksPanelsContiguously_OneBlockAfterTheOther()
    {
        // A sequence's recurrence reads W_hh alone: its panels must be one run of bytes, not every other run of [W_ih | W_hh].
        var random = new Random(93);
        foreach ((int rows, int colsA, int colsB) in new[] { (100, 37, 64), (64, 1024, 256), (33, 4, 5) })
        {
            sbyte[] a = Enumerable.Range(0, rows * colsA).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
            sbyte[] b = Enumerable.Range(0, rows * colsB).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
            float[] scales = Enumerable.Range(0, rows).Select(_ => 1f).ToArray();
            PackedMatrix int8 = PackedMatrix.FromWeightPair(new WeightData(a, scales), colsA, new WeightData(b, scales), colsB, rows);
            Int8Segment first = int8.Int8!.Segments[0], second = int8.Int8.Segments[1];
            int quadsA = (colsA + 3) / 4, quadsB = (colsB + 3) / 4, panels = int8.PanelCount, p32 = PackedMatrix.PanelRows;
            Assert.Equal((0, panels * quadsA * p32 * 4), (first.ByteOffset, second.ByteOffset));
            Assert.Equal((quadsA * p32 * 4, quadsB * p32 * 4), (first.PanelStride, second.PanelStride));
            Assert.Equal(second.ByteOffset, int8.Columns(colsA, colsB).Int8!.Segments[0].ByteOffset);

            ushort[] ha = Enumerable.Range(0, rows * colsA).Select(_ => (ushort)random.Next(1, 65536)).ToArray();
            ushort[] hb = Enumerable.Range(0, rows * colsB).Select(_ => (ushort)random.Next(1, 65536)).ToArray();
            PackedMatrix bf16 = PackedMatrix.FromWeightPair(new WeightData(ha), colsA, new WeightData(hb), colsB, rows);
            BFloat16Segment hFirst = bf16.BFloat16!.Segments[0], hSecond = bf16.BFloat16.Segments[1];
            Assert.Equal((0, panels * colsA * p32), (hFirst.Offset, hSecond.Offset));
            Assert.Equal((colsA * p32, colsB * p32), (hFirst.PanelStride, hSecond.PanelStride));
            Assert.Equal(hSecond.Offset, bf16.Columns(colsA, colsB).BFloat16!.Segments[0].Offset);
            Assert.Throws<ArgumentOutOfRangeException>(() => bf16.Columns(1, colsA));
            Assert.Throws<ArgumentOutOfRangeException>(() => int8.Columns(1, colsA));
        }
    }

    // Byte k of the segment's row (panel p, lane) as the layout defines it: quad k / 4, lane's four bytes.
    private static sbyte StoredByte(Int8Panels packed, Int8Segment segment, int p, int lane, int k)
        => Unsafe.Add(ref packed.PanelRef(segment, p), ((k / 4) * PackedMatrix.PanelRows + lane) * 4 + k % 4);
}
