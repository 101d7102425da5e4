using System.Runtime.InteropServices;
using FastRnn.Import;
using FastRnn.Tests.Import;
using FastRnn.Tests.Onnx;
using FastRnn.Tests.Support;
using Onnx;

namespace FastRnn.Tests.Cli;

/// <summary>
/// <c>run --onnx-layout</c> and <c>--sequence-lengths</c>: ONNX fixtures converted with <c>convert</c> and run through
/// the CLI on ONNX Runtime's seeded inputs, in ONNX's own X, Y, Y_h, Y_c shapes, give ONNX Runtime's outputs.
/// </summary>
public class RunOnnxLayoutTests
{
    [Theory]
    [InlineData("lstm_seqlens_bidirectional", 0, "<i8")] // sequence_lens, initial_h and initial_c as inputs
    [InlineData("gru_seqlens_reverse", 0, "<i4")]
    [InlineData("lstm_layout1", 1, "")]                 // batch-major X, Y and states
    [InlineData("gru_layout1", 1, "")]
    [InlineData("lstm_initial_const", 0, "")]           // constant initial_h / initial_c: no --h0, --c0
    [InlineData("rnn_seqlens_const", 0, "")]            // constant sequence_lens: no --sequence-lengths
    public void Run_InOnnxLayout_MatchesOnnxRuntime(string name, int layout, string lengthsDtype)
        => AssertRunMatchesOnnxRuntime(OnnxParityRun.Prepare(name), layout, lengthsDtype);

