using FastRnn.Format;

namespace FastRnn.Tests.Format;

public class FrnnWriterTests
{
    [Fact]
    public void ToArray_ProducesIdenticalBytes_ForIdenticalInput()
    {
        Assert.Equal(SampleFiles.Full().ToArray(), SampleFiles.Full().ToArray());
    }

    [Fact]
    public void WriteToSaveAndToArray_ProduceIdenticalBytes()
    {
        FrnnWriter writer = SampleFiles.Full();
        byte[] array = writer.ToArray();
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        using var temp = new TempFile();
        writer.Save(temp.Path);

        Assert.Equal(array, stream.ToArray());
        Assert.Equal(array, File.ReadAllBytes(temp.Path));
        Assert.Equal(array, writer.ToArray());
    }

    [Fact]
    public void Writer_StoresChecksumOfWholeFile_WithChecksumFieldReadAsZero()
    {
        byte[] bytes = SampleFiles.Full().ToArray();
        uint stored = FrnnBytes.U32(bytes, FrnnBytes.ChecksumOffset);

        Assert.Equal(stored, FrnnBytes.Checksum(bytes));
        Assert.NotEqual(0u, stored);
    }

    [Fact]
    public void Writer_CopiesInputs_SoLaterChangesToCallerArraysDoNotLeakIn()
    {
        long[] longs = [1, 2];
        string[] strings = ["a"];
        float[] data = [1f, 2f];
        var writer = new FrnnWriter();
        writer.AddMetadata("longs", longs);
        writer.AddMetadata("strings", strings);
        writer.AddTensor("t", [2], data);
        longs[0] = 99;
        strings[0] = "changed";
        data[0] = 99f;

        using FrnnFile file = FrnnFile.Parse(writer.ToArray());
        Assert.Equal([1L, 2L], file.GetInt64Array("longs"));
        Assert.Equal(["a"], file.GetStringArray("strings"));
        Assert.Equal([1f, 2f], file.GetFloat32("t").ToArray());
    }

    [Fact]
    public void AddMetadata_RejectsDuplicateKey_EvenWithAnotherType()
    {
        var writer = new FrnnWriter();
        writer.AddMetadata("hidden", 4L);

        var e = Assert.Throws<ArgumentException>(() => writer.AddMetadata("hidden", "four"));
        Assert.Contains("'hidden'", e.Message);
        Assert.Equal("key", e.ParamName);
    }

    [Fact]
    public void AddTensor_RejectsDuplicateName()
    {
        var writer = new FrnnWriter();
        writer.AddTensor("w", [1], [1f]);

        var e = Assert.Throws<ArgumentException>(() => writer.AddTensor("w", [1], [2f]));
        Assert.Contains("'w'", e.Message);
    }

    [Theory]
    [InlineData(new[] { 2, 3 }, 5)]
    [InlineData(new[] { 2, 3 }, 7)]
    [InlineData(new int[0], 0)]
    [InlineData(new[] { 0 }, 1)]
    [InlineData(new[] { 65536, 65536 }, 1)]
    public void AddTensor_RejectsDataLengthThatDiffersFromShape(int[] shape, int length)
    {
        var e = Assert.Throws<ArgumentException>(() => new FrnnWriter().AddTensor("w", shape, new float[length]));
        Assert.Contains("'w'", e.Message);
        Assert.Contains($"actual {length}", e.Message);
        Assert.Equal("data", e.ParamName);
    }

    [Fact]
    public void AddTensor_RejectsNegativeDimension()
    {
        var e = Assert.Throws<ArgumentException>(() => new FrnnWriter().AddTensor("w", [2, -1], []));
        Assert.Contains("[2, -1]", e.Message);
    }

    [Fact]
    public void AddTensor_RejectsRankAboveEight()
    {
        var e = Assert.Throws<ArgumentException>(() => new FrnnWriter().AddTensor("w", [1, 1, 1, 1, 1, 1, 1, 1, 1], [1f]));
        Assert.Contains("rank", e.Message);
        Assert.Contains("actual 9", e.Message);
    }

    [Fact]
    public void AddTensor_AcceptsRankEight()
    {
        var writer = new FrnnWriter();
        writer.AddTensor("w", [1, 1, 1, 1, 1, 1, 1, 2], [1f, 2f]);
        using FrnnFile file = FrnnFile.Parse(writer.ToArray());
        Assert.Equal(8, file.GetTensorInfo("w").Rank);
    }

    [Fact]
    public void Writer_RejectsEmptyNamesAndKeys()
    {
        Assert.Throws<ArgumentException>(() => new FrnnWriter().AddTensor("", [1], [1f]));
        Assert.Throws<ArgumentException>(() => new FrnnWriter().AddMetadata("", 1L));
    }

    [Fact]
    public void Writer_RejectsStringsThatAreNotValidUtf16()
    {
        const string loneSurrogate = "bad\uD800";
        Assert.Throws<ArgumentException>(() => new FrnnWriter().AddTensor(loneSurrogate, [1], [1f]));
        Assert.Throws<ArgumentException>(() => new FrnnWriter().AddMetadata(loneSurrogate, 1L));
        Assert.Throws<ArgumentException>(() => new FrnnWriter().AddMetadata("k", loneSurrogate));
        Assert.Throws<ArgumentException>(() => new FrnnWriter().AddMetadata("k", ["ok", loneSurrogate]));
    }

    [Fact]
    public void AddMetadata_RejectsNullStringArrayElement()
    {
        var e = Assert.Throws<ArgumentException>(() => new FrnnWriter().AddMetadata("names", ["a", null!]));
        Assert.Contains("'names' element 1", e.Message);
    }

    [Fact]
    public void FailedAdd_LeavesTheWriterUnchanged()
    {
        var writer = new FrnnWriter();
        Assert.Throws<ArgumentException>(() => writer.AddTensor("w", [3], [1f]));
        writer.AddTensor("w", [1], [1f]);

        using FrnnFile file = FrnnFile.Parse(writer.ToArray());
        Assert.Single(file.Tensors);
    }
}
