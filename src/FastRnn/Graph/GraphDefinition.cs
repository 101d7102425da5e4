namespace FastRnn.Graph;

/// <summary>
/// The blueprint of a graph model, as the importer builds it and the .frnn file stores it: the value table (names,
/// types, fixed shapes), the constants, the nodes in execution order, the inputs and outputs, and the state pairs.
/// </summary>
/// <remarks>Plain data; <see cref="Validate"/> checks that it is a well-formed graph before anything is compiled.</remarks>
internal sealed class GraphDefinition
{
    public List<GraphValue> Values { get; } = [];

    /// <summary>Float32 data of the constant values, by value index.</summary>
    public Dictionary<int, float[]> Constants { get; } = [];

    public List<GraphNode> Nodes { get; } = [];

    public List<int> Inputs { get; } = [];

    public List<int> Outputs { get; } = [];

    /// <summary>(graph input, graph output) value indices: the output is copied into the input after every run.</summary>
    public List<(int Input, int Output)> States { get; } = [];

    public int IndexOf(string name)
    {
        for (int i = 0; i < Values.Count; i++)
        {
            if (Values[i].Name == name)
                return i;
        }
        return -1;
    }

    public int AddValue(string name, GraphElementType type, int[] shape)
    {
        Values.Add(new GraphValue(name, type, shape));
        return Values.Count - 1;
    }

    public int AddConstant(string name, int[] shape, float[] data)
    {
        int index = AddValue(name, GraphElementType.Float32, shape);
        Constants[index] = data;
        return index;
    }

    /// <summary>Checks the structure; throws <see cref="ArgumentException"/> naming the value, node or input at fault.</summary>
    public void Validate()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (GraphValue v in Values)
        {
            if (string.IsNullOrEmpty(v.Name) || !names.Add(v.Name))
                throw GraphErrors.Value(v.Name, "is unnamed or defined twice");
            if (v.Shape.Length > 8)
                throw GraphErrors.Value(v.Name, $"has rank {v.Shape.Length}; at most 8");
            long count = 1;
            foreach (int d in v.Shape)
            {
                if (d < 1 || d > GraphValue.MaxDimension)
                    throw GraphErrors.Value(v.Name, $"has shape {v.ShapeText}; every dimension must be in 1..{GraphValue.MaxDimension}");
                count *= d;
                if (count > GraphValue.MaxElements)
                    throw GraphErrors.Value(v.Name, $"has shape {v.ShapeText}, more than {GraphValue.MaxElements} elements");
            }
        }
        long total = Values.Where((_, i) => !Constants.ContainsKey(i)).Sum(v => (long)v.Length);
        if (total > GraphValue.MaxTotalElements)
            throw GraphErrors.Graph($"its inputs and computed values hold {total} elements; at most {GraphValue.MaxTotalElements}");

        var defined = new bool[Values.Count];
        void Define(int index, string by)
        {
            if ((uint)index >= (uint)Values.Count)
                throw GraphErrors.Graph($"{by} names value {index}; the graph has {Values.Count}");
            if (defined[index])
                throw GraphErrors.Value(Values[index].Name, $"is defined twice (again by {by})");
            defined[index] = true;
        }
        foreach ((int index, float[] data) in Constants)
        {
            Define(index, "a constant");
            GraphValue v = Values[index];
            if (v.Type != GraphElementType.Float32 || data.Length != v.Length)
                throw GraphErrors.Value(v.Name, $"is a constant of {data.Length} floats; its shape {v.ShapeText} needs {v.Length} float32");
        }
        foreach (int input in Inputs)
            Define(input, "the graph inputs");

        foreach (GraphNode node in Nodes)
        {
            OpSchema schema = node.Schema;
            if (node.Inputs.Length < schema.MinInputs || node.Inputs.Length > schema.MaxInputs || node.Outputs.Length != schema.Outputs)
                throw GraphErrors.Node(node.Name, schema.Name, $"has {node.Inputs.Length} inputs and {node.Outputs.Length} outputs; {schema.Name} takes {schema.MinInputs}..{schema.MaxInputs} and {schema.Outputs}");
            node.Attributes.Validate(schema, node.Name);
            foreach (int input in node.Inputs)
            {
                if (input == -1)
                    continue;
                if ((uint)input >= (uint)Values.Count || !defined[input])
                    throw GraphErrors.Node(node.Name, schema.Name, $"reads value {(input >= 0 && input < Values.Count ? $"'{Values[input].Name}'" : input.ToString(System.Globalization.CultureInfo.InvariantCulture))}, which no earlier node, constant or input defines");
            }
            foreach (int output in node.Outputs)
                Define(output, $"node '{node.Name}'");
        }
        for (int i = 0; i < Values.Count; i++)
        {
            if (!defined[i])
                throw GraphErrors.Value(Values[i].Name, "is neither an input, a constant nor a node's output");
        }

        if (Outputs.Count == 0)
            throw GraphErrors.Graph("it has no outputs");
        var producedByNode = Nodes.SelectMany(n => n.Outputs).ToHashSet();
        foreach (int output in Outputs)
        {
            if ((uint)output >= (uint)Values.Count || !producedByNode.Contains(output))
                throw GraphErrors.Graph($"output {(output >= 0 && output < Values.Count ? $"'{Values[output].Name}'" : "")} is not computed by a node");
            if (Values[output].Type != GraphElementType.Float32)
                throw GraphErrors.Value(Values[output].Name, "is an output of type Int64; outputs are float32");
        }
        if (Outputs.Distinct().Count() != Outputs.Count || Inputs.Distinct().Count() != Inputs.Count)
            throw GraphErrors.Graph("an input or output is listed twice");
        foreach ((int input, int output) in States)
        {
            if (!Inputs.Contains(input) || !Outputs.Contains(output))
                throw GraphErrors.Graph("a state pair must join a graph input and a graph output");
            GraphValue i = Values[input], o = Values[output];
            if (i.Type != o.Type || !i.Shape.AsSpan().SequenceEqual(o.Shape))
                throw GraphErrors.Graph($"state '{o.Name}' {o.ShapeText} cannot feed input '{i.Name}' {i.ShapeText}: the shapes differ");
        }
        if (States.Select(s => s.Input).Distinct().Count() != States.Count)
            throw GraphErrors.Graph("an input receives two states");
    }
}
