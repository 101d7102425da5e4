using System.Security.Cryptography;
using FastRnn.Graph;
using FastRnn.Import;
using FastRnn.Tests.Cli;
using FastRnn.Tests.Graph;
using FastRnn.Tests.Import;
using FastRnn.Tests.Support;
using Onnx;

namespace FastRnn.Tests.Onnx;

/// <summary>
/// Models whose tensors live in external data files (onnx.save(…, save_as_external_data=True), in one shared file
/// and one file per tensor), imported by the recurrent and the graph importer, give ONNX Runtime's outputs on the
/// same model with its weights inside.
/// </summary>
public class OnnxExternalDataTests
{
    private const double GraphTolerance = 1e-5;

    [Theory]
    [InlineData("lstm", "one")]
    [InlineData("lstm", "many")]
    [InlineData("lstm_linear", "one")]
    [InlineData("lstm_linear", "many")]
    public void Fixtures_KeepEveryTensorInExternalFiles(string name, string layout)
    {
        // Otherwise the parity tests below could pass on inline bytes alone.
        TensorProto[] tensors = OnnxExternalFixtures.Tensors(OnnxExternalFixtures.Load(OnnxExternalFixtures.ExternalPathOf(name, layout))).ToArray();
        Assert.NotEmpty(tensors);
        Assert.All(tensors, t =>
        {
            Assert.Equal(TensorProto.Types.DataLocation.External, t.DataLocation);
            Assert.True(t.RawData.IsEmpty);
        });
        int files = tensors.Select(t => OnnxExternalFixtures.Entry(t, "location")).Distinct().Count();
        Assert.Equal(layout == "one" ? 1 : tensors.Length, files);
    }

    [Theory]
    [InlineData("one")]
    [InlineData("many")]
    public void Import_ExternalData_MatchesOnnxRuntimeOnTheInlineModel(string layout)
        => OnnxParityRun.Prepare("lstm", OnnxExternalFixtures.ExternalPathOf("lstm", layout), OnnxExternalFixtures.InlinePathOf("lstm")).AssertMatches();

    [Theory]
    [InlineData("one")]
    [InlineData("many")]
    public void ConvertToFrnn_ExternalData_ThenLoad_MatchesOnnxRuntimeOnTheInlineModel(string layout)
    {
        var run = OnnxParityRun.Prepare("lstm", OnnxExternalFixtures.ExternalPathOf("lstm", layout), OnnxExternalFixtures.InlinePathOf("lstm"));
        using var frnn = new ImportTemp(".frnn");
        ModelConverter.Convert(run.Path, frnn.Path, ImportOptions.Default);
        run.AssertMatches(RnnModel.Load(frnn.Path));
    }

    [Theory]
    [InlineData("one")]
    [InlineData("many")]
    public void GraphImport_ExternalData_MatchesOnnxRuntimeOnTheInlineModel(string layout)
    {
        GraphImportResult result = OnnxGraphImporter.Import(OnnxExternalFixtures.ExternalPathOf("lstm_linear", layout));
        AssertGraphMatchesOnnxRuntime(GraphModel.Load(result.Model.ToFrnn()), OnnxExternalFixtures.InlinePathOf("lstm_linear"));
    }

    [Fact]
    public void Import_ChecksumsThatMatch_AreVerifiedAndAccepted()
    {
        using var dir = new TempDirectory();
        string model = OnnxExternalFixtures.CopyTo(dir.Path, "lstm", "one");
        byte[] weights = File.ReadAllBytes(dir.File("weights.bin"));
        OnnxExternalFixtures.Edit(model, m =>
        {
            foreach (TensorProto t in OnnxExternalFixtures.Tensors(m))
            {
                int offset = int.Parse(OnnxExternalFixtures.Entry(t, "offset"));
                int length = int.Parse(OnnxExternalFixtures.Entry(t, "length"));
                OnnxExternalFixtures.SetEntry(t, "checksum", Convert.ToHexString(SHA1.HashData(weights.AsSpan(offset, length))));
            }
        });
        OnnxParityRun.Prepare("lstm", model, OnnxExternalFixtures.InlinePathOf("lstm")).AssertMatches();
    }

