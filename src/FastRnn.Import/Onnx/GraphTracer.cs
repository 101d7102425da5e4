using System.Globalization;
using Onnx;

namespace FastRnn.Import;

/// <summary>
/// Walks an ONNX graph node by node and works out what it computes in FastRnn's terms: which recurrent nodes form the
/// stack, and how the Squeeze/Unsqueeze/Transpose/Reshape/Slice/Concat and shape arithmetic that exporters wrap
/// around them move the time, batch, direction and hidden axes of the graph's inputs and outputs.
/// </summary>
/// <remarks>
/// Nothing is computed on real data. Each value is a <see cref="TracedValue"/>: a known constant (folded), a vector
/// of sizes from Shape, a tensor of zeros (an exporter's zero initial state), or a stream whose axes are tracked. A
/// wrapper applied in a way that would mix time, batch and features (say a Reshape that merges T and B) is an
/// error naming the node.
/// </remarks>
internal sealed partial class GraphTracer
{
    /// <summary>The operators besides LSTM, GRU and RNN that the tracer understands.</summary>
    public static readonly string[] WrapperOperators =
        ["Squeeze", "Unsqueeze", "Transpose", "Reshape", "Slice", "Concat", "Shape", "Gather", "Constant", "ConstantOfShape", "Expand", "Identity", "Cast"];

    private static readonly HashSet<string> RecurrentOperators = new(StringComparer.Ordinal) { "LSTM", "GRU", "RNN" };

    private readonly string _source;
    private readonly OnnxExternalData _external;
    private readonly GraphProto _graph;
    private readonly long _opset;
    private readonly Dictionary<string, TracedValue> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, InputBinding> _bindings = new(StringComparer.Ordinal);
    private readonly List<RecurrentLayer> _layers = [];

    private GraphTracer(string source, GraphProto graph, long opset, OnnxExternalData external)
    {
        _source = source;
        _external = external;
        _graph = graph;
        _opset = opset;
    }

    public IReadOnlyList<RecurrentLayer> Layers => _layers;

    public IReadOnlyDictionary<string, InputBinding> Bindings => _bindings;

    /// <summary>The traced value of a graph output (or any value) by name, or null when nothing defines it.</summary>
    public TracedValue? Value(string name) => _values.GetValueOrDefault(name);

    /// <summary>
    /// Traces <paramref name="graph"/>, reading tensors kept in external data files through <paramref name="external"/>;
    /// throws <see cref="ImportException"/> for anything FastRnn cannot run.
    /// </summary>
    public static GraphTracer Trace(string source, GraphProto graph, long opset, OnnxExternalData external)
    {
        RejectUnsupportedOperators(source, graph);
        var tracer = new GraphTracer(source, graph, opset, external);
        tracer.Run();
        return tracer;
    }

    private static void RejectUnsupportedOperators(string source, GraphProto graph)
    {
        var supported = new HashSet<string>(WrapperOperators.Concat(RecurrentOperators), StringComparer.Ordinal);
        string[] unsupported = graph.Node
            .Where(n => !(n.Domain is "" or "ai.onnx" && supported.Contains(n.OpType)))
            .GroupBy(n => n.Domain is "" or "ai.onnx" ? n.OpType : $"{n.Domain}.{n.OpType}", StringComparer.Ordinal)
            .Select(g => g.Count() == 1 ? $"{g.Key} ({OnnxErrors.Describe(g.First())})" : $"{g.Key} ({g.Count()} nodes)")
            .ToArray();
        if (unsupported.Length > 0)
            throw OnnxErrors.UnsupportedOperators(source, unsupported);
        if (!graph.Node.Any(n => RecurrentOperators.Contains(n.OpType)))
            throw OnnxErrors.Graph(source, "the graph has no LSTM, GRU or RNN node");
    }

