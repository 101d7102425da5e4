using FastRnn.Format;

namespace FastRnn.Tests.Format;

/// <summary>Files that are wrong in exactly one way. Edits after the header are followed by
/// <see cref="FrnnBytes.FixChecksum"/> so the structural check, not the checksum, is what must fire.</summary>
public class FrnnRejectionTests
{
    [Fact]
    public void Parse_RejectsWrongMagic_ShowingExpectedAndActualBytes()
    {
        byte[] bytes = SampleFiles.TwoTensors();
        bytes[0] = (byte)'G';

        var e = Reject(bytes);
        Assert.Contains("magic", e.Message);
        Assert.Contains("46 52 4E 4E 0D 0A 1A 0A", e.Message);
        Assert.Contains("actual 47 52 4E 4E 0D 0A 1A 0A", e.Message);
    }

    [Fact]
    public void Parse_RejectsAtTheMagic_AFileWhoseCrLfWasConvertedToLf()
    {
        byte[] bytes = SampleFiles.TwoTensors();
        byte[] mangled = [.. bytes[..4], .. bytes[5..]];

        Assert.Contains("text-mode", Reject(mangled).Message);
    }

    [Fact]
    public void Parse_RejectsAShortForeignFile_AsWrongMagicNotAsTruncated()
    {
        var e = Reject("hello"u8.ToArray());
        Assert.Contains("magic", e.Message);
        Assert.Contains("actual 68 65 6C 6C 6F", e.Message);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(2u)]
    [InlineData(uint.MaxValue)]
    public void Parse_RejectsOtherVersions_NamingBothVersions(uint version)
    {
        byte[] bytes = SampleFiles.TwoTensors();
        FrnnBytes.SetU32(bytes, FrnnBytes.VersionOffset, version);

        var e = Reject(FrnnBytes.FixChecksum(bytes));
        Assert.Equal($"format version: expected 1, actual {version}; this reader supports only version 1", e.Message);
    }

    [Fact]
    public void Parse_RejectsAnotherHeaderSize()
    {
        byte[] bytes = SampleFiles.TwoTensors();
        FrnnBytes.SetU32(bytes, FrnnBytes.HeaderSizeOffset, 128);

        Assert.Equal("header size: expected 96, actual 128", Reject(FrnnBytes.FixChecksum(bytes)).Message);
    }

    [Fact]
    public void Parse_RejectsNonZeroReservedHeaderField()
    {
        byte[] bytes = SampleFiles.TwoTensors();
        FrnnBytes.SetU32(bytes, FrnnBytes.Reserved0Offset, 5);

        Assert.Equal("reserved field at offset 28: expected 0, actual 5", Reject(FrnnBytes.FixChecksum(bytes)).Message);
    }

    [Fact]
    public void Parse_RejectsAbsurdDimensions_BeforeAllocating()
    {
        byte[] bytes = SampleFiles.TwoTensors();
        TensorEntry first = FrnnBytes.FindTensor(bytes, "first");
        FrnnBytes.SetU64(bytes, first.DimsAt, 1UL << 40);
        FrnnBytes.SetU64(bytes, first.DimsAt + 8, 1UL << 40);

        var e = Reject(FrnnBytes.FixChecksum(bytes));
        Assert.Contains("tensor 'first' dimension 0", e.Message);
        Assert.Contains("actual 1099511627776", e.Message);
    }

    [Fact]
    public void Parse_RejectsDimensionsWhoseProductOverflowsASpan()
    {
        byte[] bytes = SampleFiles.TwoTensors();
        TensorEntry first = FrnnBytes.FindTensor(bytes, "first");
        FrnnBytes.SetU64(bytes, first.DimsAt, 1UL << 20);
        FrnnBytes.SetU64(bytes, first.DimsAt + 8, 1UL << 20);

        var e = Reject(FrnnBytes.FixChecksum(bytes));
        Assert.Contains("tensor 'first' element count", e.Message);
        Assert.Contains("[1048576, 1048576]", e.Message);
    }

    [Fact]
    public void Parse_RejectsRankAboveEight()
    {
        byte[] bytes = SampleFiles.TwoTensors();
        bytes[FrnnBytes.FindTensor(bytes, "first").RankAt] = 200;

        Assert.Equal("tensor 'first' rank: expected at most 8, actual 200", Reject(FrnnBytes.FixChecksum(bytes)).Message);
    }

    [Fact]
    public void Parse_RejectsByteLengthThatDoesNotMatchTheShape()
    {
        byte[] bytes = SampleFiles.TwoTensors();
        FrnnBytes.SetU64(bytes, FrnnBytes.FindTensor(bytes, "second").ByteLengthAt, 124);

        var e = Reject(FrnnBytes.FixChecksum(bytes));
        Assert.Contains("tensor 'second' byte length: expected 128", e.Message);
        Assert.Contains("actual 124", e.Message);
    }

