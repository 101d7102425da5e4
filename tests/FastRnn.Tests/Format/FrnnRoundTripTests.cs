using FastRnn.Tests.Support;
using FastRnn.Format;

namespace FastRnn.Tests.Format;

public class FrnnRoundTripTests
{
    [Fact]
    public void Parse_ReturnsEveryMetadataValue_WithItsType()
    {
        using FrnnFile file = FrnnFile.Parse(SampleFiles.Full().ToArray());

        Assert.Equal("lstm", file.GetString("fastrnn.arch"));
        Assert.Equal(3L, file.GetInt64("lstm.hidden_size"));
        Assert.Equal(0.25, file.GetDouble("lstm.dropout"));
        Assert.True(file.GetBool("lstm.bidirectional"));
        Assert.False(file.GetBool("flag.off"));
        Assert.Equal([4L, -5L, long.MaxValue], file.GetInt64Array("lstm.layer_sizes"));
        Assert.Equal(["<pad>", "héllo", ""], file.GetStringArray("vocab"));
        Assert.Equal("", file.GetString("empty.string"));
        Assert.Empty(file.GetInt64Array("empty.ints"));
    }

    [Fact]
    public void Metadata_EnumeratesInInsertionOrder_WithDocumentedValueTypes()
    {
        using FrnnFile file = FrnnFile.Parse(SampleFiles.Full().ToArray());

        Assert.Equal(
            ["fastrnn.arch", "lstm.hidden_size", "lstm.dropout", "lstm.bidirectional", "lstm.layer_sizes", "vocab", "empty.string", "empty.ints", "flag.off"],
            file.Metadata.Select(pair => pair.Key));
        Assert.IsType<string>(file.Metadata["fastrnn.arch"]);
        Assert.IsType<long>(file.Metadata["lstm.hidden_size"]);
        Assert.IsType<double>(file.Metadata["lstm.dropout"]);
        Assert.IsType<bool>(file.Metadata["lstm.bidirectional"]);
        Assert.Equal([4L, -5L, long.MaxValue], Assert.IsAssignableFrom<IReadOnlyList<long>>(file.Metadata["lstm.layer_sizes"]));
        Assert.Equal(["<pad>", "héllo", ""], Assert.IsAssignableFrom<IReadOnlyList<string>>(file.Metadata["vocab"]));
    }

    [Fact]
    public void Parse_ReturnsTensorsInInsertionOrder_WithShapesAndData()
    {
        using FrnnFile file = FrnnFile.Parse(SampleFiles.Full().ToArray());
        AssertSampleTensors(file);
    }

    [Fact]
    public void Open_ReturnsSameContentsAsParse_FromAMappedFile()
    {
        using var temp = TempFile.With(SampleFiles.Full().ToArray());
        using FrnnFile file = FrnnFile.Open(temp.Path);

        Assert.Equal(1, file.FormatVersion);
        AssertSampleTensors(file);
        Assert.Equal(["<pad>", "héllo", ""], file.GetStringArray("vocab"));
    }

    [Fact]
    public void Save_WritesAFileThatOpenReads_AndReplacesAnExistingFile()
    {
        using var temp = TempFile.With([1, 2, 3]);
        SampleFiles.Full().Save(temp.Path);

        using FrnnFile file = FrnnFile.Open(temp.Path);
        AssertSampleTensors(file);
        Assert.Equal(SampleFiles.Full().ToArray(), File.ReadAllBytes(temp.Path));
    }

    [Fact]
    public void Writer_AlignsDataSectionAndEveryTensorTo64Bytes_InTheWrittenBytes()
    {
        byte[] bytes = SampleFiles.Full().ToArray();
        ulong dataOffset = FrnnBytes.U64(bytes, FrnnBytes.DataOffsetOffset);

        Assert.Equal(0UL, dataOffset % 64);
        Assert.Equal(0, bytes.Length % 64);
        List<TensorEntry> entries = FrnnBytes.Tensors(bytes);
        Assert.Equal(5, entries.Count);
        foreach (TensorEntry entry in entries)
        {
            Assert.Equal(0UL, (dataOffset + FrnnBytes.U64(bytes, entry.OffsetAt)) % 64);
        }
    }

    [Fact]
    public unsafe void Open_HandsOutSpansIntoTheMapping_AlignedTo64BytesInMemory()
    {
        using var temp = TempFile.With(SampleFiles.Full().ToArray());
        using FrnnFile file = FrnnFile.Open(temp.Path);
        var storage = Assert.IsType<MappedFrnnStorage>(file.Storage);
        byte* start = storage.BasePointer;
        byte* end = start + storage.Length;

        foreach (string name in new[] { "scalar", "bias", "weight", "cube" })
        {
            fixed (float* p = file.GetFloat32(name))
            {
                Assert.True((byte*)p >= start && (byte*)p < end, $"tensor '{name}' is not a view into the mapping");
                Assert.Equal(0L, (long)p % 64);
            }
        }
    }

