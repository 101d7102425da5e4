using FastRnn.Format;

namespace FastRnn.Tests.Format;

public class FrnnCorruptionTests
{
    [Fact]
    public void Parse_ThrowsFormatException_ForEveryTruncation()
    {
        byte[] bytes = SampleFiles.Small();
        for (int length = 0; length < bytes.Length; length++)
        {
            var e = Assert.Throws<FrnnFormatException>(() => FrnnFile.Parse(bytes.AsMemory(0, length)));
            Assert.Contains("file length", e.Message);
        }
    }

    [Fact]
    public void Parse_NamesTheDeclaredAndActualLength_ForATruncatedFile()
    {
        byte[] bytes = SampleFiles.Small();
        var e = Assert.Throws<FrnnFormatException>(() => FrnnFile.Parse(bytes.AsMemory(0, bytes.Length - 1)));
        Assert.Contains($"header says {bytes.Length} bytes", e.Message);
        Assert.Contains($"actual length is {bytes.Length - 1} bytes", e.Message);
    }

    [Fact]
    public void Parse_RejectsAFileWithBytesAppended()
    {
        byte[] bytes = [.. SampleFiles.Small(), 0];
        var e = Assert.Throws<FrnnFormatException>(() => FrnnFile.Parse(bytes));
        Assert.Contains("file length", e.Message);
    }

    [Theory]
    [InlineData(0x01)]
    [InlineData(0x80)]
    [InlineData(0xFF)]
    public void Parse_ThrowsFormatException_ForAFlippedByteAtEveryPosition(byte mask)
    {
        byte[] original = SampleFiles.Small();
        for (int position = 0; position < original.Length; position++)
        {
            byte[] bytes = (byte[])original.Clone();
            bytes[position] ^= mask;
            Assert.Throws<FrnnFormatException>(() => FrnnFile.Parse(bytes));
        }
    }

    [Fact]
    public void Parse_ReportsChecksumMismatch_WithBothValues_ForAFlippedDataByte()
    {
        byte[] bytes = SampleFiles.Small();
        uint stored = FrnnBytes.U32(bytes, FrnnBytes.ChecksumOffset);
        bytes[^1] ^= 0x10;
        uint computed = FrnnBytes.Checksum(bytes);

        var e = Assert.Throws<FrnnFormatException>(() => FrnnFile.Parse(bytes));
        Assert.Equal($"checksum mismatch: file says 0x{stored:X8}, contents hash to 0x{computed:X8}", e.Message);
    }

    [Fact]
    public void Parse_EitherSucceedsOrThrowsFormatException_ForAnyByteValueWithAValidChecksum()
    {
        // With the checksum recomputed, every edit reaches the structural checks; none may escape as another
        // exception type (IndexOutOfRange, Overflow, OutOfMemory...).
        byte[] original = SampleFiles.Small();
        byte[] values = [0x00, 0x01, 0x02, 0x07, 0x08, 0x40, 0x7F, 0x80, 0xFE, 0xFF];
        for (int position = 0; position < original.Length; position++)
        {
            if (position is >= FrnnBytes.ChecksumOffset and < FrnnBytes.ChecksumOffset + 4)
            {
                continue;
            }

            foreach (byte value in values)
            {
                byte[] bytes = (byte[])original.Clone();
                bytes[position] = value;
                FrnnBytes.FixChecksum(bytes);
                try
                {
                    using FrnnFile file = FrnnFile.Parse(bytes);
                    foreach (FrnnTensorInfo tensor in file.Tensors)
                    {
                        Assert.Equal(tensor.ElementCount, file.GetFloat32(tensor.Name).Length);
                    }
                }
                catch (FrnnFormatException)
                {
                }
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(95)]
    [InlineData(96)]
    [InlineData(200)]
    public void Open_ThrowsFormatException_ForATruncatedFileOnDisk(int length)
    {
        byte[] bytes = SampleFiles.Small();
        using var temp = TempFile.With(bytes[..Math.Min(length, bytes.Length - 1)]);

        var e = Assert.Throws<FrnnFormatException>(() => FrnnFile.Open(temp.Path));
        Assert.Contains("file length", e.Message);
    }

    [Fact]
    public void Open_ThrowsFormatException_ForACorruptFileOnDisk_AndReleasesIt()
    {
        byte[] bytes = SampleFiles.Small();
        bytes[^3] ^= 1;
        using var temp = TempFile.With(bytes);

        var e = Assert.Throws<FrnnFormatException>(() => FrnnFile.Open(temp.Path));
        Assert.StartsWith("checksum mismatch", e.Message);

        // The failed open must not keep the file mapped or open: it can be rewritten right away.
        File.WriteAllBytes(temp.Path, SampleFiles.Small());
        using FrnnFile file = FrnnFile.Open(temp.Path);
        Assert.Equal(3, file.Tensors.Count);
    }
}
