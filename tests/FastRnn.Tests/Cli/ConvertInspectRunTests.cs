using System.Text.Json;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Cli;

/// <summary>
/// The tool end to end on PyTorch and Keras weights: convert, inspect, then run the golden input and compare y, hn and
/// cn with PyTorch's float64 results.
/// </summary>
public class ConvertInspectRunTests
{
    private const double Tolerance = 2e-5;

    public static IEnumerable<object[]> Cases() => CliModels.ImportCases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConvertInspectRun_MatchesPyTorch(string name)
    {
        using var dir = new TempDirectory();
        SafetensorsFile golden = CliModels.Golden(name);
        var m = golden.Metadata;
        string model = dir.File("model.frnn");

        CliResult convert = CliModels.Convert(name, model);
        // A plain RNN's nonlinearity is not in its weights: without the option the converter says it assumed tanh.
        if (m["kind"] == "rnn" && !m.ContainsKey("option_nonlinearity"))
            convert.SucceededWithWarning("assumed the RNN's nonlinearity is tanh");
        else
            convert.Succeeded();
        Assert.StartsWith($"wrote {model}: ", convert.Out);
        Assert.Single(convert.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        CliResult text = CliHarness.Run("inspect", model).Succeeded();
        Assert.Contains("checksum verified", text.Out);
        Assert.Contains($"-layer {(m["bidirectional"] == "true" ? "bidirectional " : "")}{m["kind"].ToUpperInvariant()}, input {m["input_size"]}, hidden {m["hidden_size"]}", text.Out);

        using (JsonDocument json = JsonDocument.Parse(CliHarness.Run("inspect", model, "--json").Succeeded().Out))
        {
            JsonElement root = json.RootElement;
            Assert.Equal("verified", root.GetProperty("checksum").GetString());
            JsonElement arch = root.GetProperty("architecture");
            Assert.Equal(m["kind"], arch.GetProperty("kind").GetString());
            Assert.Equal(int.Parse(m["input_size"]), arch.GetProperty("input_size").GetInt32());
            Assert.Equal(int.Parse(m["hidden_size"]), arch.GetProperty("hidden_size").GetInt32());
            Assert.Equal(int.Parse(m["num_layers"]), arch.GetProperty("num_layers").GetInt32());
            Assert.Equal(int.Parse(m["proj_size"]), arch.GetProperty("proj_size").GetInt32());
            Assert.Equal(m["bidirectional"] == "true", arch.GetProperty("bidirectional").GetBoolean());
            Assert.Equal(m["bias"] == "true", arch.GetProperty("bias").GetBoolean());
            JsonElement[] tensors = [.. root.GetProperty("tensors").EnumerateArray()];
            Assert.NotEmpty(tensors);
            foreach (JsonElement t in tensors)
            {
                Assert.Matches("^(weight|bias)_", t.GetProperty("name").GetString());
                Assert.Equal("float32", t.GetProperty("dtype").GetString());
                long elements = t.GetProperty("shape").EnumerateArray().Aggregate(1L, (p, d) => p * d.GetInt32());
                Assert.Equal(elements * 4, t.GetProperty("bytes").GetInt64());
            }
        }

        bool lstm = golden.Has("cn");
        string x = dir.File("x.npy"), y = dir.File("y.npy"), hn = dir.File("hn.npy"), cn = dir.File("cn.npy");
        CliHarness.WriteNpy(x, golden.Tensors["input"].Shape, golden["input"]);
        string[] args = ["run", model, "--input", x, "--output", y, "--hn", hn, .. lstm ? new[] { "--cn", cn } : []];
        CliResult run = CliHarness.Run(args).Succeeded();
        Assert.StartsWith("ran 9 step(s) of 2 stream(s)", run.Out);

        AssertArray(golden, "output", y);
        AssertArray(golden, "hn", hn);
        if (lstm)
            AssertArray(golden, "cn", cn);
    }

    [Theory]
    [InlineData("pt_lstm_l2_bi_proj")]
    [InlineData("pt_gru_l2_prefix")]
    [InlineData("keras_lstm_l2")]
    public void Run_BatchFirst_MatchesPyTorchTransposed(string name)
    {
        using var dir = new TempDirectory();
        SafetensorsFile golden = CliModels.Golden(name);
        string model = dir.File("model.frnn");
        CliModels.Convert(name, model).Succeeded();
        int[] shape = golden.Tensors["input"].Shape; // (T, B, I)
        int steps = shape[0], batch = shape[1];
        string x = dir.File("x.npy"), y = dir.File("y.npy"), hn = dir.File("hn.npy");
        CliHarness.WriteNpy(x, [batch, steps, shape[2]], CliHarness.SwapLeadingAxes(golden["input"], steps, batch));

        CliHarness.Run("run", model, "--input", x, "--output", y, "--hn", hn, "--batch-first").Succeeded();

        var (yShape, yData) = CliHarness.ReadNpy(y);
        int[] expectedShape = golden.Tensors["output"].Shape;
        Assert.Equal([batch, steps, expectedShape[2]], yShape);
        Compare.Close(golden["output"], CliHarness.SwapLeadingAxes(yData, batch, steps), Tolerance, $"{name} y (batch first)");
        AssertArray(golden, "hn", hn); // states keep (L·D, B, H_out) with batch_first
    }

    [Theory]
    [InlineData("pt_lstm_l2_bi_proj")]
    [InlineData("pt_rnn_relu_l2_bf16")]
    public void Run_TwoDimensionalInput_IsOneStreamWithUnbatchedStates(string name)
    {
        using var dir = new TempDirectory();
        SafetensorsFile golden = CliModels.Golden(name);
        string model = dir.File("model.frnn");
        CliModels.Convert(name, model).Succeeded();
        int[] shape = golden.Tensors["input"].Shape;
        int steps = shape[0], batch = shape[1];
        string x = dir.File("x.npy"), y = dir.File("y.npy"), hn = dir.File("hn.npy");
        // Streams are independent, so stream 0 alone must give stream 0 of the golden batch.
        CliHarness.WriteNpy(x, [steps, shape[2]], CliHarness.Slice(golden["input"], steps, batch, 0));

        CliHarness.Run("run", model, "--input", x, "--output", y, "--hn", hn).Succeeded();

        var (yShape, yData) = CliHarness.ReadNpy(y);
        int width = golden.Tensors["output"].Shape[2];
        Assert.Equal([steps, width], yShape);
        Compare.Close(CliHarness.Slice(golden["output"], steps, batch, 0), yData, Tolerance, $"{name} y (2-D)");
        var (hShape, hData) = CliHarness.ReadNpy(hn);
        int[] goldenH = golden.Tensors["hn"].Shape;
        Assert.Equal([goldenH[0], goldenH[2]], hShape);
        Compare.Close(CliHarness.Slice(golden["hn"], goldenH[0], batch, 0), hData, Tolerance, $"{name} hn (2-D)");
    }

    private static void AssertArray(SafetensorsFile golden, string tensor, string path)
    {
        var (shape, data) = CliHarness.ReadNpy(path);
        Assert.Equal(golden.Tensors[tensor].Shape, shape);
        Compare.Close(golden[tensor], data, Tolerance, $"{Path.GetFileName(path)} vs golden {tensor}");
    }
}