    [Fact]
    public void Parse_RejectsOverlappingTensors_NamingBoth()
    {
        byte[] bytes = SampleFiles.TwoTensors();
        FrnnBytes.SetU64(bytes, FrnnBytes.FindTensor(bytes, "second").OffsetAt, 64);

        var e = Reject(FrnnBytes.FixChecksum(bytes));
        Assert.Contains("tensors 'first' and 'second' overlap", e.Message);
        Assert.Contains("start at or after 128", e.Message);
        Assert.Contains("actual offset 64", e.Message);
    }

    [Fact]
    public void Parse_RejectsTwoTensorsAtTheSameOffset()
    {
        byte[] bytes = SampleFiles.TwoTensors();
        FrnnBytes.SetU64(bytes, FrnnBytes.FindTensor(bytes, "second").OffsetAt, 0);

        Assert.Contains("overlap", Reject(FrnnBytes.FixChecksum(bytes)).Message);
    }

    [Theory]
    [InlineData(256UL)]
    [InlineData(192UL)]
    [InlineData(1UL << 62)]
    [InlineData(ulong.MaxValue - 63)]
    public void Parse_RejectsTensorOutsideTheDataSection(ulong offset)
    {
        byte[] bytes = SampleFiles.TwoTensors();
        FrnnBytes.SetU64(bytes, FrnnBytes.FindTensor(bytes, "second").OffsetAt, offset);

        var e = Reject(FrnnBytes.FixChecksum(bytes));
        Assert.Contains("tensor 'second'", e.Message);
        Assert.Contains("256-byte data section", e.Message);
        Assert.Contains($"actual offset {offset}", e.Message);
    }

