using Onnx;

namespace FastRnn.Import;

/// <summary>
/// The one place ONNX import errors are made. Every message starts with the source (file name) and names the
/// node, attribute, tensor or graph value, what was expected and what was found.
/// </summary>
internal static class OnnxErrors
{
    public static ImportException NotOnnx(string source, string problem, Exception? inner = null)
        => inner is null ? new($"{source}: not an ONNX model: {problem}") : new($"{source}: not an ONNX model: {problem}", inner);

    public static ImportException Graph(string source, string problem)
        => new($"{source}: {problem}");

    public static ImportException UnsupportedOperators(string source, IEnumerable<string> operators)
        => new($"{source}: the graph has operators FastRnn cannot run: {string.Join(", ", operators)}. FastRnn imports graphs of "
               + "LSTM, GRU or RNN nodes and the wrappers exporters put around them ("
               + string.Join(", ", GraphTracer.WrapperOperators) + "); run the rest of the model separately");

    public static ImportException Node(string source, NodeProto node, string problem)
        => new($"{source}: {Describe(node)} {problem}");

    public static ImportException Attribute(string source, NodeProto node, string attribute, string actual, string expected)
        => new($"{source}: {Describe(node)} has {attribute} = {actual}; expected {expected}");

    public static ImportException Tensor(string source, string tensor, string problem)
        => new($"{source}: tensor '{tensor}' {problem}");

    /// <summary>"file: tensor 'W' external data offset '-1' is negative": a fault in where a tensor's bytes lie outside the model.</summary>
    public static ImportException ExternalData(string source, string tensor, string field, string problem)
        => new($"{source}: tensor '{tensor}' external data {field} {problem}");

    /// <summary>A value from the file, quoted, with control characters escaped and a long value cut, so a message stays one line.</summary>
    public static string Quote(string value)
    {
        const int Shown = 120;
        var text = new System.Text.StringBuilder("'");
        foreach (char c in value.Length > Shown ? value[..Shown] : value)
            text.Append(char.IsControl(c) ? $"\\u{(int)c:X4}" : c);
        return text.Append(value.Length > Shown ? "…'" : "'").ToString();
    }

    public static ImportException Disagree(string source, NodeProto first, NodeProto other, string what, string a, string b)
        => new($"{source}: {Describe(other)} has {what} = {b} but {Describe(first)} has {a}; the layers of one stack must agree");

    /// <summary>An import option given for an ONNX model, whose graph records the choice: the caller's mistake.</summary>
    public static ArgumentException OptionNotApplicable(string source, string option)
        => new($"{source}: option {option} does not apply to ONNX models: the graph records it");

    /// <summary>"node 'lstm_1' (LSTM)", or "LSTM node #3" for an unnamed node.</summary>
    public static string Describe(NodeProto node)
        => node.Name.Length > 0 ? $"node '{node.Name}' ({node.OpType})" : $"{node.OpType} node producing '{node.Output.FirstOrDefault(o => o.Length > 0)}'";
}
