using FastRnn.Format;

namespace FastRnn.Tests.Format;

public class FrnnFileAccessTests
{
    [Fact]
    public void GetFloat32_ThrowsNamingTheTensor_WhenItIsMissing()
    {
        using FrnnFile file = FrnnFile.Parse(SampleFiles.TwoTensors());

        var e = Assert.Throws<FrnnFormatException>(() => file.GetFloat32("third"));
        Assert.StartsWith("tensor 'third': expected in the file", e.Message);
        Assert.Contains("'first', 'second'", e.Message);
        Assert.False(file.ContainsTensor("third"));
        Assert.True(file.ContainsTensor("first"));
    }

    [Fact]
    public void GetFloat32_ThrowsNamingTensorAndBothShapes_WhenTheShapeDiffers()
    {
        using FrnnFile file = FrnnFile.Parse(SampleFiles.TwoTensors());

        var transposed = Assert.Throws<FrnnFormatException>(() => file.GetFloat32("first", [8, 4]));
        Assert.Equal("tensor 'first' shape: expected [8, 4], actual [4, 8]", transposed.Message);

        var flattened = Assert.Throws<FrnnFormatException>(() => file.GetFloat32("first", [32]));
        Assert.Equal("tensor 'first' shape: expected [32], actual [4, 8]", flattened.Message);

        Assert.Equal(32, file.GetFloat32("first", [4, 8]).Length);
    }

    [Fact]
    public void GetFloat32_ChecksNameBeforeShape()
    {
        using FrnnFile file = FrnnFile.Parse(SampleFiles.TwoTensors());
        Assert.Contains("'nope': expected in the file", Assert.Throws<FrnnFormatException>(() => file.GetFloat32("nope", [1])).Message);
    }

    [Fact]
    public void MetadataGetters_ThrowNamingTheKey_WhenMissing()
    {
        using FrnnFile file = FrnnFile.Parse(SampleFiles.TwoTensors());

        var e = Assert.Throws<FrnnFormatException>(() => file.GetInt64("layers"));
        Assert.StartsWith("metadata 'layers': expected in the file", e.Message);
        Assert.False(file.ContainsKey("layers"));
        Assert.True(file.ContainsKey("hidden"));
    }

    [Fact]
    public void MetadataGetters_ThrowNamingKeyAndBothTypes_WhenTheTypeDiffers()
    {
        using FrnnFile file = FrnnFile.Parse(SampleFiles.TwoTensors());

        Assert.Equal("metadata 'hidden' type: expected string, actual int64", Assert.Throws<FrnnFormatException>(() => file.GetString("hidden")).Message);
        Assert.Equal("metadata 'hidden' type: expected float64, actual int64", Assert.Throws<FrnnFormatException>(() => file.GetDouble("hidden")).Message);
        Assert.Equal("metadata 'hidden' type: expected bool, actual int64", Assert.Throws<FrnnFormatException>(() => file.GetBool("hidden")).Message);
        Assert.Equal("metadata 'hidden' type: expected int64[], actual int64", Assert.Throws<FrnnFormatException>(() => file.GetInt64Array("hidden")).Message);
        Assert.Equal("metadata 'hidden' type: expected string[], actual int64", Assert.Throws<FrnnFormatException>(() => file.GetStringArray("hidden")).Message);
    }

    [Fact]
    public void TryGetters_ReturnTheValue_OnlyForAPresentKeyOfThatType()
    {
        using FrnnFile file = FrnnFile.Parse(SampleFiles.Full().ToArray());

        Assert.True(file.TryGetInt64("lstm.hidden_size", out long hidden));
        Assert.Equal(3, hidden);
        Assert.True(file.TryGetDouble("lstm.dropout", out double dropout));
        Assert.Equal(0.25, dropout);
        Assert.True(file.TryGetString("fastrnn.arch", out string? arch));
        Assert.Equal("lstm", arch);
        Assert.True(file.TryGetBool("lstm.bidirectional", out bool bidirectional));
        Assert.True(bidirectional);
        Assert.True(file.TryGetInt64Array("lstm.layer_sizes", out long[]? sizes));
        Assert.Equal(3, sizes.Length);
        Assert.True(file.TryGetStringArray("vocab", out string[]? vocab));
        Assert.Equal(3, vocab.Length);

        Assert.False(file.TryGetInt64("missing", out _));
        Assert.False(file.TryGetDouble("lstm.hidden_size", out _));
        Assert.False(file.TryGetString("lstm.hidden_size", out string? notString));
        Assert.Null(notString);
        Assert.False(file.TryGetBool("vocab", out _));
        Assert.False(file.TryGetInt64Array("vocab", out _));
        Assert.False(file.TryGetStringArray("lstm.layer_sizes", out _));
    }

    [Fact]
    public void ArrayGetters_ReturnCopies_SoTheFileStaysImmutable()
    {
        using FrnnFile file = FrnnFile.Parse(SampleFiles.Full().ToArray());

        file.GetInt64Array("lstm.layer_sizes")[0] = 100;
        file.GetStringArray("vocab")[0] = "changed";

        Assert.Equal(4L, file.GetInt64Array("lstm.layer_sizes")[0]);
        Assert.Equal("<pad>", file.GetStringArray("vocab")[0]);
    }

    [Fact]
    public void EveryMember_ThrowsObjectDisposed_AfterDispose()
    {
        using var temp = TempFile.With(SampleFiles.Full().ToArray());
        FrnnFile file = FrnnFile.Open(temp.Path);
        file.Dispose();
        file.Dispose();

        Assert.Throws<ObjectDisposedException>(() => file.GetFloat32("weight").Length);
        Assert.Throws<ObjectDisposedException>(() => file.GetFloat32("weight", [4, 3]).Length);
        Assert.Throws<ObjectDisposedException>(() => file.GetTensorInfo("weight"));
        Assert.Throws<ObjectDisposedException>(() => file.ContainsTensor("weight"));
        Assert.Throws<ObjectDisposedException>(() => file.Tensors);
        Assert.Throws<ObjectDisposedException>(() => file.FormatVersion);
        Assert.Throws<ObjectDisposedException>(() => file.Metadata);
        Assert.Throws<ObjectDisposedException>(() => file.ContainsKey("vocab"));
        Assert.Throws<ObjectDisposedException>(() => file.GetInt64("lstm.hidden_size"));
        Assert.Throws<ObjectDisposedException>(() => file.TryGetInt64("lstm.hidden_size", out _));
        Assert.Throws<ObjectDisposedException>(() => file.GetStringArray("vocab"));
    }

    [Fact]
    public void TensorInfo_DescribesTheEntry()
    {
        using FrnnFile file = FrnnFile.Parse(SampleFiles.TwoTensors());
        FrnnTensorInfo second = file.GetTensorInfo("second");

        Assert.Equal(128, second.ByteOffset);
        Assert.Equal(128, second.ByteLength);
        Assert.Equal(32, second.ElementCount);
        Assert.Equal("second float32 [32] @128 (128 bytes)", second.ToString());
    }

    [Fact]
    public void Open_ThrowsFileNotFound_NotAFormatError_ForAMissingPath()
    {
        using var temp = new TempFile();
        Assert.Throws<FileNotFoundException>(() => FrnnFile.Open(temp.Path));
    }
}