    [Fact]
    public void Import_SymbolicLinkInsideTheModelsDirectory_IsFollowed()
    {
        using var dir = new TempDirectory();
        string model = OnnxExternalFixtures.CopyTo(dir.Path, "lstm", "one");
        Directory.CreateDirectory(dir.File("blobs"));
        File.Move(dir.File("weights.bin"), dir.File(Path.Combine("blobs", "0123abcd")));
        File.CreateSymbolicLink(dir.File("weights.bin"), Path.Combine("blobs", "0123abcd"));
        OnnxParityRun.Prepare("lstm", model, OnnxExternalFixtures.InlinePathOf("lstm")).AssertMatches();
    }

    [Fact]
    public void Import_ModelsDirectoryReachedThroughASymbolicLink_ReadsItsOwnFiles()
    {
        // The directory's real path is what the files must lie under, so a linked directory is no escape and no obstacle.
        using var dir = new TempDirectory();
        OnnxExternalFixtures.CopyTo(dir.File("real"), "lstm", "many");
        Directory.CreateSymbolicLink(dir.File("linked"), dir.File("real"));
        OnnxParityRun.Prepare("lstm", dir.File(Path.Combine("linked", "model.onnx")), OnnxExternalFixtures.InlinePathOf("lstm")).AssertMatches();
    }

    [Fact]
    public void Import_ExternalDataInASubdirectory_IsRead()
    {
        using var dir = new TempDirectory();
        string model = OnnxExternalFixtures.CopyTo(dir.Path, "lstm", "one");
        Directory.CreateDirectory(dir.File("data"));
        File.Move(dir.File("weights.bin"), dir.File(Path.Combine("data", "weights.bin")));
        OnnxExternalFixtures.Edit(model, m =>
        {
            foreach (TensorProto t in OnnxExternalFixtures.Tensors(m))
                OnnxExternalFixtures.SetEntry(t, "location", "./data\\weights.bin"); // either separator, and a "." segment
        });
        OnnxParityRun.Prepare("lstm", model, OnnxExternalFixtures.InlinePathOf("lstm")).AssertMatches();
    }

    [Fact]
    public void Import_FromBytes_RefusesExternalData_SayingToImportFromThePath()
    {
        byte[] bytes = File.ReadAllBytes(OnnxExternalFixtures.ExternalPathOf("lstm", "one"));
        var e = Assert.Throws<ImportException>(() => OnnxImporter.Import(bytes, "model.onnx"));
        Assert.StartsWith("model.onnx: tensor '", e.Message);
        Assert.Contains("external data location 'weights.bin'", e.Message);
        Assert.Contains("import it from its .onnx path", e.Message);
        var g = Assert.Throws<ImportException>(() => OnnxGraphImporter.Import(File.ReadAllBytes(OnnxExternalFixtures.ExternalPathOf("lstm_linear", "many")), "model.onnx"));
        Assert.Contains("import it from its .onnx path", g.Message);
    }

    private static void AssertGraphMatchesOnnxRuntime(GraphModel model, string oracle)
    {
        using GraphSession session = model.CreateSession();
        using var ort = new OrtStream(oracle);
        var random = new Random(20261201);
        for (int call = 0; call < 5; call++)
        {
            var feeds = new List<(string, long[], Array)>();
            foreach (GraphTensorInfo input in model.Inputs)
            {
                float[] x = Enumerable.Range(0, input.Length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
                session.SetInput(input.Name, x);
                feeds.Add((input.Name, input.Shape.Select(d => (long)d).ToArray(), x));
            }
            Dictionary<string, float[]> expected = ort.Run(feeds);
            session.Run();
            Assert.NotEmpty(model.Outputs);
            foreach (GraphTensorInfo output in model.Outputs)
                Compare.Close(expected[output.Name], session.Output(output.Name).ToArray(), GraphTolerance, $"call {call}: {output.Name}");
        }
    }
}
