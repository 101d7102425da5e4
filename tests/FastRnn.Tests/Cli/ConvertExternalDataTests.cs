using FastRnn.Tests.Onnx;

namespace FastRnn.Tests.Cli;

/// <summary>
/// <c>fastrnn convert</c> on ONNX models with external data: a recurrent stack and a graph model convert (their
/// outputs are checked against ONNX Runtime in OnnxExternalDataTests); a location that leaves the model's directory
/// is bad input, exit 2, one line naming the tensor and the field; so is a 4 GiB external tensor under a memory limit.
/// </summary>
[Collection(FastRnn.Tests.Support.SerialCollection.Name)]
public sealed class ConvertExternalDataTests : IDisposable
{
    private static readonly Dictionary<string, string> HeapLimit = new() { ["DOTNET_GCHeapHardLimit"] = "0x10000000" };

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("lstm", "one", "2-layer LSTM")]
    [InlineData("lstm", "many", "2-layer LSTM")]
    [InlineData("lstm_linear", "one", "graph of")]
    [InlineData("lstm_linear", "many", "graph of")]
    public void Convert_ExternalData_WritesTheSameModelAsTheInlineOne(string name, string layout, string kind)
    {
        string external = _dir.File("external.frnn"), inline = _dir.File("inline.frnn");
        CliResult r = CliHarness.Run("convert", OnnxExternalFixtures.ExternalPathOf(name, layout), "-o", external);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains(kind, r.Out);
        Assert.Equal(0, CliHarness.Run("convert", OnnxExternalFixtures.InlinePathOf(name), "-o", inline).ExitCode);
        // What the external model converts to is checked against ONNX Runtime on the inline model in OnnxExternalDataTests.
        Assert.Equal(File.ReadAllBytes(inline), File.ReadAllBytes(external));
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("lstm_linear")]
    public void Convert_LocationEscapingTheModelsDirectory_IsBadInput(string name)
    {
        string model = OnnxExternalFixtures.CopyTo(_dir.File("model"), name, "one");
        File.Copy(_dir.File(Path.Combine("model", "weights.bin")), _dir.File("weights.bin"));
        OnnxExternalFixtures.Edit(model, m => OnnxExternalFixtures.SetEntry(m.Graph.Initializer[0], "location", "../weights.bin"));

        CliResult r = CliHarness.Run("convert", model, "-o", _dir.File("out.frnn"));

        r.Failed(2, "model.onnx: tensor '");
        Assert.Contains("external data location '../weights.bin' has a '..' segment", r.Error);
        Assert.DoesNotContain("   at ", r.Error);
        Assert.False(File.Exists(_dir.File("out.frnn")));
    }

    [Fact]
    public void Convert_FourGiBExternalTensorUnderAMemoryLimit_IsRefusedNamingTheTensor()
    {
        string model = OnnxExternalFixtures.CopyTo(_dir.File("model"), "lstm", "one");
        using (var big = new FileStream(_dir.File(Path.Combine("model", "big.bin")), FileMode.CreateNew, FileAccess.Write))
            big.SetLength(4L << 30); // a hole: costs no disk
        string tensor = "";
        OnnxExternalFixtures.Edit(model, m =>
        {
            global::Onnx.TensorProto t = m.Graph.Initializer[0];
            tensor = t.Name;
            t.Dims.Clear();
            t.Dims.Add(1L << 30);
            OnnxExternalFixtures.SetEntry(t, "location", "big.bin");
            OnnxExternalFixtures.SetEntry(t, "offset", "0");
            OnnxExternalFixtures.SetEntry(t, "length", (4L << 30).ToString(System.Globalization.CultureInfo.InvariantCulture));
        });

        CliResult r = CliProcess.Run(["convert", model, "-o", _dir.File("out.frnn")], HeapLimit);

        r.Failed(2, $"model.onnx: tensor '{tensor}' needs 4,294,967,296 bytes as float32, more than the");
    }
}
