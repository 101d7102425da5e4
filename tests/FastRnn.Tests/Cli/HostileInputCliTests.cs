using System.Buffers.Binary;
using System.Text;
using FastRnn.Tests.Format;
using FastRnn.Tests.Fuzz;
using FastRnn.Tests.Import;
using FastRnn.Tests.Onnx;

namespace FastRnn.Tests.Cli;

/// <summary>
/// The tool on hostile and huge files, directories and options that do not apply: the exit code (1 usage, 2 bad
/// input), one stderr line naming the file or field, no stack trace. Huge files are sparse; the memory-hungry cases
/// run the tool as a child process under a 256 MiB heap limit, where the old readers died of OutOfMemoryException.
/// </summary>
[Collection(FastRnn.Tests.Support.SerialCollection.Name)]
public sealed class HostileInputCliTests : IDisposable
{
    private const long GiB = 1L << 30;
    private static readonly Dictionary<string, string> HeapLimit = new() { ["DOTNET_GCHeapHardLimit"] = "0x10000000" };

    private readonly TempDirectory _dir = new();
    private readonly string _gru;

    public HostileInputCliTests()
    {
        _gru = _dir.File("gru.frnn");
        CliModels.SaveRnnFixture("gru_l1_uni_i13_h17_b3_t100_given", _gru);
    }

    public void Dispose() => _dir.Dispose();

    public static IEnumerable<object[]> DirectoryCommands() =>
    [
        [new[] { "inspect", "{dir}" }],
        [new[] { "run", "{dir}", "-i", "x.npy", "-o", "y.npy" }],
        [new[] { "bench", "{dir}" }],
        [new[] { "convert", "{dir}", "-o", "m.frnn" }],
        [new[] { "translate", "--model", "{dir}", "1 Dec 2026" }],
        [new[] { "generate", "--model", "{dir}" }],
        [new[] { "demo", "--model", "{dir}" }],
    ];

    [Theory]
    [MemberData(nameof(DirectoryCommands))]
    public void ADirectoryGivenAsAFile_IsBadInputSayingSo(string[] args)
    {
        string directory = _dir.File("models.frnn");
        Directory.CreateDirectory(directory);
        CliResult r = CliHarness.Run(args.Select(a => a.Replace("{dir}", directory)).ToArray());
        r.Failed(2, directory);
        Assert.Contains("directory", r.Error);
        Assert.DoesNotContain("denied", r.Error);
    }

    [Fact]
    public void RunWithADirectoryAsInput_IsBadInputSayingSo()
    {
        string directory = _dir.File("x.npy");
        Directory.CreateDirectory(directory);
        CliHarness.Run("run", _gru, "-i", directory, "-o", _dir.File("y.npy")).Failed(2, "is a directory");
    }

    [Fact]
    public void Convert_CorruptNpzCentralDirectory_IsBadInputNamingTheArchive()
    {
        byte[] zip = NpyBytes.Npz(false, ("w.npy", NpyBytes.Build(NpyBytes.Dict("<f4", "(2,)"), new byte[8])));
        zip[zip.AsSpan().IndexOf("PK\u0001\u0002"u8) + 2] = 9;
        string path = _dir.File("broken.npz");
        File.WriteAllBytes(path, zip);
        CliHarness.Run("convert", path, "-o", _dir.File("m.frnn")).Failed(2, $"{path}: archive is not a valid zip archive");
    }

    [Theory]
    [InlineData("pt_lstmcell", "--nonlinearity", "relu", "option nonlinearity = relu does not apply: the weights are a LSTM, not an RNN")]
    [InlineData("pt_lstmcell", "--gru-reset-before", null, "option GRU reset_after = false does not apply")]
    public void Convert_OptionThatDoesNotFitTheWeights_IsAUsageError(string weights, string option, string? value, string message)
    {
        string input = Path.Combine(FastRnn.Tests.Support.Fixtures.Directory("import"), weights + ".safetensors");
        CliHarness.Run(["convert", input, "-o", _dir.File("m.frnn"), option, .. value is null ? Array.Empty<string>() : [value]]).Failed(1, message);
    }