    [Fact]
    public void Parse_RejectsMisalignedTensorOffset()
    {
        byte[] bytes = SampleFiles.TwoTensors();
        FrnnBytes.SetU64(bytes, FrnnBytes.FindTensor(bytes, "second").OffsetAt, 132);

        Assert.Equal("tensor 'second' offset: expected a multiple of 64, actual 132", Reject(FrnnBytes.FixChecksum(bytes)).Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(255)]
    public void Parse_RejectsUnknownDType(byte code)
    {
        byte[] bytes = SampleFiles.TwoTensors();
        bytes[FrnnBytes.FindTensor(bytes, "first").DTypeAt] = code;

        Assert.Equal($"tensor 'first' dtype: expected 1 (float32), 2 (float16), 3 (bfloat16) or 4 (int8), actual unknown code {code}", Reject(FrnnBytes.FixChecksum(bytes)).Message);
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(3, 2)]
    [InlineData(4, 1)]
    public void Parse_RejectsADTypeWhoseElementSizeDisagreesWithTheByteLength(byte code, int elementSize)
    {
        byte[] bytes = SampleFiles.TwoTensors();
        var entry = FrnnBytes.FindTensor(bytes, "first");
        bytes[entry.DTypeAt] = code;
        ulong stored = FrnnBytes.U64(bytes, entry.ByteLengthAt);

        var e = Reject(FrnnBytes.FixChecksum(bytes));
        Assert.Contains($"tensor 'first' byte length: expected {stored / 4 * (ulong)elementSize}", e.Message);
    }

    [Fact]
    public void Parse_RejectsDuplicateTensorNames()
    {
        var writer = new FrnnWriter();
        writer.AddTensor("aa", [1], [1f]);
        writer.AddTensor("ab", [1], [2f]);
        byte[] bytes = writer.ToArray();
        FrnnBytes.OverwriteAscii(bytes, FrnnBytes.FindTensor(bytes, "ab").NameAt, "aa");

        var e = Reject(FrnnBytes.FixChecksum(bytes));
        Assert.Contains("tensor 'aa'", e.Message);
        Assert.Contains("more than once", e.Message);
    }

    [Fact]
    public void Parse_RejectsDuplicateMetadataKeys()
    {
        var writer = new FrnnWriter();
        writer.AddMetadata("k1", 1L);
        writer.AddMetadata("k2", "x");
        byte[] bytes = writer.ToArray();
        FrnnBytes.OverwriteAscii(bytes, FrnnBytes.FindMetadata(bytes, "k2").KeyAt, "k1");

        var e = Reject(FrnnBytes.FixChecksum(bytes));
        Assert.Contains("metadata 'k1'", e.Message);
        Assert.Contains("more than once", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(255)]
    public void Parse_RejectsUnknownMetadataTypeCode(byte code)
    {
        byte[] bytes = SampleFiles.TwoTensors();
        bytes[FrnnBytes.FindMetadata(bytes, "hidden").TypeAt] = code;

        var e = Reject(FrnnBytes.FixChecksum(bytes));
        Assert.Contains("metadata 'hidden' type code", e.Message);
        Assert.Contains($"actual {code}", e.Message);
    }

    [Fact]
    public void Parse_RejectsBoolOtherThanZeroOrOne()
    {
        var writer = new FrnnWriter();
        writer.AddMetadata("flag", true);
        byte[] bytes = writer.ToArray();
        bytes[FrnnBytes.FindMetadata(bytes, "flag").ValueAt] = 2;

        Assert.Equal("metadata 'flag' bool value: expected 0 or 1, actual 2", Reject(FrnnBytes.FixChecksum(bytes)).Message);
    }

    [Fact]
    public void Parse_RejectsInvalidUtf8InATensorName()
    {
        byte[] bytes = SampleFiles.TwoTensors();
        int nameAt = FrnnBytes.FindTensor(bytes, "second").NameAt;
        bytes[nameAt] = 0xC3;
        bytes[nameAt + 1] = 0x28;

        var e = Reject(FrnnBytes.FixChecksum(bytes));
        Assert.Contains("tensor table entry 1, field 'name': expected valid UTF-8", e.Message);
        Assert.Contains("C3 28", e.Message);
    }

    [Fact]
    public void Parse_RejectsEmptyTensorName()
    {
        byte[] bytes = SampleFiles.TwoTensors();
        FrnnBytes.SetU32(bytes, FrnnBytes.FindTensor(bytes, "first").NameAt - 4, 0);

        Assert.Contains("tensor table entry 0, field 'name': expected a non-empty UTF-8 string", Reject(FrnnBytes.FixChecksum(bytes)).Message);
    }

    [Fact]
    public void Parse_RejectsTensorCountThatCannotFitInTheTable()
    {
        byte[] bytes = SampleFiles.TwoTensors();
        FrnnBytes.SetU32(bytes, FrnnBytes.TensorCountOffset, uint.MaxValue);

        var e = Reject(FrnnBytes.FixChecksum(bytes));
        Assert.Contains("tensor count: expected at most", e.Message);
        Assert.Contains($"actual {uint.MaxValue}", e.Message);
    }

    [Fact]
    public void Parse_RejectsMetadataCountThatCannotFitInTheSection()
    {
        byte[] bytes = SampleFiles.TwoTensors();
        FrnnBytes.SetU32(bytes, FrnnBytes.MetadataCountOffset, 1_000_000);

        Assert.Contains("metadata count: expected at most", Reject(FrnnBytes.FixChecksum(bytes)).Message);
    }

    [Fact]
    public void Parse_RejectsArrayCountLargerThanTheRemainingBytes_BeforeAllocating()
    {
        var writer = new FrnnWriter();
        writer.AddMetadata("sizes", [1L, 2L]);
        byte[] bytes = writer.ToArray();
        FrnnBytes.SetU32(bytes, FrnnBytes.FindMetadata(bytes, "sizes").ValueAt, int.MaxValue);

        var e = Reject(FrnnBytes.FixChecksum(bytes));
        Assert.Contains("metadata entry 0 ('sizes'), field 'element count'", e.Message);
        Assert.Contains($"expected {(long)int.MaxValue * 8} bytes", e.Message);
    }

    [Fact]
    public void Parse_RejectsStringLengthRunningPastTheSection()
    {
        var writer = new FrnnWriter();
        writer.AddMetadata("name", "abc");
        byte[] bytes = writer.ToArray();
        FrnnBytes.SetU32(bytes, FrnnBytes.FindMetadata(bytes, "name").ValueAt, uint.MaxValue);

        Assert.Contains("metadata entry 0 ('name'), field 'value': expected 4294967295 bytes", Reject(FrnnBytes.FixChecksum(bytes)).Message);
    }

    [Fact]
    public void Parse_RejectsTableBytesLeftOverAfterTheLastEntry()
    {
        byte[] bytes = SampleFiles.TwoTensors();
        FrnnBytes.SetU32(bytes, FrnnBytes.TensorCountOffset, 1);

        Assert.Contains("tensor table section length: expected", Reject(FrnnBytes.FixChecksum(bytes)).Message);
    }

    [Theory]
    [InlineData(FrnnBytes.MetadataLengthOffset, "metadata section")]
    [InlineData(FrnnBytes.TableLengthOffset, "tensor table section")]
    [InlineData(FrnnBytes.DataLengthOffset, "data section")]
    public void Parse_RejectsSectionLengthPastTheEndOfTheFile_WithoutOverflowing(int field, string section)
    {
        foreach (ulong length in new[] { 1UL << 20, ulong.MaxValue })
        {
            byte[] bytes = SampleFiles.TwoTensors();
            FrnnBytes.SetU64(bytes, field, length);

            var e = Reject(FrnnBytes.FixChecksum(bytes));
            Assert.StartsWith(section, e.Message);
            Assert.Contains($"length {length} ends past it", e.Message);
        }
    }

    [Fact]
    public void Parse_RejectsSectionsOutOfTheirFixedOrder()
    {
        byte[] bytes = SampleFiles.TwoTensors();
        FrnnBytes.SetU64(bytes, FrnnBytes.TableOffsetOffset, FrnnBytes.U64(bytes, FrnnBytes.TableOffsetOffset) + 1);

        Assert.Contains("tensor table offset: expected", Reject(FrnnBytes.FixChecksum(bytes)).Message);
    }

    private static FrnnFormatException Reject(byte[] bytes) => Assert.Throws<FrnnFormatException>(() => FrnnFile.Parse(bytes));
}
