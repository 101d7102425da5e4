using System.Globalization;
using FastRnn.Format;

namespace FastRnn.Graph;

/// <summary>
/// The <c>graph</c> model schema of an .frnn file (docs/format.md, "graph"): the value table, the nodes with their
/// typed attributes, inputs, outputs and state pairs as metadata; every constant as a float32 tensor named after its
/// value. Every field is validated on read, and a bad one is a <see cref="FrnnFormatException"/> naming its key.
/// </summary>
internal static class GraphFormat
{
    public const string ArchitectureValue = "graph";
    public const long Version = 1;
    public const string VersionKey = "graph.version";
    public const string ValuesKey = "graph.values";
    public const string TypesKey = "graph.types";
    public const string ShapesKey = "graph.shapes";
    public const string InputsKey = "graph.inputs";
    public const string OutputsKey = "graph.outputs";
    public const string StateInputsKey = "graph.state_inputs";
    public const string StateOutputsKey = "graph.state_outputs";
    public const string NodeCountKey = "graph.node_count";

    private const string Architecture = "fastrnn.architecture";
    private const int MaxNodes = 1 << 20;

    public static string NodeKey(int node, string field) => string.Create(CultureInfo.InvariantCulture, $"graph.node.{node}.{field}");

    public static void Write(GraphDefinition g, FrnnWriter writer)
    {
        string Name(int v) => g.Values[v].Name;
        writer.AddMetadata(Architecture, ArchitectureValue);
        writer.AddMetadata(VersionKey, Version);
        writer.AddMetadata(ValuesKey, g.Values.Select(v => v.Name).ToArray());
        writer.AddMetadata(TypesKey, g.Values.Select(v => v.Type == GraphElementType.Int64 ? "int64" : "float32").ToArray());
        writer.AddMetadata(ShapesKey, g.Values.SelectMany(v => v.Shape.Select(d => (long)d).Prepend(v.Rank)).ToArray());
        writer.AddMetadata(InputsKey, g.Inputs.Select(Name).ToArray());
        writer.AddMetadata(OutputsKey, g.Outputs.Select(Name).ToArray());
        writer.AddMetadata(StateInputsKey, g.States.Select(s => Name(s.Input)).ToArray());
        writer.AddMetadata(StateOutputsKey, g.States.Select(s => Name(s.Output)).ToArray());
        writer.AddMetadata(NodeCountKey, (long)g.Nodes.Count);
        for (int n = 0; n < g.Nodes.Count; n++)
        {
            GraphNode node = g.Nodes[n];
            writer.AddMetadata(NodeKey(n, "op"), node.Schema.Name);
            writer.AddMetadata(NodeKey(n, "name"), node.Name);
            writer.AddMetadata(NodeKey(n, "inputs"), node.Inputs.Select(i => i < 0 ? "" : Name(i)).ToArray());
            writer.AddMetadata(NodeKey(n, "outputs"), node.Outputs.Select(Name).ToArray());
            foreach ((AttributeSchema a, object value) in node.Attributes.Entries(node.Schema))
            {
                string key = NodeKey(n, a.Name);
                switch (value)
                {
                    case long i: writer.AddMetadata(key, i); break;
                    case long[] ints: writer.AddMetadata(key, ints); break;
                    default: writer.AddMetadata(key, (double)value); break;
                }
            }
        }
        foreach ((int index, float[] data) in g.Constants.OrderBy(c => c.Key))
            writer.AddTensor(Name(index), g.Values[index].Shape, data);
    }

