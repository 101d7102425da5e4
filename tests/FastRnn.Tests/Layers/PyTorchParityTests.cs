using FastRnn.Layers;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Layers;

/// <summary>
/// Every case in Fixtures/rnn (made by tools/gen_rnn_fixtures.py with PyTorch, in float64) must be reproduced by the
/// float32 engine within 2e-5 absolute: outputs at every step and the final states.
/// </summary>
public class PyTorchParityTests
{
    private const double Tolerance = 2e-5;

    public static IEnumerable<object[]> Cases() => RnnFixture.All();

    public static IEnumerable<object[]> UnidirectionalCases() => RnnFixture.All().Where(c => !RnnFixture.Load((string)c[0]).Config.Bidirectional);

    public static IEnumerable<object[]> BidirectionalCases() => RnnFixture.All().Where(c => RnnFixture.Load((string)c[0]).Config.Bidirectional);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Run_OfModelLoadedFromFrnn_MatchesPyTorch(string name)
    {
        // Through the file format: PyTorch tensors -> .frnn bytes -> validated, repacked model.
        var f = RnnFixture.Load(name);
        var model = RnnModel.Load(RnnModel.ToFrnn(f.Config, f.Parameters));
        using var session = model.CreateSession(f.Batch, maxSequenceLength: f.Steps);
        f.ApplyInitialState(session);

        var output = new float[f.Output.Length];
        session.Run(f.Input, output);

        Compare.Close(f.Output, output, Tolerance, $"{name} output");
        Compare.Close(f.FinalHidden, session.HiddenState, Tolerance, $"{name} h_n");
        Compare.Close(f.FinalCell, session.CellState, Tolerance, $"{name} c_n");
    }

    [Theory]
    [MemberData(nameof(BidirectionalCases))]
    public void Run_BidirectionalLongerThanMaxSequenceLength_ThrowsInsteadOfChunking(string name)
    {
        // The backward direction starts at the end of the sequence, so it cannot be run in pieces.
        var f = RnnFixture.Load(name);
        using var session = RnnModel.FromPyTorch(f.Config, f.Parameters).CreateSession(f.Batch, maxSequenceLength: f.Steps - 1);
        var e = Assert.Throws<ArgumentException>(() => session.Run(f.Input, new float[f.Output.Length]));
        Assert.Contains("MaxSequenceLength", e.Message);
    }

    [Theory]
    [MemberData(nameof(BidirectionalCases))]
    public void Step_OnBidirectionalModel_Throws(string name)
    {
        var f = RnnFixture.Load(name);
        using var session = RnnModel.FromPyTorch(f.Config, f.Parameters).CreateSession(f.Batch);
        var e = Assert.Throws<InvalidOperationException>(() => session.Step(new float[session.InputLength], new float[session.OutputLength]));
        Assert.Contains("bidirectional", e.Message);
    }

    [Theory]
    [MemberData(nameof(UnidirectionalCases))]
    public void Run_InPiecesShorterThanTheSequence_MatchesPyTorch(string name)
    {
        var f = RnnFixture.Load(name);
        using var session = RnnModel.FromPyTorch(f.Config, f.Parameters).CreateSession(f.Batch, maxSequenceLength: 7);
        f.ApplyInitialState(session);
        var output = new float[f.Output.Length];
        session.Run(f.Input, output);
        Compare.Close(f.Output, output, Tolerance, $"{name} output");
        Compare.Close(f.FinalHidden, session.HiddenState, Tolerance, $"{name} h_n");
    }

    [Theory]
    [MemberData(nameof(UnidirectionalCases))]
    public void StepByStep_MatchesPyTorch(string name)
    {
        var f = RnnFixture.Load(name);
        using var session = RnnModel.FromPyTorch(f.Config, f.Parameters).CreateSession(f.Batch);
        f.ApplyInitialState(session);

        int inWidth = f.Batch * f.Config.InputSize, outWidth = f.Batch * f.Config.OutputSize;
        var y = new float[outWidth];
        for (int t = 0; t < f.Steps; t++)
        {
            session.Step(f.Input.AsSpan(t * inWidth, inWidth), y);
            Compare.Close(f.Output.AsSpan(t * outWidth, outWidth), y, Tolerance, $"{name} step {t}");
        }
        Compare.Close(f.FinalHidden, session.HiddenState, Tolerance, $"{name} h_n");
        Compare.Close(f.FinalCell, session.CellState, Tolerance, $"{name} c_n");
    }
}
