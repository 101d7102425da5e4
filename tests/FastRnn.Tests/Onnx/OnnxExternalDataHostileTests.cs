using FastRnn.Import;
using FastRnn.Tests.Cli;
using Onnx;

namespace FastRnn.Tests.Onnx;

/// <summary>
/// External data entries written by an attacker or a broken tool: each is one line naming the model file, the tensor
/// and the external data field, thrown before an allocation sized by the tensor's declared shape, and no location
/// reads a file outside the model's directory.
/// </summary>
public sealed class OnnxExternalDataHostileTests : IDisposable
{
    private const string Tensor = "w0_onnx__LSTM_188"; // the first layer's W: 512 bytes at offset 0 of weights.bin

    private readonly TempDirectory _dir = new();
    private readonly string _model;

    public OnnxExternalDataHostileTests()
    {
        // The model one directory down, with a good copy of its weights above it: an escape would find real data.
        _model = OnnxExternalFixtures.CopyTo(_dir.File("model"), "lstm", "one");
        File.Copy(_dir.File(Path.Combine("model", "weights.bin")), _dir.File("weights.bin"));
        Directory.CreateDirectory(_dir.File(Path.Combine("model", "sub")));
    }

    public void Dispose() => _dir.Dispose();

    public static IEnumerable<object[]> Locations() =>
    [
        ["../weights.bin", "location '../weights.bin' has a '..' segment"],
        ["sub/../../weights.bin", "has a '..' segment"],
        ["sub/../weights.bin", "has a '..' segment"],
        ["..\\weights.bin", "has a '..' segment"],
        ["/etc/passwd", "location '/etc/passwd' is an absolute path"],
        ["{outside}", "is an absolute path"],
        ["\\\\server\\share\\weights.bin", "is an absolute path"],
        ["C:\\weights.bin", "is an absolute path"],
        ["c:weights.bin", "is an absolute path"],
        ["weights.bin\0.txt", "location 'weights.bin\\u0000.txt' contains the control character U+0000"],
        ["weights\n.bin", "contains the control character U+000A"],
        ["", "location '' is empty"],
        ["./", "names the model's directory, not a file"],
        ["sub", "location 'sub' is a directory, not a file"],
        ["missing.bin", "location 'missing.bin' does not exist in the model's directory"],
    ];

    [Theory]
    [MemberData(nameof(Locations))]
    public void Location_OutsideTheModelsDirectoryOrNotAFile_IsRefusedNamingIt(string location, string expected)
    {
        SetEntry("location", location.Replace("{outside}", _dir.File("weights.bin")));
        AssertRefused(expected);
    }

    [Fact]
    public void Location_SymbolicLinkToAFileOutsideTheModelsDirectory_IsRefused()
    {
        File.CreateSymbolicLink(_dir.File(Path.Combine("model", "link.bin")), _dir.File("weights.bin"));
        SetEntry("location", "link.bin");
        AssertRefused("location 'link.bin' is a symbolic link to a file outside the model's directory");
    }

    [Fact]
    public void Location_ThroughASymbolicLinkedDirectoryOutside_IsRefused()
    {
        Directory.Delete(_dir.File(Path.Combine("model", "sub")));
        Directory.CreateSymbolicLink(_dir.File(Path.Combine("model", "sub")), _dir.Path);
        SetEntry("location", "sub/weights.bin");
        AssertRefused("location 'sub/weights.bin' is a symbolic link to a file outside the model's directory");
    }

