using System.Globalization;
using FastRnn.Graph;
using Onnx;

namespace FastRnn.Import;

/// <summary>
/// The graph importer: an abstract interpreter over an ONNX graph whose lattice is <see cref="Lowered"/> (known at
/// convert time, computed by the FastRnn graph, or unrunnable) with one transfer function per ONNX operator. A
/// transfer function folds when its inputs are known and otherwise emits FastRnn graph nodes; so shape arithmetic
/// disappears, an If with a known condition becomes its branch, and what remains is a graph of typed operators with
/// fixed shapes.
/// </summary>
internal sealed partial class GraphLowering
{
    private delegate Lowered[] Transfer(NodeProto node, Lowered?[] inputs);

    private readonly string _source;
    private readonly OnnxExternalData _external;
    private readonly long _opset;
    private readonly GraphImportOptions _options;
    private readonly GraphDefinition _graph = new();
    private readonly Dictionary<string, Lowered> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _uses = new(StringComparer.Ordinal);
    private readonly Dictionary<int, int> _producer = []; // graph value → index of the node writing it
    private readonly Dictionary<ConstTensor, int> _materialized = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly List<string> _unrunnable = [];
    private readonly Dictionary<string, Transfer> _transfers;
    private int _folded;

    /// <summary>A lowering of one model; <paramref name="external"/> finds the bytes of tensors kept in external data files.</summary>
    public GraphLowering(string source, long opset, GraphImportOptions options, OnnxExternalData external)
    {
        _source = source;
        _external = external;
        _opset = opset;
        _options = options;
        _transfers = Transfers();
    }

    public List<string> Notes { get; } = [];

    public GraphDefinition Lower(GraphProto graph)
    {
        if (_opset < 11)
            throw OnnxErrors.Graph(_source, $"the model is opset {_opset}; FastRnn converts whole graphs from opset 11");
        CountUses(graph);
        foreach (string name in _options.Fixed.Keys.Concat(_options.Shapes.Keys).Where(n => graph.Input.All(i => i.Name != n)))
            throw OnnxErrors.Graph(_source, $"--fix or --shape names '{name}', which is not a graph input (inputs: {string.Join(", ", graph.Input.Select(i => i.Name))})");
        var initializers = new HashSet<string>(graph.Initializer.Select(t => t.Name), StringComparer.Ordinal);
        foreach (ValueInfoProto input in graph.Input.Where(i => !initializers.Contains(i.Name)))
            _values[input.Name] = Input(input);
        Walk(graph);
        if (_unrunnable.Count > 0)
            throw OnnxErrors.Graph(_source, $"the graph has operators FastRnn cannot run: {string.Join(", ", _unrunnable)}. FastRnn runs {string.Join(", ", _transfers.Keys.Order(StringComparer.Ordinal))}");
        Finish(graph);
        Notes.Insert(0, $"{_folded} nodes folded at convert time; {_graph.Nodes.Count} graph nodes remain");
        return _graph;
    }

    /// <summary>Runs the transfer function of every node of <paramref name="graph"/> (the top graph, or a branch taken).</summary>
    private void Walk(GraphProto graph)
    {
        foreach (TensorProto t in graph.Initializer)
        {
            if (!_values.TryAdd(t.Name, new Known(OnnxTensorReader.Read(_source, t, t.Name, _external))))
                throw OnnxErrors.Graph(_source, $"initializer '{t.Name}' is defined twice");
        }
        if (graph.SparseInitializer.Count > 0)
            throw OnnxErrors.Graph(_source, "the graph has sparse initializers, which FastRnn does not read");
        foreach (NodeProto node in graph.Node)
        {
            Lowered?[] inputs = node.Input.Select(name => name.Length == 0 ? null : Lookup(node, name)).ToArray();
            Lowered[] outputs;
            string key = node.Domain is "" or "ai.onnx" ? node.OpType : $"{node.Domain}.{node.OpType}";
            // Every operator without a transfer function is listed, downstream of another one too.
            bool known = _transfers.TryGetValue(key, out Transfer? transfer);
            if (!known)
                _unrunnable.Add($"{key} ({OnnxErrors.Describe(node)})");
            if (!known || inputs.Any(i => i is Unrunnable))
                outputs = [.. node.Output.Select(_ => (Lowered)new Unrunnable())];
            else
            {
                // Every operator FastRnn runs writes at least one value, and the transfer functions name things after the first.
                if (node.Output.Count == 0)
                    throw Fail(node, "has no outputs");
                outputs = transfer!(node, inputs);
                if (outputs.All(o => o is Known))
                    _folded++;
            }
            for (int i = 0; i < node.Output.Count; i++)
            {
                if (node.Output[i].Length == 0)
                    continue;
                if (i >= outputs.Length)
                    throw Fail(node, $"has output {i} ('{node.Output[i]}'), which FastRnn does not produce");
                if (!_values.TryAdd(node.Output[i], outputs[i]))
                    throw Fail(node, $"writes '{node.Output[i]}', which is already defined");
            }
        }
    }