    private void Run()
    {
        foreach (TensorProto t in _graph.Initializer)
        {
            if (!_values.TryAdd(t.Name, new ConstValue(OnnxTensorReader.Read(_source, t, t.Name, _external))))
                throw OnnxErrors.Graph(_source, $"initializer '{t.Name}' is defined twice");
        }
        if (_graph.SparseInitializer.Count > 0)
            throw OnnxErrors.Graph(_source, $"the graph has sparse initializers ('{_graph.SparseInitializer[0].Values?.Name}'), which FastRnn does not read");
        foreach (ValueInfoProto input in _graph.Input)
        {
            // Before IR version 4 initializers were listed among the inputs too; they stay constants.
            if (_values.ContainsKey(input.Name))
                continue;
            long[] shape = DeclaredShape(input) ?? throw OnnxErrors.Graph(_source, $"graph input '{input.Name}' declares no shape; FastRnn needs its rank");
            var axes = shape.Select((d, i) => new StreamAxis(AxisRole.Open, d, i)).ToArray();
            _values[input.Name] = new StreamValue(new StreamSource(StreamKind.GraphInput, input.Name, -1), axes);
        }
        foreach (NodeProto node in _graph.Node)
        {
            TracedValue?[] inputs = node.Input.Select(name => name.Length == 0 ? null : Lookup(node, name)).ToArray();
            TracedValue?[] outputs = RecurrentOperators.Contains(node.OpType) ? Recurrent(node, inputs) : [Wrapper(node, inputs)];
            for (int i = 0; i < node.Output.Count; i++)
            {
                string name = node.Output[i];
                if (name.Length == 0)
                    continue;
                TracedValue value = (i < outputs.Length ? outputs[i] : null)
                    ?? throw OnnxErrors.Node(_source, node, $"has output {i} ('{name}'), which FastRnn does not produce");
                if (!_values.TryAdd(name, value))
                    throw OnnxErrors.Node(_source, node, $"writes '{name}', which an earlier node, initializer or input already defines");
            }
        }
    }

    private TracedValue Lookup(NodeProto node, string name)
        => _values.TryGetValue(name, out TracedValue? v) ? v
            : throw OnnxErrors.Node(_source, node, $"reads '{name}', which no earlier node, initializer or graph input defines (the nodes must be in topological order)");

    /// <summary>The dimensions a graph value declares (−1 for a symbolic one), or null without a tensor shape.</summary>
    internal static long[]? DeclaredShape(ValueInfoProto value)
    {
        TensorShapeProto? shape = value.Type?.TensorType?.Shape;
        return shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : -1).ToArray();
    }

    private ImportException Fail(NodeProto node, string problem) => OnnxErrors.Node(_source, node, problem);

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>An axis attribute or input in [−rank, rank) as a position.</summary>
    private int Axis(NodeProto node, long axis, int rank)
    {
        if (axis < -rank || axis >= rank)
            throw Fail(node, $"names axis {axis} of a tensor of rank {rank}");
        return (int)(axis < 0 ? axis + rank : axis);
    }

    /// <summary>A constant input (axes, shape, starts, …) as int64 values.</summary>
    private long[] ConstInts(NodeProto node, TracedValue? value, string what)
        => value switch
        {
            ConstValue c => c.Tensor.AsInts(),
            DimsValue d when d.Dims.All(x => x.IsKnown) => d.Dims.Select(x => x.Value).ToArray(),
            null => throw Fail(node, $"lacks its {what} input"),
            _ => throw Fail(node, $"has a {what} computed at run time; FastRnn needs it constant"),
        };
}

/// <summary>What a graph input turned out to be, once recurrent nodes consumed it.</summary>
internal sealed class InputBinding(string name, OnnxValueRole role, int rank)
{
    public string Name { get; } = name;

    public OnnxValueRole Role { get; } = role;

    /// <summary>Per axis of the graph input; null until known (an axis never bound was squeezed away: size 1).</summary>
    public OnnxAxis?[] Axes { get; } = new OnnxAxis?[rank];
}