    [Fact]
    public void Convert_OptionOnAnOnnxModel_IsAUsageError()
        => CliHarness.Run("convert", OnnxFixtures.PathOf("lstm_forward"), "-o", _dir.File("m.frnn"), "--keras")
            .Failed(1, "lstm_forward.onnx: option --keras does not apply to ONNX models");

    [Fact]
    public void ConvertHelp_NamesOnnxAmongTheInputs()
    {
        CliResult r = CliHarness.Run("convert", "--help").Succeeded();
        Assert.Contains(".onnx", r.Out);
        Assert.Contains("an RNN's", r.Out.Replace("A plain RNN's", "an RNN's"));
    }

    [Fact]
    public void Run_FourGiBInputUnderAMemoryLimit_IsRefusedNamingTheFile()
    {
        byte[] header = NpyBytes.Build(NpyBytes.Dict("<f4", "(82595525, 1, 13)"), []);
        using var x = new SparseFile(".npy", header, header.Length + 82595525L * 13 * 4);
        CliResult r = CliProcess.Run(["run", _gru, "-i", x.Path, "-o", _dir.File("y.npy")], HeapLimit);
        r.Failed(2, $"--input: {x.Path}: array needs 4,294,967,300 bytes as float32, more than the");
    }

    [Fact]
    public void Convert_FourGiBSafetensorsTensorUnderAMemoryLimit_IsRefusedNamingTheTensor()
    {
        string json = "{\"weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[1073741824],\"data_offsets\":[0,4294967296]}}";
        byte[] header = new byte[8 + json.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)json.Length);
        Encoding.ASCII.GetBytes(json).CopyTo(header, 8);
        using var weights = new SparseFile(".safetensors", header, header.Length + 4 * GiB);
        CliResult r = CliProcess.Run(["convert", weights.Path, "-o", _dir.File("m.frnn")], HeapLimit);
        r.Failed(2, $"{weights.Path}: tensor 'weight_ih_l0' needs 4,294,967,296 bytes as float32, more than the");
    }

    [Fact]
    public void Inspect_TenGiBModelWhoseTensorsUseKilobytes_IsRefusedNamingTheField()
    {
        byte[] small = File.ReadAllBytes(_gru);
        ulong dataOffset = FrnnBytes.U64(small, FrnnBytes.DataOffsetOffset);
        FrnnBytes.SetU64(small, FrnnBytes.FileLengthOffset, 10UL * (ulong)GiB);
        FrnnBytes.SetU64(small, FrnnBytes.DataLengthOffset, 10UL * (ulong)GiB - dataOffset);
        using var model = new SparseFile(".frnn", small, 10 * GiB);
        CliProcess.Run(["inspect", model.Path], HeapLimit).Failed(2, $"{model.Path}: data length: expected ");
    }

    [Fact]
    public void Convert_OnnxFileOverTwoGiB_IsRefusedNamingTheFile()
    {
        using var model = new SparseFile(".onnx", File.ReadAllBytes(OnnxFixtures.PathOf("lstm_forward")), 2 * GiB + 64);
        CliHarness.Run("convert", model.Path, "-o", _dir.File("m.frnn")).Failed(2, $"{model.Name}: not an ONNX model: the file is 2,147,483,712 bytes");
    }

    /// <summary>A standard input that fails in a way no command expects.</summary>
    private sealed class BrokenReader : TextReader
    {
        public override string? ReadLine() => throw new NotSupportedException("this reader cannot be read");

        public override int Read() => throw new NotSupportedException("this reader cannot be read");
    }

    [Fact]
    public void AFailureNoCommandExpects_IsStillOneLine_WithExitCodeThree()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = FastRnn.Cli.Program.Run(["translate"], new BrokenReader(), stdout, stderr);
        Assert.Equal(3, code);
        Assert.Equal("fastrnn: error: NotSupportedException: this reader cannot be read", stderr.ToString().TrimEnd());
    }
}
