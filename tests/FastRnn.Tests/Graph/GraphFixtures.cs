using FastRnn.Graph;
using FastRnn.Import;
using Fixtures = FastRnn.Tests.Support.Fixtures;

namespace FastRnn.Tests.Graph;

/// <summary>The whole-graph models of Fixtures/graph (made by tools/gen_graph_fixtures.py), converted as the CLI converts them.</summary>
internal static class GraphFixtures
{
    public static string PathOf(string name) => Path.Combine(Fixtures.Directory("graph"), name + ".onnx");

    /// <summary>What <c>fastrnn convert</c> is told for each model: the VAD's sample rate and chunk shape.</summary>
    public static GraphImportOptions Options(string name) => name switch
    {
        "vad" => new GraphImportOptions
        {
            Fixed = new Dictionary<string, double[]> { ["sr"] = [16000] },
            Shapes = new Dictionary<string, int[]> { ["input"] = [1, 576], ["state"] = [2, 1, 128] },
        },
        _ => new GraphImportOptions(),
    };

    /// <summary>The model converted, written as .frnn and loaded back: what a user of the converted file runs.</summary>
    public static GraphModel Load(string name)
    {
        GraphImportResult result = OnnxGraphImporter.Import(PathOf(name), Options(name));
        return GraphModel.Load(result.Model.ToFrnn());
    }
}
