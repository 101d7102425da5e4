using FastRnn.Format;
using FastRnn.Layers;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Layers;

/// <summary>Models written to and read from .frnn files: memory-mapped loading and architecture validation.</summary>
public class RnnModelFileTests
{
    [Fact]
    public void Load_FromMemoryMappedFile_MatchesPyTorch()
    {
        var f = RnnFixture.Load("lstm_l2_bi_i13_h17_p5_b3_t100_given");
        string path = Path.Combine(Path.GetTempPath(), $"fastrnn-{Guid.NewGuid():N}.frnn");
        try
        {
            RnnModel.Save(f.Config, f.Parameters, path);
            var model = RnnModel.Load(path);
            Assert.Equal(f.Config, model.Config);
            using var session = model.CreateSession(f.Batch, f.Steps);
            f.ApplyInitialState(session);
            var output = new float[f.Output.Length];
            session.Run(f.Input, output);
            Compare.Close(f.Output, output, 2e-5, "output");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_WhenMetadataSaysBidirectionalButTensorsAreNot_NamesTheMissingTensor()
    {
        var f = RnnFixture.Load("lstm_l1_uni_i13_h17_b1_t100_zero");
        byte[] bytes = Rewrite(f, f.Config with { Bidirectional = true }, f.Parameters);
        var e = Assert.Throws<FrnnFormatException>(() => RnnModel.Load(bytes));
        Assert.Contains("weight_ih_l0_reverse", e.Message);
    }

    [Fact]
    public void Load_WhenMetadataSizeDisagreesWithATensor_NamesTensorAndShapes()
    {
        var f = RnnFixture.Load("gru_l1_uni_i13_h17_b1_t100_zero");
        byte[] bytes = Rewrite(f, f.Config with { InputSize = 12 }, f.Parameters);
        var e = Assert.Throws<FrnnFormatException>(() => RnnModel.Load(bytes));
        Assert.Contains("weight_ih_l0", e.Message);
        Assert.Contains("51, 12", e.Message);
    }

    [Fact]
    public void Load_WithAbsurdHiddenSize_NamesTheKey()
    {
        var writer = new FrnnWriter();
        writer.AddMetadata("fastrnn.architecture", "rnn");
        writer.AddMetadata("rnn.kind", "lstm");
        writer.AddMetadata("rnn.input_size", 3L);
        writer.AddMetadata("rnn.hidden_size", 1L << 40);
        var e = Assert.Throws<FrnnFormatException>(() => RnnModel.Load(writer.ToArray()));
        Assert.Contains("rnn.hidden_size", e.Message);
    }

    [Fact]
    public void Load_WithUnknownKind_NamesKeyAndValue()
    {
        var writer = new FrnnWriter();
        writer.AddMetadata("fastrnn.architecture", "rnn");
        writer.AddMetadata("rnn.kind", "transformer");
        var e = Assert.Throws<FrnnFormatException>(() => RnnModel.Load(writer.ToArray()));
        Assert.Contains("rnn.kind", e.Message);
        Assert.Contains("transformer", e.Message);
    }

    [Fact]
    public void Load_WithoutArchitectureMetadata_NamesTheKey()
    {
        var e = Assert.Throws<FrnnFormatException>(() => RnnModel.Load(new FrnnWriter().ToArray()));
        Assert.Contains("fastrnn.architecture", e.Message);
    }

    // Writes a file whose metadata says `declared` but whose tensors are those of the fixture, bypassing the
    // checks RnnModel.Save would make.
    [Theory]
    [InlineData(new[] { 4, 3, 16 }, "initial_h")]   // H_out is 17
    [InlineData(new[] { 2, 3 }, "initial_h")]       // not (L·D, B₀, H_out)
    public void Load_WhenTheInitialStateHasTheWrongShape_NamesIt(int[] shape, string tensor)
    {
        var f = RnnFixture.Load("gru_l2_bi_i8_h17_b3_t100_given_nobias");
        var writer = new FrnnWriter();
        byte[] valid = RnnModel.ToFrnn(f.Config, f.Parameters);
        using (var file = FrnnFile.Parse(valid))
        {
            foreach ((string key, object value) in file.Metadata)
                AddMetadata(writer, key, value);
            foreach (FrnnTensorInfo t in file.Tensors)
                writer.AddTensor(t.Name, t.Shape.ToArray(), file.GetFloat32(t.Name, t.Shape.ToArray()));
        }
        writer.AddTensor(tensor, shape, new float[shape.Aggregate(1, (a, b) => a * b)]);
        var e = Assert.Throws<FrnnFormatException>(() => RnnModel.Load(writer.ToArray()));
        Assert.Contains($"'{tensor}'", e.Message);
    }

    private static void AddMetadata(FrnnWriter writer, string key, object value)
    {
        switch (value)
        {
            case long l: writer.AddMetadata(key, l); break;
            case bool b: writer.AddMetadata(key, b); break;
            case string s: writer.AddMetadata(key, s); break;
            default: throw new InvalidOperationException($"metadata '{key}' of type {value.GetType()} is not copied here");
        }
    }

    private static byte[] Rewrite(RnnFixture f, RnnConfig declared, Dictionary<string, float[]> tensors)
    {
        var writer = new FrnnWriter();
        writer.AddMetadata("fastrnn.architecture", "rnn");
        writer.AddMetadata("rnn.kind", declared.Kind.ToString().ToLowerInvariant());
        writer.AddMetadata("rnn.input_size", (long)declared.InputSize);
        writer.AddMetadata("rnn.hidden_size", (long)declared.HiddenSize);
        writer.AddMetadata("rnn.num_layers", (long)declared.NumLayers);
        writer.AddMetadata("rnn.proj_size", (long)declared.ProjSize);
        writer.AddMetadata("rnn.bidirectional", declared.Bidirectional);
        writer.AddMetadata("rnn.bias", declared.HasBias);
        writer.AddMetadata("rnn.gru_reset_after", declared.GruResetAfter);
        writer.AddMetadata("rnn.nonlinearity", "tanh");
        foreach (var (name, (shape, data)) in f.File.Tensors.Where(t => tensors.ContainsKey(t.Key)))
            writer.AddTensor(name, shape, data);
        return writer.ToArray();
    }
}
