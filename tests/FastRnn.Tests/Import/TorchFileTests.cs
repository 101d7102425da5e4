using System.IO.Compression;
using System.Text.Json;
using FastRnn.Import;
using Fixtures = FastRnn.Tests.Support.Fixtures;

namespace FastRnn.Tests.Import;

/// <summary>
/// PyTorch .pt files (Fixtures/import-torch, written by tools/gen_torch_fixtures.py with PyTorch 1.13's torch.save):
/// each holds the same weights as a committed safetensors fixture, so the .pt path must give bit-identical tensors;
/// the hostile ones must be refused with an <see cref="ImportException"/> that names what is wrong.
/// </summary>
public sealed class TorchFileTests
{
    private static string Directory => Fixtures.Directory("import-torch");

    public static IEnumerable<object[]> Cases()
        => Read(Path.Combine(Directory, "cases.json"))
            .Where(c => c.GetProperty("twin").GetString()!.StartsWith("import/", StringComparison.Ordinal))
            .Select(c => new object[] { c.GetProperty("file").GetString()!, c.GetProperty("twin").GetString()!, c.GetProperty("prefix").GetString() ?? "" });

    public static IEnumerable<object[]> HostileCases()
        => Read(Path.Combine(Directory, "hostile", "cases.json"))
            .Select(c => new object[] { c.GetProperty("file").GetString()!, string.Join('|', c.GetProperty("message").EnumerateArray().Select(m => m.GetString())) });

