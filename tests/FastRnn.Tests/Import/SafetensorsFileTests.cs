using System.Buffers.Binary;
using System.Text;
using FastRnn.Import;
using static FastRnn.Tests.Import.SafetensorsBytes;

namespace FastRnn.Tests.Import;

/// <summary>
/// The safetensors reader accepts what safetensors.torch.save_file writes and rejects, with an
/// <see cref="ImportException"/> naming the problem, everything the reference reader rejects.
/// </summary>
public class SafetensorsFileTests
{
    private static ImportException Rejects(byte[] bytes) => Assert.Throws<ImportException>(() => SafetensorsFile.Parse(bytes, "test.safetensors"));

    [Fact]
    public void Parse_ValidFile_GivesMetadataShapesAndFloats()
    {
        byte[] data = [.. Floats(1, -2, 3.5f, 0), .. Floats(7)];
        using var f = SafetensorsFile.Parse(Build(
            "{\"__metadata__\":{\"format\":\"pt\"}," + Entry("w", "F32", [2, 2], 0, 16) + "," + Entry("s", "F32", [], 16, 20) + "}", data));
        Assert.Equal("pt", f.Metadata["format"]);
        Assert.Equal(["w", "s"], f.Tensors.Select(t => t.Name));
        TensorData w = f.ReadTensor("w");
        Assert.Equal([2, 2], w.Shape);
        Assert.Equal([1, -2, 3.5f, 0], w.Data);
        Assert.Equal([], f.ReadTensor("s").Shape);
        Assert.Equal([7f], f.ReadTensor("s").Data);
    }

    [Fact]
    public void Parse_TensorsListedOutOfOrder_AreSortedByOffset()
    {
        using var f = SafetensorsFile.Parse(Build("{" + Entry("b", "F32", [1], 4, 8) + "," + Entry("a", "F32", [1], 0, 4) + "," + Entry("empty", "F32", [0, 3], 8, 8) + "}", Floats(1, 2)));
        Assert.Equal(["a", "b", "empty"], f.Tensors.Select(t => t.Name));
        Assert.Equal([2f], f.ReadTensor("b").Data);
        Assert.Equal([0, 3], f.ReadTensor("empty").Shape);
    }

