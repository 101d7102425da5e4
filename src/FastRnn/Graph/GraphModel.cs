using FastRnn.Graph.Ops;

namespace FastRnn.Graph;

/// <summary>
/// A whole model — front-end, recurrent layers, head — as a graph of typed operators with fixed shapes, compiled
/// once: weights packed, index tables built, and every session buffer planned by liveness into one arena.
/// Immutable and thread-safe: any number of <see cref="GraphSession"/>s, on any threads, can share one model.
/// </summary>
/// <example>
/// <code>
/// var model = GraphModel.Load("vad.frnn");
/// using var session = model.CreateSession();
/// session.Run("input", chunk, "output", probability);   // state carried from call to call
/// </code>
/// </example>
public sealed partial class GraphModel
{
    private readonly GraphKernel[] _kernels;
    private readonly float[]?[] _constants; // by value index

    private GraphModel(GraphDefinition definition)
    {
        definition.Validate();
        Definition = definition;
        var owned = new HashSet<int>(definition.Outputs);
        bool[] channelsLast = GraphLayout.ChannelsLast(definition);
        _kernels = definition.Nodes.Select(n => GraphKernels.Create(n, definition, n.Outputs.Any(owned.Contains), channelsLast)).ToArray();
        Plan = GraphPlan.Build(definition, _kernels);
        RunOrder = Enumerable.Range(0, _kernels.Length).Where(n => !_kernels[n].IsView).ToArray();
        _constants = new float[]?[definition.Values.Count];
        foreach ((int index, float[] data) in definition.Constants)
            _constants[index] = data;
        Inputs = definition.Inputs.Select(i => definition.Values[i].Info).ToArray();
        Outputs = definition.Outputs.Select(i => definition.Values[i].Info).ToArray();
        States = definition.States.Select(s => new GraphStatePair(definition.Values[s.Input].Name, definition.Values[s.Output].Name)).ToArray();
    }

    /// <summary>The graph inputs a caller supplies (state inputs included: the session carries them unless set).</summary>
    public IReadOnlyList<GraphTensorInfo> Inputs { get; }

    /// <summary>The graph outputs.</summary>
    public IReadOnlyList<GraphTensorInfo> Outputs { get; }

    /// <summary>Which outputs feed which inputs on the next call.</summary>
    public IReadOnlyList<GraphStatePair> States { get; }

    /// <summary>Floats in one session's arena: inputs, outputs, and every intermediate and scratch buffer, shared by liveness.</summary>
    public int ArenaLength => Plan.ArenaLength;

    internal GraphDefinition Definition { get; }

    internal GraphPlan Plan { get; }

    internal IReadOnlyList<GraphKernel> Kernels => _kernels;

    /// <summary>The nodes that do work, in order: views only point into their input's storage and never run.</summary>
    internal int[] RunOrder { get; }

    internal float[]?[] Constants => _constants;

    /// <summary>Compiles a definition; throws <see cref="ArgumentException"/> naming the node or value at fault.</summary>
    internal static GraphModel Create(GraphDefinition definition) => new(definition);

    /// <summary>Creates a session: one arena for every buffer of a run, and zero recurrent state.</summary>
    public GraphSession CreateSession() => new(this);

    /// <summary>
    /// The compiled plan, one line per node: operator, name, output shape, arena offset, what the kernel does.
    /// For <c>fastrnn inspect</c>.
    /// </summary>
    public IReadOnlyList<string> DescribePlan()
    {
        var lines = new List<string>();
        GraphDefinition g = Definition;
        for (int n = 0; n < g.Nodes.Count; n++)
        {
            GraphNode node = g.Nodes[n];
            GraphKernel kernel = _kernels[n];
            string outputs = string.Join(", ", node.Outputs.Select(o =>
            {
                ValueLocation at = Plan.Locations[o];
                return $"{g.Values[o].ShapeText}@{at.Offset}";
            }));
            string op = kernel is CopyKernel && node.Op == GraphOp.Reshape ? "reshape (copy)" : node.Schema.Name;
            lines.Add($"{n,4}  {op,-12} {node.Name}  -> {outputs}  {kernel.Describe()}");
        }
        return lines;
    }
}