    public static GraphDefinition Read(FrnnFile file)
    {
        string architecture = file.GetString(Architecture);
        if (architecture != ArchitectureValue)
            throw Bad(Architecture, $"expected \"{ArchitectureValue}\", actual \"{architecture}\"");
        long version = file.GetInt64(VersionKey);
        if (version != Version)
            throw Bad(VersionKey, $"expected {Version}, actual {version}; this FastRnn reads graph models of version {Version}");

        var g = new GraphDefinition();
        string[] names = file.GetStringArray(ValuesKey), types = file.GetStringArray(TypesKey);
        long[] shapes = file.GetInt64Array(ShapesKey);
        if (types.Length != names.Length)
            throw Bad(TypesKey, $"has {types.Length} entries; '{ValuesKey}' has {names.Length}");
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        int at = 0;
        for (int v = 0; v < names.Length; v++)
        {
            if (names[v].Length == 0 || !index.TryAdd(names[v], v))
                throw Bad(ValuesKey, $"entry {v} ('{names[v]}') is empty or repeats an earlier name");
            GraphElementType type = types[v] switch
            {
                "float32" => GraphElementType.Float32,
                "int64" => GraphElementType.Int64,
                _ => throw Bad(TypesKey, $"entry {v} is \"{types[v]}\"; expected \"float32\" or \"int64\""),
            };
            if (at >= shapes.Length || shapes[at] < 0 || shapes[at] > 8 || at + 1 + shapes[at] > shapes.Length)
                throw Bad(ShapesKey, $"ends or has an invalid rank at value {v} ('{names[v]}')");
            int rank = (int)shapes[at];
            var shape = new int[rank];
            for (int k = 0; k < rank; k++)
            {
                long d = shapes[at + 1 + k];
                if (d < 1 || d > GraphValue.MaxDimension)
                    throw Bad(ShapesKey, $"value '{names[v]}' has dimension {d}; expected 1..{GraphValue.MaxDimension}");
                shape[k] = (int)d;
            }
            at += 1 + rank;
            g.AddValue(names[v], type, shape);
        }
        if (at != shapes.Length)
            throw Bad(ShapesKey, $"has {shapes.Length - at} values after the last shape");

        int Resolve(string key, string name)
            => index.TryGetValue(name, out int v) ? v : throw Bad(key, $"names '{name}', which is not in '{ValuesKey}'");
        g.Inputs.AddRange(file.GetStringArray(InputsKey).Select(n => Resolve(InputsKey, n)));
        g.Outputs.AddRange(file.GetStringArray(OutputsKey).Select(n => Resolve(OutputsKey, n)));
        string[] stateInputs = file.GetStringArray(StateInputsKey), stateOutputs = file.GetStringArray(StateOutputsKey);
        if (stateInputs.Length != stateOutputs.Length)
            throw Bad(StateOutputsKey, $"has {stateOutputs.Length} entries; '{StateInputsKey}' has {stateInputs.Length}");
        for (int s = 0; s < stateInputs.Length; s++)
            g.States.Add((Resolve(StateInputsKey, stateInputs[s]), Resolve(StateOutputsKey, stateOutputs[s])));

        long count = file.GetInt64(NodeCountKey);
        if (count < 0 || count > MaxNodes || count > file.Metadata.Count)
            throw Bad(NodeCountKey, $"is {count}; the file has {file.Metadata.Count} metadata entries");
        for (int n = 0; n < count; n++)
            g.Nodes.Add(ReadNode(file, n, Resolve));

        var constants = new HashSet<string>(StringComparer.Ordinal);
        foreach (FrnnTensorInfo tensor in file.Tensors)
        {
            if (!index.TryGetValue(tensor.Name, out int v))
                throw new FrnnFormatException($"tensor '{tensor.Name}' is not a value of the graph ('{ValuesKey}')");
            g.Constants[v] = file.GetFloat32(tensor.Name, g.Values[v].Shape).ToArray();
        }
        return g;
    }

    private static GraphNode ReadNode(FrnnFile file, int n, Func<string, string, int> resolve)
    {
        string opKey = NodeKey(n, "op");
        string op = file.GetString(opKey);
        if (!GraphOps.TryParse(op, out OpSchema schema))
            throw Bad(opKey, $"is \"{op}\"; known operators: {string.Join(", ", GraphOps.Names)}");
        string name = file.GetString(NodeKey(n, "name"));
        string inputsKey = NodeKey(n, "inputs"), outputsKey = NodeKey(n, "outputs");
        int[] inputs = file.GetStringArray(inputsKey).Select(i => i.Length == 0 ? -1 : resolve(inputsKey, i)).ToArray();
        int[] outputs = file.GetStringArray(outputsKey).Select(o => resolve(outputsKey, o)).ToArray();
        var attributes = new GraphAttributes();
        foreach (AttributeSchema a in schema.Attributes)
        {
            string key = NodeKey(n, a.Name);
            if (!file.ContainsKey(key))
                continue; // GraphDefinition.Validate reports a required one missing, naming the node
            _ = a.Kind switch
            {
                AttributeKind.Int => attributes.Set(a.Name, file.GetInt64(key)),
                AttributeKind.Ints => attributes.Set(a.Name, file.GetInt64Array(key)),
                _ => attributes.Set(a.Name, file.GetDouble(key)),
            };
        }
        string prefix = NodeKey(n, "");
        string? stray = file.Metadata.Keys.FirstOrDefault(k => k.StartsWith(prefix, StringComparison.Ordinal)
            && k[prefix.Length..] is var field && field is not ("op" or "name" or "inputs" or "outputs") && schema.Attributes.All(a => a.Name != field));
        if (stray is not null)
            throw Bad(stray, $"is not an attribute of {schema.Name}");
        return new GraphNode(schema.Op, name, inputs, outputs, attributes);
    }

    private static FrnnFormatException Bad(string key, string problem) => new($"metadata '{key}': {problem}");
}
