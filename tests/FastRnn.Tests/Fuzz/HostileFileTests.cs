using System.Diagnostics;
using FastRnn.Format;
using FastRnn.Import;
using FastRnn.Tests.Format;
using FastRnn.Tests.Import;
using FastRnn.Tests.Onnx;
using Onnx;

namespace FastRnn.Tests.Fuzz;

/// <summary>
/// The hostile and huge files that fuzzing found, one test each: every one refused with the reader's own exception,
/// naming the file or field, fast, without allocating what the file claims. Huge files are sparse (see
/// <see cref="SparseFile"/>), so the tests write kilobytes.
/// </summary>
public class HostileFileTests
{
    private const long GiB = 1L << 30;

    /// <summary>Runs <paramref name="read"/> and asserts it throws <typeparamref name="T"/> within a second, allocating under a megabyte.</summary>
    private static T RefusedQuickly<T>(Action read)
        where T : Exception
    {
        var clock = Stopwatch.StartNew();
        long before = GC.GetAllocatedBytesForCurrentThread();
        T e = Assert.Throws<T>(read);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed.TotalMilliseconds:F0} ms: {e.Message}");
        Assert.True(allocated < 1 << 20, $"allocated {allocated:N0} bytes: {e.Message}");
        return e;
    }

    [Fact]
    public void Onnx_InitializerWhoseShapeClaimsGigabytes_IsRefusedBeforeAllocating()
    {
        ModelProto model = OnnxModels.Load("lstm_forward");
        TensorProto w = model.Graph.Initializer.First(t => t.Dims.Count == 3);
        w.Dims[1] = 300_000_000; // 1.2 billion floats, 4.8 GB, from a file of a few kilobytes
        byte[] bytes = OnnxModels.Bytes(model);
        var e = RefusedQuickly<ImportException>(() => OnnxImporter.Import(bytes, "hostile.onnx"));
        Assert.StartsWith($"hostile.onnx: tensor '{w.Name}' has {w.RawData.Length} bytes of raw data; its shape needs", e.Message);
    }

    [Fact]
    public void Onnx_ReshapeOfAConstantWithAZeroBeyondItsRank_NamesTheNode()
    {
        ModelProto model = OnnxModels.Load("lstm_forward");
        var constant = new TensorProto { Name = "c", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 2, 3 }, FloatData = { 1, 2, 3, 4, 5, 6 } };
        var target = new TensorProto { Name = "target", DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 3 }, Int64Data = { 0, 0, 0 } };
        model.Graph.Initializer.AddRange([constant, target]);
        model.Graph.Node.Insert(0, new NodeProto { Name = "bad_reshape", OpType = "Reshape", Input = { "c", "target" }, Output = { "reshaped" } });
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(OnnxModels.Bytes(model), "reshape.onnx"));
        Assert.Equal("reshape.onnx: node 'bad_reshape' (Reshape) copies dimension 2 (a 0 in its target shape) of a constant of shape (2, 3), which has only 2", e.Message);
    }

    [Fact]
    public void Onnx_ConstantOfShapeWithANegativeDimension_NamesTheNode()
    {
        ModelProto model = OnnxModels.Load("lstm_forward");
        model.Graph.Initializer.Add(new TensorProto { Name = "shape", DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 2 }, Int64Data = { 3, -1 } });
        var fill = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float, Dims = { 1 }, FloatData = { 1f } };
        model.Graph.Node.Insert(0, new NodeProto
        {
            Name = "fill", OpType = "ConstantOfShape", Input = { "shape" }, Output = { "filled" },
            Attribute = { new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = fill } },
        });
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(OnnxModels.Bytes(model), "fill.onnx"));
        Assert.Equal("fill.onnx: node 'fill' (ConstantOfShape) fills a tensor of shape [3, -1], which has a negative dimension or more than 2^63 elements", e.Message);
    }

    [Fact]
    public void Onnx_FileOverTwoGiB_IsRefusedFromItsLength_NamingTheFile()
    {
        using var file = new SparseFile(".onnx", File.ReadAllBytes(OnnxFixtures.PathOf("lstm_forward")), 2 * GiB + 64);
        var e = RefusedQuickly<ImportException>(() => OnnxImporter.Import(file.Path));
        Assert.StartsWith($"{file.Name}: not an ONNX model: the file is 2,147,483,712 bytes", e.Message);
        Assert.Contains("at most 2 GiB", e.Message);
    }

    [Fact]
    public void Npy_FourGiBFileWhoseShapeNeedsSixteenBytes_IsRefusedFromItsLength()
    {
        byte[] header = NpyBytes.Build(NpyBytes.Dict("<f4", "(4,)"), []);
        using var file = new SparseFile(".npy", header, 4 * GiB + header.Length);
        var e = RefusedQuickly<ImportException>(() => NpyArray.Read(file.Path));
        Assert.Equal($"{file.Path}: array has trailing bytes after the 16 bytes shape (4,) of '<f4' needs", e.Message);
    }

    [Fact]
    public void Npy_ShapeClaimingFourGiBInASmallFile_IsRefusedFromItsLength()
    {
        using var file = ImportTemp.With(".npy", NpyBytes.Build(NpyBytes.Dict("<f4", "(1073741824,)"), new byte[16]));
        var e = RefusedQuickly<ImportException>(() => NpyArray.Read(file.Path));
        Assert.Equal($"{file.Path}: array is truncated: its data is 16 bytes; shape (1073741824,) of '<f4' needs 4294967296", e.Message);
    }

    [Fact]
    public void Npz_CorruptCentralDirectory_IsImportException_NotInvalidDataException()
    {
        byte[] zip = NpyBytes.Npz(false, ("a.npy", NpyBytes.Build(NpyBytes.Dict("<f4", "(2,)"), new byte[8])));
        // The central directory entry's signature PK\1\2: the archive opens, and its entry list fails when first read.
        int central = zip.AsSpan().IndexOf("PK\u0001\u0002"u8);
        zip[central + 2] = 9;
        using var file = ImportTemp.With(".npz", zip);
        var e = Assert.Throws<ImportException>(() => NpzFile.Read(file.Path));
        Assert.StartsWith($"{file.Path}: archive is not a valid zip archive (an .npz is one): ", e.Message);
    }

    [Fact]
    public void Frnn_TenGiBFileWhoseTensorsUseKilobytes_IsRefusedBeforeTheChecksumPass()
    {
        byte[] small = SampleFiles.Small();
        ulong dataOffset = FrnnBytes.U64(small, FrnnBytes.DataOffsetOffset);
        const ulong length = 10UL << 30;
        FrnnBytes.SetU64(small, FrnnBytes.FileLengthOffset, length);
        FrnnBytes.SetU64(small, FrnnBytes.DataLengthOffset, length - dataOffset);
        using var file = new SparseFile(".frnn", small, (long)length);
        var e = RefusedQuickly<FrnnFormatException>(() => FrnnFile.Open(file.Path));
        Assert.StartsWith("data length: expected ", e.Message);
        Assert.EndsWith($"actual {length - dataOffset}; the data section holds bytes no tensor describes", e.Message);
    }

    public static IEnumerable<object[]> Loaders() =>
    [
        ["FrnnFile.Open", (Action<string>)(p => FrnnFile.Open(p))],
        ["RnnModel.Load", (Action<string>)(p => RnnModel.Load(p))],
        ["Seq2SeqModel.Load", (Action<string>)(p => FastRnn.Decoding.Seq2SeqModel.Load(p))],
        ["LanguageModel.Load", (Action<string>)(p => FastRnn.Decoding.LanguageModel.Load(p))],
        ["SafetensorsFile.Open", (Action<string>)(p => SafetensorsFile.Open(p))],
        ["NpyArray.Read", (Action<string>)(p => NpyArray.Read(p))],
        ["NpzFile.Read", (Action<string>)(p => NpzFile.Read(p))],
        ["OnnxImporter.Import", (Action<string>)(p => OnnxImporter.Import(p))],
        ["ModelConverter.Convert", (Action<string>)(p => ModelConverter.Convert(p))],
        ["ModelConverter.ConvertSeq2Seq", (Action<string>)(p => ModelConverter.ConvertSeq2Seq(p, p, Path.Combine(p, "out.frnn")))],
    ];

    [Theory]
    [MemberData(nameof(Loaders))]
    public void EveryLoader_GivenADirectory_SaysItIsADirectory(string loader, Action<string> load)
    {
        // Named like the file each loader expects, so it is the directory, not the extension, that is refused.
        string extension = loader switch
        {
            "NpyArray.Read" => ".npy",
            "NpzFile.Read" => ".npz",
            "OnnxImporter.Import" => ".onnx",
            "FrnnFile.Open" or "RnnModel.Load" or "Seq2SeqModel.Load" or "LanguageModel.Load" => ".frnn",
            _ => ".safetensors",
        };
        string directory = Path.Combine(Path.GetTempPath(), $"fastrnn-dir-{Guid.NewGuid():N}{extension}");
        Directory.CreateDirectory(directory);
        try
        {
            var e = Assert.ThrowsAny<IOException>(() => load(directory));
            Assert.True(e is FrnnFormatException or ImportException, $"{loader}: {e.GetType().Name}");
            Assert.Contains(directory, e.Message);
            Assert.Contains("directory", e.Message);
            Assert.DoesNotContain("denied", e.Message);
        }
        finally
        {
            Directory.Delete(directory);
        }
    }
}
