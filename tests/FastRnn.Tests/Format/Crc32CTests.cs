using System.Text;
using FastRnn.Format;

namespace FastRnn.Tests.Format;

public class Crc32CTests
{
    [Fact]
    public void Compute_MatchesCheckValue_ForAsciiDigits() =>
        Assert.Equal(0xE306_9283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));

    // RFC 3720 (iSCSI) appendix B.4 test vectors.
    [Theory]
    [InlineData(0x00, 0x8A91_36AAu)]
    [InlineData(0xFF, 0x62A8_AB43u)]
    public void Compute_MatchesRfc3720Vectors_For32EqualBytes(byte fill, uint expected) =>
        Assert.Equal(expected, Crc32C.Compute(Enumerable.Repeat(fill, 32).ToArray()));

    [Fact]
    public void Compute_MatchesRfc3720Vector_ForIncreasingBytes() =>
        Assert.Equal(0x46DD_794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));

    [Fact]
    public void Compute_MatchesBitwiseReference_ForEveryLengthUpTo257()
    {
        var random = new Random(42);
        for (int length = 0; length <= 257; length++)
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(FrnnBytes.ReferenceCrc32C(data), Crc32C.Compute(data));
        }
    }

    [Fact]
    public void Append_IsIndependentOfHowTheInputIsSplit()
    {
        byte[] data = new byte[200];
        new Random(7).NextBytes(data);
        uint whole = Crc32C.Compute(data);
        for (int split = 0; split <= data.Length; split += 13)
        {
            uint state = Crc32C.Append(Crc32C.Begin, data.AsSpan(0, split));
            Assert.Equal(whole, Crc32C.End(Crc32C.Append(state, data.AsSpan(split))));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(63)]
    public void AppendZeros_EqualsAppendingZeroBytes(int count)
    {
        uint state = Crc32C.Append(Crc32C.Begin, [1, 2, 3]);
        Assert.Equal(Crc32C.Append(state, new byte[count]), Crc32C.AppendZeros(state, count));
    }

    [Fact]
    public void Append_MatchesBitwiseReference_AcrossTheThreeLaneRounds()
    {
        // Lengths around one and two rounds of three lanes, and starting states other than the initial one.
        int round = 3 * Crc32C.LaneBytes;
        var random = new Random(11);
        foreach (int length in new[] { round - 1, round, round + 1, round + 9, 2 * round - 8, 2 * round, 2 * round + 7 })
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(FrnnBytes.ReferenceCrc32C(data), Crc32C.Compute(data));
            uint state = Crc32C.Append(Crc32C.Begin, data.AsSpan(0, 5));
            Assert.Equal(FrnnBytes.ReferenceCrc32C(data), Crc32C.End(Crc32C.Append(state, data.AsSpan(5))));
        }
    }

    [Fact]
    public void Append_MatchesBitwiseReference_AcrossTheFoldingGroups()
    {
        // Carry-less folding takes inputs from Crc32CFold.MinimumBytes on, in groups of four vectors (128 or 256
        // bytes), the rest through the CRC32 lanes: lengths around both, odd starting offsets, and other states.
        var random = new Random(13);
        int min = Crc32CFold.MinimumBytes;
        foreach (int length in new[] { min - 1, min, min + 1, min + 127, min + 128, min + 255, min + 256, 4099, 3 * Crc32C.LaneBytes + 300, 100_003 })
        {
            byte[] data = new byte[length + 3];
            random.NextBytes(data);
            ReadOnlySpan<byte> input = data.AsSpan(3, length); // not aligned
            Assert.Equal(FrnnBytes.ReferenceCrc32C(input.ToArray()), Crc32C.Compute(input));
            uint state = Crc32C.Append(Crc32C.Begin, data.AsSpan(0, 3));
            Assert.Equal(FrnnBytes.ReferenceCrc32C(data), Crc32C.End(Crc32C.Append(state, input)));
        }
    }

    [Fact]
    public void Append_OfLongZeroAndOnesRuns_MatchesBitwiseReference()
    {
        foreach (byte fill in new byte[] { 0x00, 0xFF })
        {
            byte[] data = Enumerable.Repeat(fill, 5000).ToArray();
            Assert.Equal(FrnnBytes.ReferenceCrc32C(data), Crc32C.Compute(data));
        }
    }
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(255)]
    [InlineData(4096)]
    [InlineData(100_003)]
    public void Shift_EqualsFeedingThatManyZeroBytes_BitByBit(int count)
    {
        foreach (uint state in new[] { 0u, 1u, 0x8000_0000u, 0xFFFF_FFFFu, 0x1234_5678u })
            Assert.Equal(FrnnBytes.ReferenceCrc32CUpdate(state, new byte[count]), Crc32C.Shift(state, count));
    }

    [Fact]
    public void Shift_ComposesOverCountsBeyondASpan()
    {
        // Counts past 2^32 use the high powers; the one-byte step applied 2^k times is checked above for small k.
        const long a = (1L << 33) + 12_345, b = (1L << 31) - 7;
        Assert.Equal(Crc32C.Shift(Crc32C.Shift(0xDEAD_BEEFu, a), b), Crc32C.Shift(0xDEAD_BEEFu, a + b));
        Assert.Throws<ArgumentOutOfRangeException>(() => Crc32C.Shift(1u, -1));
    }

    [Fact]
    public void RangesChecksummedFromZero_JoinIntoTheWholeChecksum()
    {
        var random = new Random(11);
        byte[] data = new byte[70_000];
        random.NextBytes(data);
        for (int trial = 0; trial < 20; trial++)
        {
            int split = random.Next(data.Length + 1);
            uint head = Crc32C.Append(Crc32C.Begin, data.AsSpan(0, split));
            uint tail = Crc32C.Append(0, data.AsSpan(split));
            Assert.Equal(FrnnBytes.ReferenceCrc32C(data), Crc32C.End(Crc32C.Shift(head, data.Length - split) ^ tail));
        }
    }
}
