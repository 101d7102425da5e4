using FastRnn.Graph;
using FastRnn.Import;
using FastRnn.Tests.Onnx;
using Google.Protobuf;
using Onnx;

namespace FastRnn.Tests.Graph;

/// <summary>
/// The graph importer on what real exports hold: the If branch the fixed inputs select, recurrent graphs with
/// constant initial states and heads, operators it cannot run listed with node names, and the inputs a caller must fix.
/// Results are checked against ONNX Runtime on the same seeded inputs.
/// </summary>
public class GraphImporterTests
{
    private static GraphImportOptions Shapes(params (string Name, int[] Shape)[] shapes)
        => new() { Shapes = shapes.ToDictionary(s => s.Name, s => s.Shape) };

    /// <summary>Runs <paramref name="model"/> and ONNX Runtime on <paramref name="path"/> for <paramref name="calls"/> calls of seeded float inputs, carrying states.</summary>
    private static void AssertMatchesOnnxRuntime(GraphModel model, string path, int calls, params (string Name, long[] Shape, Array Data)[] extra)
    {
        using GraphSession session = model.CreateSession();
        using var ort = new OrtStream(path);
        var random = new Random(path.Length);
        var carried = model.States.ToDictionary(s => s.Input, s => new float[model.Inputs.Single(i => i.Name == s.Input).Length]);
        for (int call = 0; call < calls; call++)
        {
            var feeds = new List<(string, long[], Array)>(extra);
            foreach (GraphTensorInfo input in model.Inputs)
            {
                float[] x = carried.TryGetValue(input.Name, out float[]? s) ? s : Enumerable.Range(0, input.Length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
                if (!carried.ContainsKey(input.Name))
                    session.SetInput(input.Name, x);
                feeds.Add((input.Name, input.Shape.Select(d => (long)d).ToArray(), x.ToArray()));
            }
            Dictionary<string, float[]> expected = ort.Run(feeds);
            session.Run();
            foreach (GraphTensorInfo output in model.Outputs)
            {
                float[] want = expected[output.Name];
                ReadOnlySpan<float> actual = session.Output(output.Name);
                for (int i = 0; i < want.Length; i++)
                    Assert.True(Math.Abs(actual[i] - want[i]) <= 1e-5, $"call {call}: '{output.Name}'[{i}] = {actual[i]}, ONNX Runtime {want[i]}");
            }
            foreach (GraphStatePair pair in model.States)
                expected[pair.Output].CopyTo(carried[pair.Input], 0);
        }
    }

    [Fact]
    public void Vad_With8kHzFixed_TakesThe8kBranch_AndMatchesOnnxRuntime()
    {
        var options = new GraphImportOptions
        {
            Fixed = new Dictionary<string, double[]> { ["sr"] = [8000] },
            Shapes = new Dictionary<string, int[]> { ["input"] = [1, 288], ["state"] = [2, 1, 128] },
        };
        GraphImportResult result = OnnxGraphImporter.Import(GraphFixtures.PathOf("vad"), options);
        Assert.Contains(result.Notes, n => n.Contains("node '/If' (If): the condition is true; took then_branch", StringComparison.Ordinal));
        Assert.Contains(result.Model.States, s => s is { Input: "state", Output: "stateN" });
        AssertMatchesOnnxRuntime(result.Model, GraphFixtures.PathOf("vad"), 200, ("sr", [], new long[] { 8000 }));
    }

    [Fact]
    public void Vad_KeepsTheZerosItAddsAtRunTime_AsAConstant()
    {
        GraphModel model = GraphFixtures.Load("vad");
        GraphDefinition g = model.Definition;
        GraphNode add = g.Nodes.Single(n => n.Op == GraphOp.Add && n.Outputs.Contains(g.Outputs[0]));
        int zeros = add.Inputs.Single(g.Constants.ContainsKey);
        Assert.All(g.Constants[zeros], v => Assert.Equal(0f, v)); // ConstantOfShape(batch, 1) of zeros: stored, not dropped
    }

    [Fact]
    public void KeywordSpotter_FoldsEveryBatchNormIntoItsConv()
    {
        GraphImportResult result = OnnxGraphImporter.Import(GraphFixtures.PathOf("kws_crnn"));
        Assert.Equal(3, result.Notes.Count(n => n.Contains("folded into the conv1d", StringComparison.Ordinal)));
        Assert.DoesNotContain(result.Model.Definition.Nodes, n => n.Op is GraphOp.Mul or GraphOp.Add);
    }

    [Fact]
    public void LstmWithAMatMulHead_ThatTheStackImporterRefuses_RunsAsAGraph()
    {
        string path = OnnxFixtures.PathOf("lstm_matmul_head");
        Assert.True(OnnxGraphImporter.NeedsGraph(path));
        GraphModel model = OnnxGraphImporter.Import(path, Shapes(("X", [7, 3, 4]))).Model;
        Assert.Contains(model.Definition.Nodes, n => n.Op == GraphOp.Linear && n.Inputs.Length == 3); // MatMul + Add fused
        AssertMatchesOnnxRuntime(model, path, 20);
    }

    [Theory]
    [InlineData("lstm_initial_const", 3)]
    [InlineData("gru_initial_const", 3)]
    [InlineData("torch_lstm_l2_bi", 2)]
    [InlineData("gru_bidirectional_lbr1", 2)]
    public void RecurrentGraphs_RunAsGraphs_LikeOnnxRuntime(string name, int batch)
    {
        string path = OnnxFixtures.PathOf(name);
        Assert.False(OnnxGraphImporter.NeedsGraph(path)); // `convert` keeps the stack importer for these
        var shapes = new List<(string, int[])> { (name == "torch_lstm_l2_bi" ? "input" : "X", [6, batch, 4]) };
        if (name == "torch_lstm_l2_bi")
            shapes.AddRange([("h0", [4, batch, 6]), ("c0", [4, batch, 6])]);
        GraphModel model = OnnxGraphImporter.Import(path, Shapes([.. shapes])).Model;
        AssertMatchesOnnxRuntime(model, path, 5);
    }

    [Fact]
    public void UnsupportedOperators_AreListed_WithTheirNodeNames()
    {
        byte[] bytes = File.ReadAllBytes(GraphFixtures.PathOf("kws_crnn"));
        ModelProto model = ModelProto.Parser.ParseFrom(bytes);
        model.Graph.Node.First(n => n.OpType == "Relu").OpType = "Celu";
        model.Graph.Node.Last(n => n.OpType == "Gemm").OpType = "Einsum";
        var e = Assert.Throws<ImportException>(() => OnnxGraphImporter.Import(model.ToByteArray(), "kws.onnx"));
        Assert.True(e.Message.StartsWith("kws.onnx: the graph has operators FastRnn cannot run: Celu (node '/Relu' (Celu)), Einsum (node '/head/Gemm' (Einsum))", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void DynamicInputs_MustBeFixed_AndTheMessageSaysHow()
    {
        var e = Assert.Throws<ImportException>(() => OnnxGraphImporter.Import(GraphFixtures.PathOf("vad")));
        Assert.Contains("graph input 'input' has symbolic dimensions [?, ?]; fix it with --shape input=D0xD1x…", e.Message);

        var noRate = new GraphImportOptions { Shapes = new Dictionary<string, int[]> { ["input"] = [1, 576], ["state"] = [2, 1, 128] } };
        e = Assert.Throws<ImportException>(() => OnnxGraphImporter.Import(GraphFixtures.PathOf("vad"), noRate));
        Assert.Contains("(Equal) has a A computed at run time; FastRnn needs it known at convert time (fix the inputs it depends on with --fix", e.Message);

        var typo = new GraphImportOptions { Fixed = new Dictionary<string, double[]> { ["rate"] = [16000] } };
        e = Assert.Throws<ImportException>(() => OnnxGraphImporter.Import(GraphFixtures.PathOf("vad"), typo));
        Assert.Contains("--fix or --shape names 'rate', which is not a graph input (inputs: input, state, sr)", e.Message);
    }
}