    [Fact]
    public unsafe void Parse_HandsOutSpansIntoTheCallersBuffer()
    {
        byte[] bytes = SampleFiles.Full().ToArray();
        using FrnnFile file = FrnnFile.Parse(bytes);
        FrnnTensorInfo weight = file.GetTensorInfo("weight");

        fixed (byte* buffer = bytes)
        fixed (float* p = file.GetFloat32("weight"))
        {
            Assert.Equal((long)FrnnBytes.U64(bytes, FrnnBytes.DataOffsetOffset) + weight.ByteOffset, (byte*)p - buffer);
        }
    }

    [Fact]
    public void GetFloat32_AllocatesNothing()
    {
        using var temp = TempFile.With(SampleFiles.Full().ToArray());
        using FrnnFile file = FrnnFile.Open(temp.Path);
        ReadOnlySpan<int> shape = [4, 3];
        float sum = file.GetFloat32("weight", shape)[0] + file.GetFloat32("bias")[0];

        Allocations.AssertNone(() =>
        {
            for (int i = 0; i < 100; i++)
                sum += file.GetFloat32("weight", [4, 3])[0] + file.GetFloat32("bias")[0];
        }, "tensor views of an open file");
        Assert.True(float.IsFinite(sum));
    }

    [Fact]
    public void EmptyWriter_ProducesA128ByteFileWithNothingInIt()
    {
        byte[] bytes = new FrnnWriter().ToArray();
        using FrnnFile file = FrnnFile.Parse(bytes);

        Assert.Equal(128, bytes.Length);
        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void Float64AndFloat32Values_RoundTripBitForBit_IncludingNaNPayloadsAndNegativeZero()
    {
        var writer = new FrnnWriter();
        double nan = BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_1234);
        writer.AddMetadata("nan", nan);
        writer.AddMetadata("negzero", -0.0);
        float[] special = [float.NaN, -0f, float.PositiveInfinity, float.Epsilon, BitConverter.Int32BitsToSingle(0x7FC0_0042)];
        writer.AddTensor("special", [special.Length], special);

        using FrnnFile file = FrnnFile.Parse(writer.ToArray());

        Assert.Equal(BitConverter.DoubleToInt64Bits(nan), BitConverter.DoubleToInt64Bits(file.GetDouble("nan")));
        Assert.Equal(BitConverter.DoubleToInt64Bits(-0.0), BitConverter.DoubleToInt64Bits(file.GetDouble("negzero")));
        Assert.Equal(special.Select(BitConverter.SingleToInt32Bits), file.GetFloat32("special").ToArray().Select(BitConverter.SingleToInt32Bits));
    }

    private static void AssertSampleTensors(FrnnFile file)
    {
        Assert.Equal(["scalar", "bias", "weight", "empty", "cube"], file.Tensors.Select(t => t.Name));
        Assert.All(file.Tensors, t => Assert.Equal(FrnnDType.Float32, t.DType));

        FrnnTensorInfo scalar = file.GetTensorInfo("scalar");
        Assert.Equal(0, scalar.Rank);
        Assert.Equal(1, scalar.ElementCount);
        Assert.Equal(4, scalar.ByteLength);
        Assert.Equal(SampleFiles.Values(1, seed: 1), file.GetFloat32("scalar", []).ToArray());

        Assert.Equal(SampleFiles.Values(5, seed: 2), file.GetFloat32("bias", [5]).ToArray());
        Assert.Equal(SampleFiles.Values(12, seed: 3), file.GetFloat32("weight", [4, 3]).ToArray());
        Assert.Equal(SampleFiles.Values(24, seed: 4), file.GetFloat32("cube", [2, 3, 4]).ToArray());
        Assert.Equal([2, 3, 4], file.GetTensorInfo("cube").Shape);

        FrnnTensorInfo empty = file.GetTensorInfo("empty");
        Assert.Equal([0, 7], empty.Shape);
        Assert.Equal(0, empty.ElementCount);
        Assert.Equal(0, empty.ByteLength);
        Assert.True(file.GetFloat32("empty", [0, 7]).IsEmpty);

        Assert.All(file.Tensors, t => Assert.Equal(0, t.ByteOffset % 64));
    }
}
