using System.Text.Json;
using FastRnn.Decoding;
using FastRnn.Format;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Cli;

/// <summary><c>fastrnn quantize</c>, <c>convert --weights</c> and what <c>inspect</c> shows of a quantized file.</summary>
public class QuantizeCommandTests
{
    [Fact]
    public void Quantize_WritesInt8MatricesTheLanguageModelLoads()
    {
        using var dir = new TempDirectory();
        string output = dir.File("lm.int8.frnn");

        CliResult result = CliHarness.Run("quantize", Fixtures.ShippedModel("char-lm.frnn"), "-o", output, "--weights", "int8").Succeeded();

        Assert.StartsWith($"wrote {output}: tensors ", result.Out);
        Assert.Contains(" int8;", result.Out);
        using (FrnnFile file = FrnnFile.Open(output))
            Assert.Contains(file.Tensors, t => t.DType == FrnnDType.Int8);
        Assert.True(new FileInfo(output).Length < new FileInfo(Fixtures.ShippedModel("char-lm.frnn")).Length / 3);
        Assert.NotNull(LanguageModel.Load(output));
        Assert.False(File.Exists(output + ".tmp"));
    }

    [Fact]
    public void Quantize_RefusesAnUnknownPrecision()
    {
        using var dir = new TempDirectory();
        CliResult result = CliHarness.Run("quantize", Fixtures.ShippedModel("sine-lstm.frnn"), "-o", dir.File("x.frnn"), "--weights", "int4");
        Assert.NotEqual(0, result.ExitCode);
        Assert.False(File.Exists(dir.File("x.frnn")));
    }

    [Fact]
    public void ConvertWithWeights_ReportsThePrecision_AndInspectShowsDTypesAndFileSize()
    {
        using var dir = new TempDirectory();
        string name = (string)CliModels.ImportCases().First()[0];
        string model = dir.File("model.frnn");

        CliResult convert = CliHarness.Run(["convert", CliModels.WeightsFile(name), "-o", model, "--weights", "bf16", .. CliModels.ConvertOptions(CliModels.Golden(name))]).Succeeded();
        Assert.Contains("stored its weight matrices as bf16", convert.Out);

        CliResult text = CliHarness.Run("inspect", model).Succeeded();
        Assert.Contains($"{new FileInfo(model).Length:N0} bytes, checksum verified", text.Out);
        using JsonDocument json = JsonDocument.Parse(CliHarness.Run("inspect", model, "--json").Succeeded().Out);
        Assert.Equal(new FileInfo(model).Length, json.RootElement.GetProperty("file_bytes").GetInt64());
        using FrnnFile file = FrnnFile.Open(model);
        foreach (JsonElement t in json.RootElement.GetProperty("tensors").EnumerateArray())
            Assert.Equal(FormatName(file.GetTensorInfo(t.GetProperty("name").GetString()!).DType), t.GetProperty("dtype").GetString());
    }

    private static string FormatName(FrnnDType dtype) => dtype.ToString().ToLowerInvariant();
}
