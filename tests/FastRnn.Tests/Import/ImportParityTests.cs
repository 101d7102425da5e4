using FastRnn.Import;
using FastRnn.Layers;
using Compare = FastRnn.Tests.Support.Compare;

namespace FastRnn.Tests.Import;

/// <summary>
/// Every weights file in Fixtures/import, imported with no configuration (only the options PyTorch or Keras weights
/// cannot record), must give the configuration recorded in its golden file and PyTorch's float64 outputs within 2e-5.
/// </summary>
public class ImportParityTests
{
    private const double Tolerance = 2e-5;

    public static IEnumerable<object[]> Cases() => ImportCase.All();

    [Fact]
    public void Fixtures_CoverEveryImporterAndContainer()
    {
        string[] files = Cases().Select(c => (string)c[0]).ToArray();
        Assert.Contains(files, f => f.StartsWith("pt_", StringComparison.Ordinal) && f.EndsWith(".safetensors", StringComparison.Ordinal));
        Assert.Contains(files, f => f.StartsWith("keras_", StringComparison.Ordinal) && f.EndsWith(".npz", StringComparison.Ordinal));
        Assert.Contains(files, f => f.StartsWith("keras_", StringComparison.Ordinal) && f.EndsWith(".safetensors", StringComparison.Ordinal));
        Assert.True(files.Length >= 12, $"only {files.Length} fixtures");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Convert_InfersTheConfigurationWithoutBeingTold(string file)
    {
        var c = ImportCase.Load(file);
        ImportedModel imported = ModelConverter.Convert(c.Path, c.Options);
        Assert.Equal(c.ExpectedConfig, imported.Config);
        Assert.Equal(RnnModel.ParameterNames(imported.Config).Order(), imported.Tensors.Keys.Order());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Convert_ThenRun_MatchesPyTorch(string file)
    {
        var c = ImportCase.Load(file);
        RnnModel model = ModelConverter.Convert(c.Path, c.Options).ToModel();
        RunAndCompare(c, model);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConvertToFrnn_ThenLoad_MatchesPyTorch(string file)
    {
        var c = ImportCase.Load(file);
        using var frnn = new ImportTemp(".frnn");
        var reports = new List<double>();
        RnnConfig written = ModelConverter.Convert(c.Path, frnn.Path, c.Options, new SyncProgress(reports.Add));

        RnnModel model = RnnModel.Load(frnn.Path);
        Assert.Equal(c.ExpectedConfig, model.Config);
        Assert.Equal(written, model.Config);
        Assert.Equal(1.0, reports[^1]);
        Assert.Equal(reports.Order(), reports);
        RunAndCompare(c, model);
    }

    private static void RunAndCompare(ImportCase c, RnnModel model)
    {
        using RnnSession session = model.CreateSession(c.Batch, c.Steps);
        var output = new float[c.Golden["output"].Data.Length];
        session.Run(c.Golden["input"].Data, output);
        Compare.Close(c.Golden["output"].Data, output, Tolerance, $"{c.File} output");
        Compare.Close(c.Golden["hn"].Data, session.HiddenState, Tolerance, $"{c.File} h_n");
        if (c.Golden.TryGetValue("cn", out TensorData? cn))
            Compare.Close(cn.Data, session.CellState, Tolerance, $"{c.File} c_n");
    }

    private sealed class SyncProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