    private Lowered Lookup(NodeProto node, string name)
        => _values.TryGetValue(name, out Lowered? v) ? v
            : throw Fail(node, $"reads '{name}', which no earlier node, initializer or input defines (the nodes must be in topological order)");

    /// <summary>A graph input: a constant when fixed, else a computed value of its declared or given shape.</summary>
    private Lowered Input(ValueInfoProto input)
    {
        var type = (TensorProto.Types.DataType)(input.Type?.TensorType?.ElemType ?? 0);
        long[]? declared = GraphTracer.DeclaredShape(input);
        if (_options.Fixed.TryGetValue(input.Name, out double[]? values))
        {
            long[] shape = declared is { } d && d.All(x => x >= 0) && ConstMath.Count(d) == values.Length ? d : values.Length == 1 ? [] : [values.Length];
            return new Known(type is TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Float16
                ? ConstTensor.Float(shape, values.Select(v => (float)v).ToArray())
                : ConstTensor.Int(shape, values.Select(v => (long)v).ToArray()));
        }
        GraphElementType element = type switch
        {
            TensorProto.Types.DataType.Float => GraphElementType.Float32,
            TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Int32 => GraphElementType.Int64,
            _ => throw OnnxErrors.Graph(_source, $"graph input '{input.Name}' has element type {type}; FastRnn takes float32 and int64 inputs (fix it with --fix {input.Name}=VALUE if it selects a variant)"),
        };
        int[] dims;
        if (_options.Shapes.TryGetValue(input.Name, out int[]? given))
        {
            if (declared is not null && (declared.Length != given.Length || declared.Where((d, i) => d >= 0 && d != given[i]).Any()))
                throw OnnxErrors.Graph(_source, $"--shape {input.Name}={string.Join("x", given)} does not fit its declared shape [{string.Join(", ", declared.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture)))}]");
            dims = given;
        }
        else if (declared is not null && declared.All(d => d > 0 && d <= GraphValue.MaxDimension))
            dims = declared.Select(d => (int)d).ToArray();
        else
            throw OnnxErrors.Graph(_source, $"graph input '{input.Name}' has {(declared is null ? "no declared shape" : $"symbolic dimensions [{string.Join(", ", declared.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture)))}]")}; fix it with --shape {input.Name}=D0xD1x…");
        int index = Value(input.Name, element, dims);
        _graph.Inputs.Add(index);
        return new Computed(index, element, dims);
    }

    private void CountUses(GraphProto graph)
    {
        foreach (NodeProto node in graph.Node)
        {
            foreach (string name in node.Input.Where(n => n.Length > 0))
                _uses[name] = _uses.GetValueOrDefault(name) + 1;
            foreach (AttributeProto a in node.Attribute.Where(a => a.G is not null))
                CountUses(a.G);
        }
        foreach (ValueInfoProto output in graph.Output)
            _uses[output.Name] = _uses.GetValueOrDefault(output.Name) + 1;
    }

    /// <summary>Whether ONNX value <paramref name="name"/> is read by exactly one node and is no graph output (so a fold may absorb it).</summary>
    private bool UsedOnce(string name) => _uses.GetValueOrDefault(name) == 1;

    // ---- building the FastRnn graph

    /// <summary>A new value with a name unique in the graph, derived from <paramref name="name"/>.</summary>
    private int Value(string name, GraphElementType type, int[] shape)
    {
        string unique = name.Length == 0 ? "value" : name;
        for (int k = 1; !_names.Add(unique); k++)
            unique = $"{name}#{k}";
        return _graph.AddValue(unique, type, shape);
    }

    /// <summary>Appends a node writing one new float32 value of <paramref name="shape"/>, named after ONNX output 0.</summary>
    private Computed Emit(GraphOp op, NodeProto node, int[] inputs, int[] shape, GraphAttributes? attributes = null, GraphElementType type = GraphElementType.Float32)
    {
        CheckShape(node, shape);
        int output = Value(node.Output.Count > 0 ? node.Output[0] : node.Name, type, shape);
        _producer[output] = _graph.Nodes.Count;
        _graph.Nodes.Add(new GraphNode(op, NodeName(node), inputs, [output], attributes ?? GraphAttributes.Empty));
        return new Computed(output, type, shape);
    }

    private static string NodeName(NodeProto node) => node.Name.Length > 0 ? node.Name : $"{node.OpType}:{node.Output.FirstOrDefault()}";

    private void CheckShape(NodeProto node, int[] shape)
    {
        if (shape.Any(d => d < 1 || d > GraphValue.MaxDimension))
            throw Fail(node, $"would compute a tensor of shape [{string.Join(", ", shape)}]; FastRnn needs every dimension in 1..{GraphValue.MaxDimension}");
    }

    /// <summary>The graph value for an operand: a computed value as it is, a known float tensor as a constant (stored once).</summary>
    private int Operand(NodeProto node, Lowered? value, string what)
    {
        switch (value)
        {
            case Computed c:
                return c.Value;
            case Known { Tensor: var t }:
                if (_materialized.TryGetValue(t, out int existing))
                    return existing;
                int[] shape = t.Shape.Select(d => checked((int)d)).ToArray();
                CheckShape(node, shape);
                int index = Value($"{NodeName(node)}.{what}", GraphElementType.Float32, shape);
                _graph.Constants[index] = t.AsFloats();
                _materialized[t] = index;
                return index;
            default:
                throw Fail(node, $"lacks its {what} input");
        }
    }

    /// <summary>A known tensor a node stores as a weight, under a readable name.</summary>
    private int Weight(NodeProto node, ConstTensor tensor, string what, long[]? shape = null)
        => Operand(node, new Known(shape is null ? tensor : tensor.WithShape(shape)), what);

    private ConstTensor Const(NodeProto node, Lowered? value, string what)
        => value switch
        {
            Known k => k.Tensor,
            null => throw Fail(node, $"lacks its {what} input"),
            _ => throw Fail(node, $"has a {what} computed at run time; FastRnn needs it known at convert time (fix the inputs it depends on with --fix or --shape)"),
        };

    private Computed Runtime(NodeProto node, Lowered? value, string what)
        => value as Computed ?? throw Fail(node, value is null ? $"lacks its {what} input" : $"has a constant {what}");

    private ImportException Fail(NodeProto node, string problem) => OnnxErrors.Node(_source, node, problem);

    private OnnxAttributes Attributes(NodeProto node, params string[] known) => new(_source, node, known);

    private static int NormalizeAxis(long axis, int rank) => (int)(axis < 0 ? axis + rank : axis);

    private int Axis(NodeProto node, long axis, int rank)
    {
        if (axis < -rank || axis >= rank)
            throw Fail(node, $"names axis {axis} of a tensor of rank {rank}");
        return NormalizeAxis(axis, rank);
    }

    private static long[] ShapeOf(Lowered v) => v switch
    {
        Known k => k.Tensor.Shape,
        Computed c => c.LongShape,
        _ => [],
    };
}
