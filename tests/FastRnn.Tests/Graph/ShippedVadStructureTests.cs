using FastRnn.Cli;
using FastRnn.Graph;

namespace FastRnn.Tests.Graph;

/// <summary>
/// weights/vad-structure.frnn is the VAD fixture (tools/gen_graph_fixtures.py, random weights) converted with
/// <c>fastrnn convert vad.onnx --fix sr=16000 --shape input=1x576 --shape state=2x1x128</c>, byte for byte.
/// </summary>
public class ShippedVadStructureTests
{
    [Fact]
    public void ShippedFile_IsTheConversionOfTheFixture()
    {
        byte[] shipped = File.ReadAllBytes(ShippedModels.Find("vad-structure.frnn"));
        Assert.Equal(GraphFixtures.Load("vad").ToFrnn(), shipped);
        GraphModel model = GraphModel.Load(shipped);
        Assert.Equal(["input", "state"], model.Inputs.Select(i => i.Name));
        Assert.Equal(new GraphStatePair("state", "stateN"), Assert.Single(model.States));
    }
}
