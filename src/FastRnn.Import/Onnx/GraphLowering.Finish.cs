using FastRnn.Graph;
using Onnx;

namespace FastRnn.Import;

/// <summary>The end of a conversion: graph outputs named as in ONNX, state pairs, and nodes nothing reads removed.</summary>
internal sealed partial class GraphLowering
{
    private void Finish(GraphProto graph)
    {
        foreach (ValueInfoProto output in graph.Output)
        {
            if (!_values.TryGetValue(output.Name, out Lowered? value))
                throw OnnxErrors.Graph(_source, $"graph output '{output.Name}' is not defined by any node");
            if (value is not Computed c)
                throw OnnxErrors.Graph(_source, $"graph output '{output.Name}' is known at convert time (it does not depend on the inputs); FastRnn graph outputs are computed");
            int index = c.Value;
            if (_graph.Values[index].Name != output.Name || _graph.Inputs.Contains(index) || _graph.Outputs.Contains(index))
            {
                // Passed through from an input or another output (an Identity): give the output storage and name of its own.
                var copy = new NodeProto { Name = $"output {output.Name}", OpType = "Identity", Output = { output.Name } };
                index = Emit(GraphOp.Copy, copy, [c.Value], c.Shape).Value;
            }
            _graph.Outputs.Add(index);
        }
        PairStates();
        RemoveDeadNodes();
        string[] unread = graph.Initializer.Select(t => t.Name).Where(n => !_uses.ContainsKey(n)).ToArray();
        if (unread.Length > 0)
            Notes.Add($"initializers no node reads, not stored: {string.Join(", ", unread)}");
    }

    private void PairStates()
    {
        string Name(int v) => _graph.Values[v].Name;
        IEnumerable<(string Input, string Output)> pairs = _options.States.Count > 0
            ? _options.States
            : _graph.Inputs.SelectMany(i => _graph.Outputs
                .Where(o => Name(o) == Name(i) + "N" || Name(o) == Name(i) + "_out")
                .Where(o => _graph.Values[o].Shape.AsSpan().SequenceEqual(_graph.Values[i].Shape))
                .Select(o => (Name(i), Name(o))));
        foreach ((string input, string output) in pairs)
        {
            int i = _graph.Inputs.FirstOrDefault(v => Name(v) == input, -1);
            int o = _graph.Outputs.FirstOrDefault(v => Name(v) == output, -1);
            if (i < 0 || o < 0)
                throw OnnxErrors.Graph(_source, $"--state {input}={output}: {(i < 0 ? $"'{input}' is not a graph input that stays an input" : $"'{output}' is not a graph output")}");
            if (!_graph.Values[i].Shape.AsSpan().SequenceEqual(_graph.Values[o].Shape))
                throw OnnxErrors.Graph(_source, $"--state {input}={output}: the shapes {_graph.Values[i].ShapeText} and {_graph.Values[o].ShapeText} differ");
            _graph.States.Add((i, o));
            Notes.Add($"state: output '{output}' feeds input '{input}' on the next call");
        }
    }

    /// <summary>Drops nodes no output depends on and the constants only they read, then renumbers the values.</summary>
    private void RemoveDeadNodes()
    {
        var needed = new HashSet<int>(_graph.Outputs);
        var keep = new bool[_graph.Nodes.Count];
        for (int n = _graph.Nodes.Count - 1; n >= 0; n--)
        {
            GraphNode node = _graph.Nodes[n];
            if (!node.Outputs.Any(needed.Contains))
                continue;
            keep[n] = true;
            foreach (int input in node.Inputs.Where(i => i >= 0))
                needed.Add(input);
        }
        int dropped = keep.Count(k => !k);
        if (dropped > 0)
            Notes.Add($"{dropped} graph nodes dropped: no output depends on them");

        var used = new HashSet<int>(_graph.Inputs.Concat(_graph.Outputs));
        var nodes = _graph.Nodes.Where((_, n) => keep[n]).ToList();
        foreach (GraphNode node in nodes)
            used.UnionWith(node.Inputs.Where(i => i >= 0).Concat(node.Outputs));
        var map = new Dictionary<int, int>();
        var values = new List<GraphValue>();
        for (int v = 0; v < _graph.Values.Count; v++)
        {
            if (used.Contains(v))
            {
                map[v] = values.Count;
                values.Add(_graph.Values[v]);
            }
        }
        var constants = _graph.Constants.Where(c => used.Contains(c.Key)).ToDictionary(c => map[c.Key], c => c.Value);
        int Map(int v) => v < 0 ? -1 : map[v];
        var inputs = _graph.Inputs.Select(Map).ToList();
        var outputs = _graph.Outputs.Select(Map).ToList();
        var states = _graph.States.Select(s => (Map(s.Input), Map(s.Output))).ToList();
        nodes = nodes.Select(n => n with { Inputs = n.Inputs.Select(Map).ToArray(), Outputs = n.Outputs.Select(Map).ToArray() }).ToList();

        _graph.Values.Clear();
        _graph.Values.AddRange(values);
        _graph.Constants.Clear();
        foreach ((int k, float[] data) in constants)
            _graph.Constants[k] = data;
        _graph.Nodes.Clear();
        _graph.Nodes.AddRange(nodes);
        _graph.Inputs.Clear();
        _graph.Inputs.AddRange(inputs);
        _graph.Outputs.Clear();
        _graph.Outputs.AddRange(outputs);
        _graph.States.Clear();
        _graph.States.AddRange(states);
    }
}