    [Fact]
    public void ReadTensor_ConvertsF16BF16AndF64ToFloat32()
    {
        var data = new byte[2 * 2 + 2 * 2 + 2 * 8];
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(0), (Half)1.5f);
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(2), (Half)(-0.25f));
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(4), 0x3FC0);  // bfloat16 1.5
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(6), 0xC120);  // bfloat16 -10
        BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(8), 0.1);
        BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(16), -1e300);
        using var f = SafetensorsFile.Parse(Build("{" + Entry("h", "F16", [2], 0, 4) + "," + Entry("b", "BF16", [2], 4, 8) + "," + Entry("d", "F64", [2], 8, 24) + "}", data));
        Assert.Equal([1.5f, -0.25f], f.ReadTensor("h").Data);
        Assert.Equal([1.5f, -10f], f.ReadTensor("b").Data);
        Assert.Equal([0.1f, float.NegativeInfinity], f.ReadTensor("d").Data);
    }

    [Fact]
    public void ReadTensor_OfIntegerDtype_NamesTensorAndDtype()
    {
        using var f = SafetensorsFile.Parse(Build("{" + Entry("steps", "I64", [1], 0, 8) + "}", new byte[8]), "test.safetensors");
        var e = Assert.Throws<ImportException>(() => f.ReadTensor("steps"));
        Assert.Contains("'steps'", e.Message);
        Assert.Contains("I64", e.Message);
        Assert.Contains("F32, F16, BF16 and F64", e.Message);
    }

    [Fact]
    public void ReadTensor_UnknownName_ListsTheTensors()
    {
        using var f = SafetensorsFile.Parse(Build("{" + Entry("a", "F32", [1], 0, 4) + "}", Floats(1)));
        var e = Assert.Throws<ImportException>(() => f.ReadTensor("b"));
        Assert.Contains("no tensor named 'b'", e.Message);
        Assert.Contains("'a'", e.Message);
    }

    [Fact]
    public void Open_File_ReadsThroughPositionalReads()
    {
        using var temp = ImportTemp.With(".safetensors", Build("{" + Entry("x", "F32", [3], 0, 12) + "}", Floats(1, 2, 3)));
        using var f = SafetensorsFile.Open(temp.Path);
        Assert.Equal([1f, 2, 3], f.ReadTensor("x").Data);
        Assert.Equal(temp.Path, f.Name);
    }

    [Fact]
    public void Parse_HeaderLengthAboveLimit_IsRejected()
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 100_000_001);
        var e = Rejects(bytes);
        Assert.Contains("test.safetensors: header length is 100000001 bytes; at most 100000000", e.Message);
    }

    [Fact]
    public void Parse_HeaderLengthOfEveryBitSet_IsRejectedWithoutOverflow()
    {
        var e = Rejects([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, (byte)'{', (byte)'}']);
        Assert.Contains("header length is 18446744073709551615 bytes", e.Message);
    }

    [Fact]
    public void Parse_FileShorterThanTheLengthField_IsRejected()
    {
        var e = Rejects([1, 0, 0]);
        Assert.Contains("the file is 3 bytes", e.Message);
    }

    [Fact]
    public void Parse_TruncatedHeader_IsRejected()
    {
        byte[] full = Build("{" + Entry("a", "F32", [1], 0, 4) + "}", []);
        var e = Rejects(full[..40]);
        Assert.Contains("header is truncated", e.Message);
        Assert.Contains($"says {full.Length - 8} bytes but only 32 follow", e.Message);
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},}")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} x")]
    [InlineData("{/* comment */}")]
    public void Parse_InvalidJson_IsRejected(string header)
    {
        var e = Rejects(Build(header, Floats(1)));
        Assert.Contains("header", e.Message);
        Assert.True(e.Message.Contains("not valid JSON", StringComparison.Ordinal) || e.Message.Contains("after the JSON object", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void Parse_HeaderThatIsNotAnObject_IsRejected()
    {
        var e = Rejects(Build("[1, 2]", []));
        Assert.Contains("must start with '{'", e.Message);
    }

    [Fact]
    public void Parse_HeaderThatIsNotUtf8_IsRejected()
    {
        var e = Rejects(Build([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}'], []));
        Assert.Contains("not valid UTF-8", e.Message);
    }

    [Fact]
    public void Parse_DuplicateTensorName_IsRejected()
    {
        var e = Rejects(Build("{" + Entry("w", "F32", [1], 0, 4) + "," + Entry("w", "F32", [1], 4, 8) + "}", Floats(1, 2)));
        Assert.Contains("'w' twice", e.Message);
    }

    [Fact]
    public void Parse_DuplicateMetadataKey_IsRejected()
    {
        var e = Rejects(Build("{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", []));
        Assert.Contains("__metadata__ has the key 'k' twice", e.Message);
    }

    [Fact]
    public void Parse_MetadataValueNotAString_IsRejected()
    {
        var e = Rejects(Build("{\"__metadata__\":{\"epochs\":10}}", []));
        Assert.Contains("__metadata__.epochs must be a string; found a number", e.Message);
    }

    [Fact]
    public void Parse_GapBetweenTensors_IsRejected()
    {
        var e = Rejects(Build("{" + Entry("a", "F32", [1], 0, 4) + "," + Entry("b", "F32", [1], 8, 12) + "}", Floats(1, 2, 3)));
        Assert.Contains("tensor 'b'", e.Message);
        Assert.Contains("gap of 4 bytes after tensor 'a', which ends at 4", e.Message);
    }

    [Fact]
    public void Parse_GapAtTheStartOfTheBuffer_IsRejected()
    {
        var e = Rejects(Build("{" + Entry("a", "F32", [1], 4, 8) + "}", Floats(1, 2)));
        Assert.Contains("gap of 4 bytes after the start of the data buffer", e.Message);
    }

    [Fact]
    public void Parse_OverlappingTensors_AreRejected()
    {
        var e = Rejects(Build("{" + Entry("a", "F32", [2], 0, 8) + "," + Entry("b", "F32", [2], 4, 12) + "}", Floats(1, 2, 3)));
        Assert.Contains("tensor 'b' data_offsets [4, 12) overlap tensor 'a', which ends at 8", e.Message);
    }

    [Fact]
    public void Parse_SizeMismatch_IsRejected()
    {
        var e = Rejects(Build("{" + Entry("w", "F32", [3], 0, 8) + "}", Floats(1, 2)));
        Assert.Contains("tensor 'w' data_offsets [0, 8) hold 8 bytes; expected 12 bytes for shape (3,) of F32", e.Message);
    }

    [Fact]
    public void Parse_EndBeforeBegin_IsRejected()
    {
        var e = Rejects(Build("{" + Entry("w", "F32", [0], 8, 4) + "}", Floats(1, 2)));
        Assert.Contains("end before they begin", e.Message);
    }

    [Fact]
    public void Parse_TrailingBytes_AreRejected()
    {
        byte[] bytes = Build("{" + Entry("w", "F32", [1], 0, 4) + "}", Floats(1, 2));
        var e = Rejects(bytes);
        Assert.Contains("data buffer has 4 trailing bytes", e.Message);
        Assert.Contains($"the file is {bytes.Length} bytes", e.Message);
    }

    [Fact]
    public void Parse_TruncatedData_IsRejected()
    {
        var e = Rejects(Build("{" + Entry("w", "F32", [4], 0, 16) + "}", Floats(1, 2)));
        Assert.Contains("data buffer is truncated: the tensors need 16 bytes after the header but the file has 8", e.Message);
    }

    [Fact]
    public void Parse_UnknownDtype_IsRejected()
    {
        var e = Rejects(Build("{" + Entry("w", "F33", [1], 0, 4) + "}", Floats(1)));
        Assert.Contains("tensor 'w' has unknown dtype 'F33'", e.Message);
    }

    [Theory]
    [InlineData("[-1]", "found -1")]
    [InlineData("[1.5]", "found 1.5")]
    [InlineData("[\"2\"]", "found a string")]
    [InlineData("[4611686018427387904,4]", "more than 2^63 elements")]
    [InlineData("[18446744073709551616]", "found 18446744073709551616")]
    public void Parse_InvalidShape_IsRejected(string shape, string problem)
    {
        var e = Rejects(Build("{\"w\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[0,4]}}", Floats(1)));
        Assert.Contains("tensor 'w'", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Parse_ByteCountOverflow_IsRejected()
    {
        var e = Rejects(Build("{\"w\":{\"dtype\":\"F64\",\"shape\":[4611686018427387903],\"data_offsets\":[0,4]}}", Floats(1)));
        Assert.Contains("overflows a 64-bit byte count", e.Message);
    }

    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", "lacks 'data_offsets'")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", "data_offsets must be [begin, end]; found 1 numbers")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "has the key 'dtype' twice")]
    [InlineData("{\"w\":[1]}", "must be a JSON object {dtype, shape, data_offsets}")]
    [InlineData("{\"w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", "dtype must be a string")]
    public void Parse_MalformedEntry_IsRejected(string header, string problem)
    {
        var e = Rejects(Build(header, Floats(1)));
        Assert.Contains("tensor 'w'", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Parse_UnknownFieldInEntry_IsIgnoredAsByTheReferenceReader()
    {
        using var f = SafetensorsFile.Parse(Build("{\"w\":{\"dtype\":\"F32\",\"extra\":{\"x\":[1]},\"shape\":[1],\"data_offsets\":[0,4]}}", Floats(5)));
        Assert.Equal([5f], f.ReadTensor("w").Data);
    }

    [Fact]
    public void Open_ErrorsNameThePath()
    {
        using var temp = ImportTemp.With(".safetensors", Encoding.ASCII.GetBytes("not a safetensors file at all"));
        var e = Assert.Throws<ImportException>(() => SafetensorsFile.Open(temp.Path));
        Assert.StartsWith(temp.Path + ": header length is", e.Message);
    }
}
