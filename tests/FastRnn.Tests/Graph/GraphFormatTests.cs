using FastRnn.Format;
using FastRnn.Graph;

namespace FastRnn.Tests.Graph;

/// <summary>
/// The .frnn <c>graph</c> schema: a saved model loads back to the same bytes, and a file whose metadata or tensors
/// were changed is refused with a <see cref="FrnnFormatException"/> naming the key, node or tensor.
/// </summary>
public class GraphFormatTests
{
    private static readonly byte[] Kws = GraphFixtures.Load("kws_crnn").ToFrnn();

    [Theory]
    [InlineData("text_classifier")]
    [InlineData("kws_crnn")]
    [InlineData("vad")]
    public void SaveThenLoad_GivesTheSameBytes(string name)
    {
        byte[] bytes = GraphFixtures.Load(name).ToFrnn();
        Assert.Equal(bytes, GraphModel.Load(bytes).ToFrnn());
    }

    /// <summary>The file rewritten with <paramref name="edit"/> applied to its metadata (in order) and its tensors.</summary>
    private static byte[] Rewrite(Action<List<KeyValuePair<string, object>>> edit, Func<string, int[], float[], (int[], float[])?>? tensor = null)
    {
        using FrnnFile file = FrnnFile.Parse(Kws);
        var entries = file.Metadata.ToList();
        edit(entries);
        var writer = new FrnnWriter();
        foreach ((string key, object value) in entries)
        {
            switch (value)
            {
                case long l: writer.AddMetadata(key, l); break;
                case double d: writer.AddMetadata(key, d); break;
                case string s: writer.AddMetadata(key, s); break;
                case bool b: writer.AddMetadata(key, b); break;
                case IReadOnlyList<long> ls: writer.AddMetadata(key, ls.ToArray()); break;
                case IReadOnlyList<string> ss: writer.AddMetadata(key, ss.ToArray()); break;
            }
        }
        foreach (FrnnTensorInfo t in file.Tensors)
        {
            (int[] shape, float[] data) = tensor?.Invoke(t.Name, [.. t.Shape], file.GetFloat32(t.Name).ToArray()) ?? ([.. t.Shape], file.GetFloat32(t.Name).ToArray());
            writer.AddTensor(t.Name, shape, data);
        }
        return writer.ToArray();
    }

    private static void Set(List<KeyValuePair<string, object>> entries, string key, object value)
    {
        int i = entries.FindIndex(e => e.Key == key);
        Assert.True(i >= 0, $"the fixture has no key {key}");
        entries[i] = new(key, value);
    }

    private static string Refusal(byte[] bytes) => Assert.Throws<FrnnFormatException>(() => GraphModel.Load(bytes)).Message;

    [Fact]
    public void Load_RefusesAnotherVersion()
        => Assert.Contains("metadata 'graph.version': expected 1, actual 2", Refusal(Rewrite(m => Set(m, "graph.version", 2L))));

    [Fact]
    public void Load_RefusesAnUnknownOperator()
        => Assert.Contains("metadata 'graph.node.0.op': is \"conv2d\"", Refusal(Rewrite(m => Set(m, "graph.node.0.op", "conv2d"))));

    [Fact]
    public void Load_RefusesADimensionOfZero()
        => Assert.Contains("metadata 'graph.shapes'", Refusal(Rewrite(m => Set(m, "graph.shapes", ((IReadOnlyList<long>)m.First(e => e.Key == "graph.shapes").Value).Select((d, i) => i == 1 ? 0L : d).ToArray()))));

    [Fact]
    public void Load_RefusesAValueTooLargeToAllocate_BeforeAllocatingIt()
        => Assert.Contains("more than 67108864 elements", Refusal(Rewrite(m =>
        {
            // The first value is the input (1, 40, 50): claim (1, 40, 16777216) instead.
            long[] shapes = [.. (IReadOnlyList<long>)m.First(e => e.Key == "graph.shapes").Value];
            shapes[3] = 1 << 24;
            Set(m, "graph.shapes", shapes);
        })));

    [Fact]
    public void Load_RefusesAnAttributeThatWouldWrapAround()
        => Assert.Contains("has stride 4294967297", Refusal(Rewrite(m => Set(m, "graph.node.0.stride", (1L << 32) + 1))));

    [Fact]
    public void Load_RefusesAnInputNamingNoValue()
        => Assert.Contains("metadata 'graph.inputs': names 'audio'", Refusal(Rewrite(m => Set(m, "graph.inputs", new[] { "audio" }))));

    [Fact]
    public void Load_RefusesAMissingRequiredAttribute()
        => Assert.Contains("lacks attribute 'stride'", Refusal(Rewrite(m => m.RemoveAll(e => e.Key == "graph.node.0.stride"))));

    [Fact]
    public void Load_RefusesAnAttributeTheOperatorDoesNotTake()
        => Assert.Contains("metadata 'graph.node.0.alpha': is not an attribute of conv1d", Refusal(Rewrite(m => m.Add(new("graph.node.0.alpha", 0.5)))));

    [Fact]
    public void Load_RefusesAnAttributeOfTheWrongType()
        => Assert.Contains("graph.node.0.stride", Refusal(Rewrite(m => Set(m, "graph.node.0.stride", 2.0))));

    [Fact]
    public void Load_RefusesAMissingNodeCount()
        => Assert.Contains("graph.node_count", Refusal(Rewrite(m => m.RemoveAll(e => e.Key == "graph.node_count"))));

    [Fact]
    public void Load_RefusesANodeCountBeyondTheFile()
        => Assert.Contains("metadata 'graph.node_count': is 1000000", Refusal(Rewrite(m => Set(m, "graph.node_count", 1_000_000L))));

    [Fact]
    public void Load_RefusesAConstantOfAnotherShape()
    {
        string message = Refusal(Rewrite(_ => { }, (name, shape, data) => name.EndsWith(".folded_bias", StringComparison.Ordinal) ? ([shape[0] / 2, 2], data) : null));
        Assert.Contains("shape: expected", message);
    }

    [Fact]
    public void Load_RefusesANodeThatReadsAValueDefinedLater()
        => Assert.Contains("which no earlier node, constant or input defines", Refusal(Rewrite(m =>
        {
            string last = ((IReadOnlyList<string>)m.First(e => e.Key == "graph.outputs").Value)[0];
            Set(m, "graph.node.0.inputs", new[] { last, ((IReadOnlyList<string>)m.First(e => e.Key == "graph.node.0.inputs").Value)[1] });
        })));

    [Fact]
    public void Load_RefusesAStatePairOfDifferentShapes()
        => Assert.Contains("the shapes differ", Refusal(Rewrite(m =>
        {
            Set(m, "graph.state_inputs", new[] { "frames" });
            Set(m, "graph.state_outputs", new[] { "logits" });
        })));

    [Fact]
    public void Load_RefusesAnRnnFileAsAGraph()
    {
        byte[] rnn = RnnModel.ToFrnn(new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 2, HiddenSize = 3 },
            RnnModel.ParameterNames(new RnnConfig { Kind = RecurrentKind.Gru, InputSize = 2, HiddenSize = 3 })
                .ToDictionary(n => n, n => new float[n.StartsWith("weight_ih", StringComparison.Ordinal) ? 18 : n.StartsWith("weight", StringComparison.Ordinal) ? 27 : 9]));
        Assert.Contains("metadata 'fastrnn.architecture': expected \"graph\", actual \"rnn\"", Refusal(rnn));
    }
}