    [Fact]
    public void Run_WithH0Only_KeepsTheModelsConstantInitialCell()
    {
        // lstm_initial_const with initial_h made a graph input: the .frnn keeps the constant initial_c, and --h0 sets h.
        ModelProto graph = OnnxModels.Load("lstm_initial_const");
        string h = graph.Graph.Node.Single(n => n.OpType == "LSTM").Input[5];
        TensorProto constant = graph.Graph.Initializer.Single(t => t.Name == h);
        graph.Graph.Initializer.Remove(constant);
        var type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = constant.DataType, Shape = new TensorShapeProto() } };
        foreach (long d in constant.Dims)
            type.TensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        graph.Graph.Input.Add(new ValueInfoProto { Name = h, Type = type });
        using var onnx = ImportTemp.With(".onnx", OnnxModels.Bytes(graph));
        var run = OnnxParityRun.Prepare("lstm_initial_const", onnx.Path);
        Assert.NotNull(run.Result.InitialHiddenInput);
        Assert.NotNull(run.Result.InitialCell);
        AssertRunMatchesOnnxRuntime(run, 0, "");
    }

    private static void AssertRunMatchesOnnxRuntime(OnnxParityRun run, int layout, string lengthsDtype)
    {
        string name = run.Name;
        Dictionary<string, (float[] Data, long[] Shape)> expected = run.RunOnnxRuntime();
        using var dir = new TempDirectory();
        string model = dir.File("model.frnn");
        CliHarness.Run("convert", run.Path, "-o", model).Succeeded();

        var args = new List<string> { "run", model, "--onnx-layout", $"{layout}", "-o", dir.File("y.npy") };
        foreach ((OnnxGraphValue v, OnnxRuntimeOracle.Feed f) in run.Result.Inputs.Zip(run.Feeds))
        {
            int[] shape = f.Shape.Select(d => (int)d).ToArray();
            string file = dir.File(v.Name + ".npy");
            if (v.Role == OnnxValueRole.SequenceLengths)
                File.WriteAllBytes(file, IntNpy(lengthsDtype, f.Ints!));
            else
                CliHarness.WriteNpy(file, shape, f.Floats!);
            args.AddRange(v.Role switch
            {
                OnnxValueRole.Sequence => ["-i", file],
                OnnxValueRole.Hidden => ["--h0", file],
                OnnxValueRole.Cell => ["--c0", file],
                _ => ["--sequence-lengths", file],
            });
        }
        var outputs = new Dictionary<string, string> { ["Y"] = dir.File("y.npy") };
        foreach (OnnxGraphValue o in run.Result.Outputs.Where(o => o.Role != OnnxValueRole.Sequence))
        {
            string option = o.Role == OnnxValueRole.Hidden ? "--hn" : "--cn";
            outputs[o.Name] = dir.File(o.Name + ".npy");
            args.AddRange([option, outputs[o.Name]]);
        }
        CliHarness.Run([.. args]).Succeeded();

        foreach ((string output, string file) in outputs)
        {
            var (shape, data) = CliHarness.ReadNpy(file);
            Assert.Equal(expected[output].Shape, shape.Select(d => (long)d).ToArray());
            Compare.Close(expected[output].Data, data, OnnxParityRun.Tolerance, $"{name}: {output}");
        }
    }

    [Fact]
    public void Run_SequenceLengths_InPyTorchLayout_ZeroTheTailAndKeepEachStreamsFinalState()
    {
        // Against separate full-length runs of each stream's prefix: a stream of length n is that stream run for n steps.
        var f = RnnFixture.Load("gru_l1_uni_i13_h17_b3_t100_given");
        using var dir = new TempDirectory();
        string model = dir.File("model.frnn");
        RnnModel.Save(f.Config, f.Parameters, model);
        RnnConfig c = f.Config;
        int[] lengths = [100, 37, 0];
        string x = dir.File("x.npy"), y = dir.File("y.npy"), hn = dir.File("hn.npy"), lens = dir.File("lens.npy");
        CliHarness.WriteNpy(x, [f.Steps, f.Batch, c.InputSize], f.Input);
        File.WriteAllBytes(lens, IntNpy("<i4", lengths));
        CliHarness.Run("run", model, "-i", x, "-o", y, "--hn", hn, "--sequence-lengths", lens).Succeeded();

        float[] yAll = CliHarness.ReadNpy(y).Data, hAll = CliHarness.ReadNpy(hn).Data;
        RnnModel reference = RnnModel.FromPyTorch(c, f.Parameters);
        for (int b = 0; b < f.Batch; b++)
        {
            using RnnSession one = reference.CreateSession(1, f.Steps);
            var step = new float[c.OutputSize];
            for (int t = 0; t < f.Steps; t++)
            {
                float[] expected = t < lengths[b] ? Step(one, f.Input.AsSpan((t * f.Batch + b) * c.InputSize, c.InputSize), step) : new float[c.OutputSize];
                Compare.Close(expected, yAll.AsSpan((t * f.Batch + b) * c.OutputSize, c.OutputSize).ToArray(), 1e-6, $"y[{t}, {b}]");
            }
            Compare.Close(one.HiddenState.ToArray(), hAll.AsSpan(b * c.HiddenSize, c.HiddenSize).ToArray(), 1e-6, $"hn[{b}]");
        }
    }

    [Theory]
    [InlineData("lens_shape", "expected (3) = (B)")]
    [InlineData("lens_long", "stream 1 has length 101; expected 0..100")]
    [InlineData("lens_float", "expected int32 ('<i4') or int64 ('<i8')")]
    [InlineData("lens_huge", "does not fit in 32 bits")]
    [InlineData("x_layout", "expected ONNX X of layout 0: (T, B, I)")]
    public void Run_WithBadLengthsOrShapes_FailsNamingTheOption(string problem, string message)
    {
        var f = RnnFixture.Load("gru_l1_uni_i13_h17_b3_t100_given");
        using var dir = new TempDirectory();
        string model = dir.File("model.frnn");
        RnnModel.Save(f.Config, f.Parameters, model);
        string x = dir.File("x.npy"), lens = dir.File("lens.npy");
        CliHarness.WriteNpy(x, problem == "x_layout" ? [f.Steps * f.Batch, f.Config.InputSize] : [f.Steps, f.Batch, f.Config.InputSize], f.Input);
        File.WriteAllBytes(lens, problem switch
        {
            "lens_shape" => IntNpy("<i4", [1, 2]),
            "lens_long" => IntNpy("<i4", [1, 101, 2]),
            "lens_float" => CliHarness.RawNpy("<f4", false, [3], new byte[12]),
            "lens_huge" => CliHarness.RawNpy("<i8", false, [3], MemoryMarshal.AsBytes<long>([1, 1L << 40, 2]).ToArray()),
            _ => IntNpy("<i4", [1, 2, 3]),
        });
        string[] layout = problem == "x_layout" ? ["--onnx-layout", "0"] : [];
        CliResult result = CliHarness.Run(["run", model, "-i", x, "-o", dir.File("y.npy"), "--sequence-lengths", lens, .. layout]);
        result.Failed(2, problem == "x_layout" ? "--input: " : "--sequence-lengths: ");
        Assert.Contains(message, result.Error);
    }

    [Fact]
    public void Run_ShorterThanTheModelsConstantLengths_FailsNamingThem()
    {
        using var dir = new TempDirectory();
        string model = dir.File("model.frnn"), x = dir.File("x.npy");
        CliHarness.Run("convert", OnnxFixtures.PathOf("rnn_seqlens_const"), "-o", model).Succeeded(); // lengths [5, 2, 3]
        CliHarness.WriteNpy(x, [4, 3, 4], new float[4 * 3 * 4]);
        CliHarness.Run("run", model, "-i", x, "-o", dir.File("y.npy")).Failed(2, "constant sequence lengths reach 5");
    }

    [Fact]
    public void Run_WithBatchFirstAndOnnxLayout_IsAUsageError()
    {
        var f = RnnFixture.Load("gru_l1_uni_i13_h17_b3_t100_given");
        using var dir = new TempDirectory();
        string model = dir.File("model.frnn"), x = dir.File("x.npy");
        RnnModel.Save(f.Config, f.Parameters, model);
        CliHarness.WriteNpy(x, [f.Steps, f.Batch, f.Config.InputSize], f.Input);
        CliHarness.Run("run", model, "-i", x, "-o", dir.File("y.npy"), "--batch-first", "--onnx-layout", "1").Failed(1, "--batch-first and --onnx-layout");
    }

    private static float[] Step(RnnSession session, ReadOnlySpan<float> frame, float[] output)
    {
        session.Step(frame, output);
        return [.. output];
    }

    private static byte[] IntNpy(string dtype, int[] values) => dtype == "<i4"
        ? CliHarness.RawNpy("<i4", false, [values.Length], MemoryMarshal.AsBytes(values.AsSpan()).ToArray())
        : CliHarness.RawNpy("<i8", false, [values.Length], MemoryMarshal.AsBytes(values.Select(v => (long)v).ToArray().AsSpan()).ToArray());
}