    [Fact]
    public void Fixtures_CoverEveryContainerDTypeAndLayout()
    {
        string[] files = Cases().Select(c => (string)c[0]).ToArray();
        foreach (string variant in new[] { ".legacy.pt", ".protocol4.pt", ".f64.pt", ".strided.pt", ".shared.pt", ".bigger.pt", "pt_gru_bi_f16.pt", "pt_rnn_relu_l2_bf16.pt", "checkpoint.pt" })
            Assert.Contains(files, f => f.EndsWith(variant, StringComparison.Ordinal));
        Assert.True(HostileCases().Count() >= 10);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Convert_GivesTheTensorsOfTheSafetensorsTwin_BitForBit(string file, string twin, string prefix)
    {
        var twinCase = ImportCase.Load(Path.GetFileName(twin));
        ImportedModel expected = ModelConverter.Convert(twinCase.Path, twinCase.Options);
        ImportedModel actual = ModelConverter.Convert(Path.Combine(Directory, file), twinCase.Options with { Prefix = prefix.Length == 0 ? null : prefix });

        Assert.Equal(expected.Config, actual.Config);
        Assert.Equal(expected.Tensors.Keys.Order(), actual.Tensors.Keys.Order());
        foreach ((string name, float[] data) in expected.Tensors)
            Assert.True(Bits(data).SequenceEqual(Bits(actual.Tensors[name])), $"{file}: tensor {name} differs from {twin}");
    }

    [Fact]
    public void ConvertSeq2Seq_FromPt_WritesTheSameFileAsFromSafetensors()
    {
        using var w = Seq2SeqWorkspace.For("tutorial");
        w.Convert();
        string pt = w.File("tutorial.pt");
        File.Copy(Path.Combine(Directory, "tutorial.pt"), pt);
        string fromPt = w.File("from-pt.frnn");
        ModelConverter.ConvertSeq2Seq(pt, w.Config, fromPt);
        Assert.Equal(File.ReadAllBytes(w.Output), File.ReadAllBytes(fromPt));
    }

    [Fact]
    public void Convert_CheckpointOfSeveralStateDicts_AsksForAPrefix()
    {
        var e = Assert.Throws<ImportException>(() => ModelConverter.Convert(Path.Combine(Directory, "checkpoint.pt")));
        Assert.Contains("several modules", e.Message);
        Assert.Contains("'enc'", e.Message);
        Assert.Contains("'dec'", e.Message);
    }

    [Fact]
    public void Convert_PrefixSelectingAnIntegerTensor_NamesItsDType()
    {
        var e = Assert.Throws<ImportException>(() => ModelConverter.Convert(Path.Combine(Directory, "pt_gru_l2_prefix.bigger.pt"), new ImportOptions { Prefix = "model" }));
        Assert.Contains("tensor 'model.norm.num_batches_tracked' has dtype int64", e.Message);
    }

    [Fact]
    public void Read_NamesTensorsInStateDictOrder()
    {
        string[] names = TorchFile.Read(Path.Combine(Directory, "pt_lstm_nobias.pt")).Select(t => t.Key).ToArray();
        Assert.Equal(["weight_ih_l0", "weight_hh_l0"], names);
    }

    [Theory]
    [MemberData(nameof(HostileCases))]
    public void Read_HostileFile_IsRefusedWithAMessageNamingTheProblem(string file, string expected)
    {
        string path = Path.Combine(Directory, "hostile", file);
        var e = Assert.Throws<ImportException>(() => TorchFile.Read(path));
        Assert.StartsWith(path, e.Message);
        foreach (string part in expected.Split('|'))
            Assert.Contains(part, e.Message);
    }

    [Theory]
    [InlineData("pt_gru_bi_f16.pt")]
    [InlineData("pt_lstm_l2_bi_proj.legacy.pt")]
    public void Read_EveryTruncation_IsAnImportException(string file)
    {
        byte[] whole = File.ReadAllBytes(Path.Combine(Directory, file));
        for (int length = 0; length < whole.Length; length += 61)
        {
            using var temp = ImportTemp.With(".pt", whole[..length]);
            Assert.Throws<ImportException>(() => TorchFile.Read(temp.Path));
        }
    }

    [Fact]
    public void Load_EveryCorruptedPickleByte_IsAnImportExceptionOrAStateDict()
    {
        byte[] pickle = DataPickle(Path.Combine(Directory, "pt_lstm_l2_bi_proj.protocol4.pt"));
        var random = new Random(14);
        for (int i = 0; i < pickle.Length; i++)
        {
            byte[] corrupt = (byte[])pickle.Clone();
            corrupt[i] = (byte)random.Next(256);
            try
            {
                (object? root, _, _) = TorchUnpickler.Load(corrupt, 0, "m.pt", "data.pkl");
                TorchStateDict.Flatten(root, "m.pt", "data.pkl");
            }
            catch (ImportException)
            {
            }
        }
    }

    [Fact]
    public void Load_StackGlobalFromNonStrings_IsRefused()
    {
        // PROTO 4, BININT1 1, BININT1 2, STACK_GLOBAL, STOP: the global's name is not a pair of strings.
        byte[] pickle = [0x80, 4, (byte)'K', 1, (byte)'K', 2, 0x93, (byte)'.'];
        var e = Assert.Throws<ImportException>(() => TorchUnpickler.Load(pickle, 0, "m.pt", "data.pkl"));
        Assert.Contains("not literal strings", e.Message);
    }

    [Fact]
    public void Load_MemoizedStringsNamingARefusedGlobal_AreRefusedByName()
    {
        // PROTO 4, "os" MEMOIZE, "system" MEMOIZE, POP, POP, BINGET 0, BINGET 1, STACK_GLOBAL, STOP.
        byte[] pickle = [0x80, 4, 0x8c, 2, (byte)'o', (byte)'s', 0x94, 0x8c, 6, .."system"u8, 0x94, (byte)'0', (byte)'0', (byte)'h', 0, (byte)'h', 1, 0x93, (byte)'.'];
        var e = Assert.Throws<ImportException>(() => TorchUnpickler.Load(pickle, 0, "m.pt", "data.pkl"));
        Assert.Contains("'os.system'", e.Message);
    }

    private static byte[] DataPickle(string path)
    {
        using ZipArchive zip = ZipFile.OpenRead(path);
        ZipArchiveEntry entry = zip.Entries.Single(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal));
        using var s = new MemoryStream();
        entry.Open().CopyTo(s);
        return s.ToArray();
    }

    private static int[] Bits(float[] data) => data.Select(BitConverter.SingleToInt32Bits).ToArray();

    private static JsonElement[] Read(string path)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
    }
}
