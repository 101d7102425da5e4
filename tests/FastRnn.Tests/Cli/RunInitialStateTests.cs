using FastRnn.Layers;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Cli;

/// <summary><c>run</c> with h0/c0 from PyTorch parity cases whose initial state is given.</summary>
public class RunInitialStateTests
{
    private const double Tolerance = 2e-5;

    [Theory]
    [InlineData("lstm_l2_bi_i13_h17_p5_b3_t100_given")]
    [InlineData("lstm_l3_uni_i3_h8_b1_t100_given")]
    [InlineData("gru_resetbefore_l2_bi_i8_h17_b3_t100_given_nobias")]
    [InlineData("rnn_tanh_l2_bi_i13_h16_b3_t100_given")]
    public void Run_WithH0AndC0_MatchesPyTorch(string name)
    {
        using var dir = new TempDirectory();
        string model = dir.File("model.frnn");
        RnnFixture f = CliModels.SaveRnnFixture(name, model);
        RnnConfig c = f.Config;
        bool lstm = c.Kind == RecurrentKind.Lstm;
        int layers = c.NumLayers * c.Directions;
        string x = dir.File("x.npy"), y = dir.File("y.npy"), h0 = dir.File("h0.npy"), c0 = dir.File("c0.npy"), hn = dir.File("hn.npy"), cn = dir.File("cn.npy");
        CliHarness.WriteNpy(x, [f.Steps, f.Batch, c.InputSize], f.Input);
        CliHarness.WriteNpy(h0, [layers, f.Batch, c.OutputHiddenSize], f.InitialHidden);
        if (lstm)
            CliHarness.WriteNpy(c0, [layers, f.Batch, c.HiddenSize], f.InitialCell);

        string[] args = ["run", model, "-i", x, "-o", y, "--h0", h0, "--hn", hn, .. lstm ? new[] { "--c0", c0, "--cn", cn } : []];
        CliHarness.Run(args).Succeeded();

        Compare.Close(f.Output, CliHarness.ReadNpy(y).Data, Tolerance, $"{name} y");
        Compare.Close(f.FinalHidden, CliHarness.ReadNpy(hn).Data, Tolerance, $"{name} hn");
        if (lstm)
            Compare.Close(f.FinalCell, CliHarness.ReadNpy(cn).Data, Tolerance, $"{name} cn");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Run_TwoDimensionalInput_AcceptsUnbatchedAndBatchedStates(bool unbatchedStates)
    {
        const string name = "lstm_l1_uni_i1_h1_b1_t128_given";
        using var dir = new TempDirectory();
        string model = dir.File("model.frnn");
        RnnFixture f = CliModels.SaveRnnFixture(name, model);
        RnnConfig c = f.Config;
        Assert.Equal(1, f.Batch);
        string x = dir.File("x.npy"), y = dir.File("y.npy"), h0 = dir.File("h0.npy"), c0 = dir.File("c0.npy"), hn = dir.File("hn.npy"), cn = dir.File("cn.npy");
        CliHarness.WriteNpy(x, [f.Steps, c.InputSize], f.Input);
        CliHarness.WriteNpy(h0, unbatchedStates ? [c.NumLayers, c.OutputHiddenSize] : [c.NumLayers, 1, c.OutputHiddenSize], f.InitialHidden);
        CliHarness.WriteNpy(c0, unbatchedStates ? [c.NumLayers, c.HiddenSize] : [c.NumLayers, 1, c.HiddenSize], f.InitialCell);

        CliHarness.Run("run", model, "-i", x, "-o", y, "--h0", h0, "--c0", c0, "--hn", hn, "--cn", cn).Succeeded();

        var (yShape, yData) = CliHarness.ReadNpy(y);
        Assert.Equal([f.Steps, c.OutputSize], yShape);
        Compare.Close(f.Output, yData, Tolerance, $"{name} y");
        var (hShape, hData) = CliHarness.ReadNpy(hn);
        Assert.Equal([c.NumLayers, c.OutputHiddenSize], hShape); // as PyTorch returns for an unbatched input
        Compare.Close(f.FinalHidden, hData, Tolerance, $"{name} hn");
        Compare.Close(f.FinalCell, CliHarness.ReadNpy(cn).Data, Tolerance, $"{name} cn");
    }
}
