namespace FastRnn.Tests.Cli;

/// <summary>
/// Failures: exit code 1 for a bad command line, 2 for a bad file or bad data, and always one stderr line naming the
/// problem. The model is a 1-layer GRU with I = 13, H = 17 (batch 3 in its fixture).
/// </summary>
public sealed class RejectionTests : IDisposable
{
    private const string GruCase = "gru_l1_uni_i13_h17_b3_t100_given";
    private readonly TempDirectory _dir = new();
    private readonly string _gru;

    public RejectionTests()
    {
        _gru = _dir.File("gru.frnn");
        CliModels.SaveRnnFixture(GruCase, _gru);
    }

    public void Dispose() => _dir.Dispose();

    private string Npy(string name, int[] shape)
    {
        string path = _dir.File(name);
        CliHarness.WriteNpy(path, shape, new float[shape.Aggregate(1, (p, d) => p * d)]);
        return path;
    }

    private string Raw(string name, byte[] bytes)
    {
        string path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private CliResult RunGru(string input, params string[] more)
        => CliHarness.Run(["run", _gru, "--input", input, "--output", _dir.File("y.npy"), .. more]);

    [Fact]
    public void Run_FortranOrderInput_IsBadData()
    {
        string x = Raw("x.npy", CliHarness.RawNpy("<f4", fortranOrder: true, [4, 1, 13], new byte[4 * 13 * 4]));
        RunGru(x).Failed(2, "--input: ");
        Assert.Contains("Fortran", RunGru(x).Error);
        Assert.False(File.Exists(_dir.File("y.npy")));
    }

    [Fact]
    public void Run_Float64Input_IsBadDataNamingTheDtype()
    {
        string x = Raw("x.npy", CliHarness.RawNpy("<f8", fortranOrder: false, [4, 1, 13], new byte[4 * 13 * 8]));
        RunGru(x).Failed(2, "has dtype '<f8'; expected float32 ('<f4')");
    }

    [Fact]
    public void Run_TruncatedInput_IsBadData()
    {
        string x = Raw("x.npy", CliHarness.RawNpy("<f4", fortranOrder: false, [4, 1, 13], new byte[4 * 13 * 4 - 3]));
        RunGru(x).Failed(2, "truncated");
    }

    [Fact]
    public void Run_NotAnNpyFile_IsBadData()
    {
        string x = Raw("x.npy", "time,value\n0,1\n"u8.ToArray());
        RunGru(x).Failed(2, "is not a .npy array");
    }

    [Theory]
    [InlineData(new[] { 5, 3, 12 }, false, "--input: shape (5, 3, 12) expected (T, B, I) = (T, B, 13) or (T, I) = (T, 13)")]
    [InlineData(new[] { 5, 3, 12 }, true, "--input: shape (5, 3, 12) expected (B, T, I) = (B, T, 13) or (T, I) = (T, 13)")]
    [InlineData(new[] { 65 }, false, "--input: shape (65,) expected (T, B, I) = (T, B, 13)")]
    [InlineData(new[] { 2, 5, 3, 13 }, false, "--input: shape (2, 5, 3, 13) expected")]
    [InlineData(new[] { 0, 3, 13 }, false, "--input: shape (0, 3, 13) has no time steps")]
    public void Run_WrongInputShape_NamesTheExpectedShape(int[] shape, bool batchFirst, string message)
    {
        string x = Npy("x.npy", shape);
        RunGru(x, batchFirst ? ["--batch-first"] : []).Failed(2, message);
    }

    [Fact]
    public void Run_WrongH0Shape_NamesTheExpectedShape()
    {
        string x = Npy("x.npy", [4, 1, 13]);
        string h0 = Npy("h0.npy", [2, 3, 17]);
        RunGru(x, "--h0", h0).Failed(2, "--h0: shape (2, 3, 17) expected (1, 1, 17) = (L·D, B, H_out)");
    }

    [Fact]
    public void Run_WrongH0ShapeForTwoDimensionalInput_OffersBothForms()
    {
        string x = Npy("x.npy", [4, 13]);
        string h0 = Npy("h0.npy", [1, 16]);
        RunGru(x, "--h0", h0).Failed(2, "--h0: shape (1, 16) expected (1, 17) = (L·D, H_out) or (1, 1, 17) = (L·D, B, H_out)");
    }

    [Theory]
    [InlineData("--c0")]
    [InlineData("--cn")]
    public void Run_CellStateOptionOnGru_IsUsageError(string option)
    {
        string x = Npy("x.npy", [4, 1, 13]);
        string c = Npy("c.npy", [1, 1, 17]);
        RunGru(x, option, c).Failed(1, $"{option}: a GRU has no cell state");
    }

    [Fact]
    public void Run_MissingOutputOption_IsUsageError()
    {
        string x = Npy("x.npy", [4, 1, 13]);
        CliHarness.Run("run", _gru, "--input", x).Failed(1, "Option '--output' is required");
    }

    [Fact]
    public void Run_MissingModelArgument_IsUsageError()
        => CliHarness.Run("run").Failed(1, "(see 'fastrnn run --help')");

    [Fact]
    public void Run_UnknownOption_IsUsageError()
        => CliHarness.Run("run", _gru, "-i", "x.npy", "-o", "y.npy", "--frobnicate").Failed(1, "'--frobnicate'");

    [Fact]
    public void Run_SameFileForOutputAndHn_IsUsageError()
    {
        string x = Npy("x.npy", [4, 1, 13]);
        CliHarness.Run("run", _gru, "-i", x, "-o", _dir.File("y.npy"), "--hn", _dir.File("y.npy")).Failed(1, "--output and --hn name the same file");
    }

    [Fact]
    public void Run_OutputDirectoryMissing_IsBadInputNamingTheOption()
    {
        string x = Npy("x.npy", [4, 1, 13]);
        CliHarness.Run("run", _gru, "-i", x, "-o", _dir.File(Path.Combine("absent", "y.npy"))).Failed(2, "--output: cannot write");
    }

    [Fact]
    public void Run_MissingInputFile_IsBadInput()
        => RunGru(_dir.File("absent.npy")).Failed(2, "--input: ");

    [Fact]
    public void Run_MissingModel_IsBadInput()
        => CliHarness.Run("run", _dir.File("absent.frnn"), "-i", Npy("x.npy", [4, 1, 13]), "-o", _dir.File("y.npy")).Failed(2, "does not exist");

    [Theory]
    [InlineData("run")]
    [InlineData("inspect")]
    [InlineData("bench")]
    public void CorruptModel_IsBadInput(string command)
    {
        byte[] bytes = File.ReadAllBytes(_gru);
        bytes[bytes.Length - 10] ^= 0x40; // a bit of the last tensor: only the checksum can see it
        string corrupt = Raw("corrupt.frnn", bytes);
        string[] args = command == "run" ? ["run", corrupt, "-i", Npy("x.npy", [4, 1, 13]), "-o", _dir.File("y.npy")] : [command, corrupt];
        CliHarness.Run(args).Failed(2, $"{corrupt}: checksum mismatch");
    }

    [Fact]
    public void TruncatedModel_IsBadInput()
    {
        string truncated = Raw("truncated.frnn", File.ReadAllBytes(_gru)[..100]);
        CliHarness.Run("inspect", truncated).Failed(2, "fastrnn: error: ");
    }

    [Fact]
    public void Convert_ConfigForAMissingInput_IsBadInput()
        => CliHarness.Run("convert", "model.safetensors", "-o", _dir.File("m.frnn"), "--config", "seq2seq.json").Failed(2, "does not exist");

    [Fact]
    public void Convert_CorruptOnnx_GivesTheImportersError()
    {
        string onnx = Raw("model.onnx", [8, 7]);
        CliHarness.Run("convert", onnx, "-o", _dir.File("m.frnn")).Failed(2, "not an ONNX model");
        Assert.False(File.Exists(_dir.File("m.frnn")));
    }

    [Fact]
    public void Convert_MissingOutputOption_IsUsageError()
        => CliHarness.Run("convert", Path.Combine(CliModels.ImportDirectory, "pt_grucell.safetensors")).Failed(1, "'--output' is required");

    [Fact]
    public void Convert_UnknownNonlinearity_IsUsageError()
        => CliHarness.Run("convert", Path.Combine(CliModels.ImportDirectory, "pt_rnncell.safetensors"), "-o", _dir.File("m.frnn"), "--nonlinearity", "gelu").Failed(1, "gelu");

    [Fact]
    public void Convert_KerasFileAsPyTorch_IsBadInput()
        => CliHarness.Run("convert", Path.Combine(CliModels.ImportDirectory, "keras_gru_reset_after.safetensors"), "-o", _dir.File("m.frnn")).Failed(2, "Keras layout");

    [Theory]
    [InlineData("--threads", "0")]
    [InlineData("--batch", "0")]
    [InlineData("--seq-len", "0")]
    [InlineData("--steps", "-1")]
    [InlineData("--threads", "two")]
    public void Bench_BadSettings_AreUsageErrors(string option, string value)
        => CliHarness.Run("bench", _gru, option, value).Failed(1, option);

    [Fact]
    public void NoCommand_IsUsageError()
        => CliHarness.Run().Failed(1, "(see 'fastrnn --help')");

    [Fact]
    public void UnknownCommand_IsUsageError()
        => CliHarness.Run("train", "model.frnn").Failed(1, "'train'");

    [Fact]
    public void Help_ExplainsTheRootCommand()
    {
        CliResult help = CliHarness.Run("--help").Succeeded();
        Assert.Contains("fastrnn [command] [options]", help.Out);
        foreach (string command in new[] { "convert", "inspect", "run", "bench", "demo" })
            Assert.Contains($"  {command}", help.Out);
    }

    [Theory]
    [InlineData("convert", "--keras")]
    [InlineData("inspect", "--json")]
    [InlineData("run", "--batch-first")]
    [InlineData("bench", "--threads")]
    [InlineData("demo", "--steps")]
    public void Help_ExplainsEveryCommandAndOption(string command, string option)
    {
        CliResult help = CliHarness.Run(command, "--help").Succeeded();
        Assert.Contains("Description:", help.Out);
        Assert.Contains($"fastrnn {command}", help.Out);
        string line = help.Out.Split('\n').Single(l => l.TrimStart().StartsWith(option, StringComparison.Ordinal) || l.Contains($", {option}", StringComparison.Ordinal));
        Assert.True(line.Trim().Length > option.Length + 10, $"no description for {option}: {line}");
    }
}
