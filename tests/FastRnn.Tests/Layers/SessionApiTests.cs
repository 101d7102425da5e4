using FastRnn.Layers;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Layers;

/// <summary>Wrong lengths, disposed sessions, bad configurations and state save/restore.</summary>
public class SessionApiTests
{
    private static RnnFixture Lstm => RnnFixture.Load("lstm_l2_uni_i13_h16_b3_t100_given");

    [Fact]
    public void Step_WithWrongInputLength_NamesInputAndExpectedShape()
    {
        using var session = Model(Lstm).CreateSession(batchSize: 3);
        var e = Assert.Throws<ArgumentException>(() => session.Step(new float[3 * 13 - 1], new float[3 * 16]));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("(B, I) = (3, 13)", e.Message);
        Assert.Contains("38", e.Message);
    }

    [Fact]
    public void Step_WithWrongOutputLength_NamesOutput()
    {
        using var session = Model(Lstm).CreateSession(batchSize: 3);
        var e = Assert.Throws<ArgumentException>(() => session.Step(new float[3 * 13], new float[3 * 16 + 1]));
        Assert.Equal("output", e.ParamName);
        Assert.Contains("(B, H_out) = (3, 16)", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(13 * 3 * 2 + 1)]
    public void Run_WithPartialOrEmptyInput_Throws(int length)
    {
        using var session = Model(Lstm).CreateSession(batchSize: 3);
        var e = Assert.Throws<ArgumentException>(() => session.Run(new float[length], new float[16 * 3 * 2]));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("time steps of 39 floats", e.Message);
    }

    [Fact]
    public void Run_WithOutputForOtherLength_Throws()
    {
        using var session = Model(Lstm).CreateSession(batchSize: 3);
        var e = Assert.Throws<ArgumentException>(() => session.Run(new float[39 * 4], new float[48 * 5]));
        Assert.Equal("output", e.ParamName);
        Assert.Contains("(T, B, D·H_out) = (4, 3, 16)", e.Message);
    }

    [Fact]
    public void SetState_WithWrongLengths_NamesTheState()
    {
        using var session = Model(Lstm).CreateSession(batchSize: 3);
        var e = Assert.Throws<ArgumentException>(() => session.SetState(new float[2 * 3 * 16], new float[5]));
        Assert.Equal("cell", e.ParamName);
        var gru = RnnFixture.Load("gru_l1_uni_i13_h17_b3_t100_given");
        using var gruSession = Model(gru).CreateSession(batchSize: 3);
        e = Assert.Throws<ArgumentException>(() => gruSession.SetState(new float[3 * 17], new float[3 * 17]));
        Assert.Contains("no cell state", e.Message);
    }

    [Fact]
    public void EveryCall_AfterDispose_ThrowsObjectDisposed()
    {
        var session = Model(Lstm).CreateSession(batchSize: 3);
        session.Dispose();
        Assert.Throws<ObjectDisposedException>(() => session.Step(new float[39], new float[48]));
        Assert.Throws<ObjectDisposedException>(() => session.Run(new float[39], new float[48]));
        Assert.Throws<ObjectDisposedException>(() => session.Reset());
        Assert.Throws<ObjectDisposedException>(() => session.HiddenState.Length);
        Assert.Throws<ObjectDisposedException>(() => session.GetState(new float[96], new float[96]));
    }

    [Fact]
    public void PausedAndResumedStream_ContinuesExactlyWhereItStopped()
    {
        var f = Lstm;
        var model = Model(f);
        int inWidth = 3 * 13, outWidth = 3 * 16, half = f.Steps / 2;
        using var first = model.CreateSession(batchSize: 3);
        f.ApplyInitialState(first);
        var firstHalf = new float[half * outWidth];
        first.Run(f.Input.AsSpan(0, half * inWidth), firstHalf);
        var h = new float[first.HiddenStateLength];
        var c = new float[first.CellStateLength];
        first.GetState(h, c);
        first.Dispose();

        using var resumed = model.CreateSession(batchSize: 3);
        resumed.SetState(h, c);
        var secondHalf = new float[(f.Steps - half) * outWidth];
        resumed.Run(f.Input.AsSpan(half * inWidth), secondHalf);

        Compare.Close(f.Output.AsSpan(half * outWidth), secondHalf, 2e-5, "resumed output");
        Compare.Close(f.FinalHidden, resumed.HiddenState, 2e-5, "resumed h_n");
    }

    [Fact]
    public void Reset_ReturnsToTheZeroState()
    {
        var f = RnnFixture.Load("lstm_l1_uni_i13_h17_b1_t100_zero");
        using var session = Model(f).CreateSession();
        var output = new float[f.Output.Length];
        session.Run(f.Input, output);
        session.Reset();
        Assert.All(session.HiddenState.ToArray(), v => Assert.Equal(0f, v));
        session.Run(f.Input, output);
        Compare.Close(f.Output, output, 2e-5, "output after Reset");
    }

    [Fact]
    public void FromPyTorch_WithMissingTensor_NamesIt()
    {
        var f = Lstm;
        var parameters = f.Parameters;
        parameters.Remove("weight_hh_l1");
        var e = Assert.Throws<ArgumentException>(() => RnnModel.FromPyTorch(f.Config, parameters));
        Assert.Contains("weight_hh_l1", e.Message);
    }

    [Fact]
    public void FromPyTorch_WithWrongSizedTensor_NamesItAndTheShape()
    {
        var f = Lstm;
        var parameters = f.Parameters;
        parameters["bias_ih_l0"] = new float[63];
        var e = Assert.Throws<ArgumentException>(() => RnnModel.FromPyTorch(f.Config, parameters));
        Assert.Contains("bias_ih_l0", e.Message);
        Assert.Contains("(64)", e.Message);
    }

    [Fact]
    public void FromPyTorch_WithTensorsOfABiggerModel_RejectsTheUnusedOnes()
    {
        var f = Lstm;
        var e = Assert.Throws<ArgumentException>(() => RnnModel.FromPyTorch(f.Config with { NumLayers = 1 }, f.Parameters));
        Assert.Contains("_l1", e.Message);
    }

    [Theory]
    [InlineData(0, 5, 1, 0)]
    [InlineData(3, 0, 1, 0)]
    [InlineData(3, 5, 0, 0)]
    [InlineData(3, 5, 1, 5)]
    [InlineData(3, 5, 1, -1)]
    public void Validate_RejectsImpossibleConfigurations(int input, int hidden, int layers, int proj)
    {
        var config = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = input, HiddenSize = hidden, NumLayers = layers, ProjSize = proj };
        Assert.Throws<ArgumentException>(config.Validate);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void CreateSession_WithNonPositiveBatch_Throws(int batch)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Model(Lstm).CreateSession(batch));
        Assert.Equal("batchSize", e.ParamName);
    }

    private static RnnModel Model(RnnFixture f) => RnnModel.FromPyTorch(f.Config, f.Parameters);
}
