using FastRnn.Import;
using Fixtures = FastRnn.Tests.Support.Fixtures;

namespace FastRnn.Tests.Import;

/// <summary>Dispatch by file type, and what reaches the caller when the input is not usable.</summary>
public class ModelConverterTests
{
    [Fact]
    public void Convert_OnnxThatIsNotOnnx_SaysSo()
    {
        using var temp = ImportTemp.With(".onnx", [1, 2, 3]);
        var e = Assert.Throws<ImportException>(() => ModelConverter.Convert(temp.Path));
        Assert.Contains("not an ONNX model", e.Message);
    }

    [Fact]
    public void Convert_PtThatIsNotAPyTorchFile_SaysSo()
    {
        using var temp = ImportTemp.With(".pt", [0x80, 0x02]);
        var e = Assert.Throws<ImportException>(() => ModelConverter.Convert(temp.Path));
        Assert.Contains("neither a zip archive nor starts with the legacy magic number", e.Message);
    }

    [Fact]
    public void Convert_UnknownExtension_NamesTheSupportedOnes()
    {
        using var temp = ImportTemp.With(".h5", [0]);
        var e = Assert.Throws<ImportException>(() => ModelConverter.Convert(temp.Path));
        Assert.Contains("unknown file type '.h5'; expected .safetensors, .npz or .pt", e.Message);
    }

    [Fact]
    public void Convert_ExtensionIsCaseInsensitive()
    {
        using var temp = ImportTemp.With(".SafeTensors", File.ReadAllBytes(Path.Combine(Fixtures.Directory("import"), "pt_grucell.safetensors")));
        Assert.Equal(6, ModelConverter.Convert(temp.Path).Config.HiddenSize);
    }

    [Fact]
    public void Convert_KerasFileWithoutKerasOption_SuggestsIt()
    {
        var e = Assert.Throws<ImportException>(() => ModelConverter.Convert(Path.Combine(Fixtures.Directory("import"), "keras_gru_reset_after.safetensors")));
        Assert.Contains("Keras layout", e.Message);
    }

    [Fact]
    public void Convert_CorruptInput_DoesNotCreateTheOutput()
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(Fixtures.Directory("import"), "pt_rnncell.safetensors"));
        using var input = ImportTemp.With(".safetensors", bytes[..^4]);
        using var output = new ImportTemp(".frnn");
        var e = Assert.Throws<ImportException>(() => ModelConverter.Convert(input.Path, output.Path, ImportOptions.Default));
        Assert.Contains("truncated", e.Message);
        Assert.False(File.Exists(output.Path));
    }

    /// <summary>An nn.RNNCell under "rnn." beside a BatchNorm's int64 counter, as a model's state dict has it.</summary>
    private static byte[] CellBesideBatchNorm()
    {
        using var f = SafetensorsFile.Open(Path.Combine(Fixtures.Directory("import"), "pt_rnncell.safetensors"));
        var tensors = f.ReadAll().Select(t => ("rnn." + t.Key, "F32", t.Value.Shape, SafetensorsBytes.Floats(t.Value.Data))).ToList();
        tensors.Add(("bn.num_batches_tracked", "I64", [], new byte[8]));
        return SafetensorsBytes.File([.. tensors]);
    }

    [Fact]
    public void Convert_WithPrefix_NeverDecodesTensorsOfOtherModules()
    {
        using var temp = ImportTemp.With(".safetensors", CellBesideBatchNorm());
        ImportedModel m = ModelConverter.Convert(temp.Path, new ImportOptions { Prefix = "rnn" });
        Assert.Equal(5, m.Config.HiddenSize);
    }

    [Fact]
    public void Convert_IntegerTensorWithoutPrefix_SuggestsAPrefix()
    {
        using var temp = ImportTemp.With(".safetensors", CellBesideBatchNorm());
        var e = Assert.Throws<ImportException>(() => ModelConverter.Convert(temp.Path));
        Assert.Contains("tensor 'bn.num_batches_tracked' has dtype I64", e.Message);
        Assert.Contains("--prefix", e.Message);
    }

    [Theory]
    [InlineData("pt_gru_l2_prefix.safetensors", false, "'model.rnn'")]
    [InlineData("keras_gru_reset_before.npz", true, "'gru', 'dense'")]
    public void Convert_PrefixMatchingNothing_ListsTheModules(string file, bool keras, string modules)
    {
        var e = Assert.Throws<ImportException>(() => ModelConverter.Convert(Path.Combine(Fixtures.Directory("import"), file), new ImportOptions { Prefix = "decoder", Keras = keras }));
        Assert.Contains($"no tensor is under the prefix 'decoder'; the modules present are {modules}", e.Message);
    }
}