    [Fact]
    public async Task Location_NamingAFifo_IsRefusedWithoutBlockingOnTheOpen()
    {
        // Opening a FIFO for reading waits for a writer; the size check (0 bytes) must come first.
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", _dir.File(Path.Combine("model", "pipe.bin"))))
            mkfifo.WaitForExit();
        SetEntry("location", "pipe.bin");
        var refused = Task.Run(() => AssertRefused("external data length is 512, but 'pipe.bin' has 0 bytes after offset 0"));
        Task first = await Task.WhenAny(refused, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(first == refused, "the import blocked opening the FIFO");
        await refused;
    }

    public static IEnumerable<object?[]> Numbers() =>
    [
        ["offset", "-4", "external data offset '-4' is negative"],
        ["offset", "0x10", "external data offset '0x10' is not a whole number of bytes"],
        ["offset", " 0", "is not a whole number of bytes"],
        ["offset", "1e3", "is not a whole number of bytes"],
        ["offset", "", "external data offset '' is not a whole number of bytes"],
        ["offset", "99999999999999999999", "external data offset '99999999999999999999' is larger than"],
        ["offset", "9223372036854775807", "external data offset is 9223372036854775807, past the end of 'weights.bin' (4244 bytes)"],
        ["offset", "4245", "external data offset is 4245, past the end"],
        ["offset", "4000", "external data length is 512, but 'weights.bin' has 244 bytes after offset 4000 (4244 bytes in all)"],
        ["length", "-1", "external data length '-1' is negative"],
        ["length", "508", "external data length is 508; the tensor's shape (1, 32, 4) of Float needs 512"],
        ["length", "516", "external data length is 516; the tensor's shape (1, 32, 4) of Float needs 512"],
        ["length", "9223372036854775807", "external data length is 9223372036854775807, but 'weights.bin' has 4244 bytes after offset 0"],
        ["length", null, "external data length is not given, so it runs to the end of 'weights.bin': 4244 bytes after offset 0; the tensor's shape (1, 32, 4) of Float needs 512"],
        ["checksum", "abc", "external data checksum 'abc' is not a SHA-1 digest"],
        ["checksum", "0000000000000000000000000000000000000000", "external data checksum is 0000000000000000000000000000000000000000, but the SHA-1 of bytes 0..512 of 'weights.bin' is "],
        ["location", null, "external data location is missing"],
    ];

    [Theory]
    [MemberData(nameof(Numbers))]
    public void Entry_OutOfRangeMalformedOrNotMatchingTheShape_IsRefusedNamingTheField(string key, string? value, string expected)
    {
        SetEntry(key, value);
        AssertRefused(expected);
    }

    [Fact]
    public void Entry_GivenTwice_IsRefused()
    {
        Edit(t => t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "0" }));
        AssertRefused("external data offset appears twice");
    }

    [Fact]
    public void Entry_WithAnUnknownKey_IsRefused()
    {
        SetEntry("basepath", "/etc");
        AssertRefused("external data key 'basepath' is not one FastRnn reads (location, offset, length, checksum)");
    }

    [Fact]
    public void Entries_WithoutDataLocationExternal_AreRefused()
    {
        Edit(t => t.DataLocation = TensorProto.Types.DataLocation.Default);
        AssertRefused("external data entries are present but data_location is DEFAULT");
    }

    [Fact]
    public void RawDataBesideExternalData_IsRefused()
    {
        Edit(t => t.RawData = Google.Protobuf.ByteString.CopyFrom(new byte[512]));
        AssertRefused($"tensor '{Tensor}' has raw_data as well as external data");
    }

    [Fact]
    public void ShapeClaimingAGigabyte_IsRefusedFromTheFilesLength_WithoutAllocatingIt()
    {
        Edit(t =>
        {
            t.Dims.Clear();
            t.Dims.Add(1 << 28);
            OnnxExternalFixtures.SetEntry(t, "length", null);
        });
        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertRefused("external data length is not given, so it runs to the end of 'weights.bin': 4244 bytes after offset 0; the tensor's shape (268435456,) of Float needs 1073741824");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20);
    }

    private void SetEntry(string key, string? value) => Edit(t => OnnxExternalFixtures.SetEntry(t, key, value));

    private void Edit(Action<TensorProto> change)
        => OnnxExternalFixtures.Edit(_model, m => change(m.Graph.Initializer.Single(t => t.Name == Tensor)));

    /// <summary>Both importers refuse the model with one line naming the file, the tensor and <paramref name="expected"/>.</summary>
    private void AssertRefused(string expected)
    {
        // The graph importer needs the dynamic T and B fixed before it reaches the initializers.
        var shapes = new GraphImportOptions { Shapes = new Dictionary<string, int[]> { ["X"] = [5, 2, 4] } };
        foreach (Action import in new Action[] { () => OnnxImporter.Import(_model), () => OnnxGraphImporter.Import(_model, shapes) })
        {
            var e = Assert.Throws<ImportException>(import);
            Assert.StartsWith($"model.onnx: tensor '{Tensor}' ", e.Message);
            Assert.Contains(expected, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
    }
}
