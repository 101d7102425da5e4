using FastRnn.Graph;
using Onnx;

namespace FastRnn.Import;

/// <summary>
/// Imports a whole ONNX model — front-end, recurrent layers, head — as a FastRnn graph model: shape arithmetic is
/// folded once the caller fixes the dynamic inputs, an If whose condition folds becomes the branch it takes, LSTM /
/// GRU / RNN nodes run on FastRnn's cells, BatchNormalization folds into the Conv or Gemm before it, and everything
/// else maps onto the graph operators (see docs/graph.md). Operators FastRnn cannot run are listed, with node names.
/// </summary>
public static class OnnxGraphImporter
{
    /// <summary>Reads and converts the .onnx file at <paramref name="path"/>, whose weights may be in external data files in its directory.</summary>
    /// <exception cref="ImportException">The file is not ONNX, or the graph cannot be run; the message names the node.</exception>
    public static GraphImportResult Import(string path, GraphImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = OnnxModelFile.Read(path);
        using OnnxExternalData external = OnnxExternalData.ForModel(path);
        return Import(bytes, Path.GetFileName(path), options, external);
    }

    /// <summary>
    /// Converts the bytes of an ONNX <c>ModelProto</c>; <paramref name="source"/> names it in messages. A tensor in an
    /// external data file is refused: bytes have no directory to find it in.
    /// </summary>
    /// <exception cref="ImportException">The bytes are not ONNX, or the graph cannot be run.</exception>
    public static GraphImportResult Import(ReadOnlySpan<byte> bytes, string source = "ONNX model", GraphImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Import(bytes, source, options, OnnxExternalData.None(source));
    }

    private static GraphImportResult Import(ReadOnlySpan<byte> bytes, string source, GraphImportOptions? options, OnnxExternalData external)
    {
        ModelProto model = OnnxImporter.Parse(bytes, source);
        var lowering = new GraphLowering(source, OnnxImporter.Opset(source, model), options ?? new GraphImportOptions(), external);
        GraphDefinition definition = lowering.Lower(model.Graph);
        try
        {
            return new GraphImportResult(GraphModel.Create(definition), lowering.Notes);
        }
        catch (ArgumentException e)
        {
            throw OnnxErrors.Graph(source, $"the converted graph is not valid: {e.Message}");
        }
    }

    /// <summary>Whether <paramref name="path"/> holds more than a recurrent stack (so <c>convert</c> makes a graph model).</summary>
    public static bool NeedsGraph(string path)
    {
        ModelProto model = OnnxImporter.Parse(OnnxModelFile.Read(path), Path.GetFileName(path));
        var stack = new HashSet<string>(GraphTracer.WrapperOperators.Concat(["LSTM", "GRU", "RNN"]), StringComparer.Ordinal);
        return model.Graph.Node.Any(n => !stack.Contains(n.OpType));
    }
}
