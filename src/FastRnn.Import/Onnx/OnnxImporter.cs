using Google.Protobuf;
using Onnx;

namespace FastRnn.Import;

/// <summary>
/// Imports an ONNX model whose graph is an LSTM, GRU or RNN node, or a stack of them, with the Squeeze, Unsqueeze,
/// Transpose, Reshape, Slice, Concat and shape arithmetic that <c>torch.onnx.export</c> and tf2onnx put around them.
/// </summary>
/// <remarks>
/// <para>Every attribute of the ONNX operators (opset 7 and later) is honoured: <c>direction</c> (forward, reverse,
/// bidirectional), <c>layout</c> 0 and 1, <c>clip</c>, <c>activations</c> with <c>activation_alpha</c>/<c>_beta</c>
/// (resolved as ONNX Runtime resolves them, see <see cref="OnnxActivations"/>), LSTM peepholes and
/// <c>input_forget</c>, GRU <c>linear_before_reset</c>. Weights must be initializers (or Constant nodes);
/// <c>sequence_lens</c>, <c>initial_h</c> and <c>initial_c</c> may be graph inputs, constants or absent, as
/// <see cref="OnnxImportResult"/> reports.</para>
/// <para>Several recurrent nodes become one stack (PyTorch exports one node per layer) when each reads the previous
/// one's Y and their attributes agree. Any other operator is an error that lists them all.</para>
/// </remarks>
public static class OnnxImporter
{
    /// <summary>Reads the .onnx file at <paramref name="path"/>.</summary>
    /// <param name="path">
    /// An ONNX model file, with its weights inside or in external data files in its directory (what
    /// <c>onnx.save(model, path, save_as_external_data=True)</c> writes; see docs/onnx-external-data.md for which locations are read).
    /// </param>
    /// <param name="options">Must be the defaults (or null): the graph records what the options would choose.</param>
    /// <exception cref="ImportException">The file is not ONNX, or its graph is not a recurrent stack FastRnn can run; the message says why.</exception>
    /// <exception cref="ArgumentException">An option does not apply to the model the input holds (say a nonlinearity for an LSTM, or any option for ONNX).</exception>
    public static OnnxImportResult Import(string path, ImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = OnnxModelFile.Read(path);
        using OnnxExternalData external = OnnxExternalData.ForModel(path);
        return Import(bytes, Path.GetFileName(path), options, external);
    }

    /// <summary>Reads a serialized ONNX model.</summary>
    /// <param name="model">The bytes of a <c>ModelProto</c>; a tensor in an external data file is refused, since bytes have no directory to find it in.</param>
    /// <param name="source">A name for messages, e.g. the file name.</param>
    /// <param name="options">Must be the defaults (or null).</param>
    /// <exception cref="ImportException">The bytes are not ONNX, or the graph is not a recurrent stack FastRnn can run.</exception>
    /// <exception cref="ArgumentException">An option does not apply to the model the input holds (say a nonlinearity for an LSTM, or any option for ONNX).</exception>
    public static OnnxImportResult Import(ReadOnlySpan<byte> model, string source = "ONNX model", ImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Import(model, source, options, OnnxExternalData.None(source));
    }

    private static OnnxImportResult Import(ReadOnlySpan<byte> model, string source, ImportOptions? options, OnnxExternalData external)
    {
        CheckOptions(source, options ?? ImportOptions.Default);
        ModelProto proto = Parse(model, source);
        long opset = Opset(source, proto);
        GraphTracer tracer = GraphTracer.Trace(source, proto.Graph, opset, external);
        return OnnxStack.Build(source, proto.Graph, tracer);
    }

    private static void CheckOptions(string source, ImportOptions options)
    {
        if (options.Prefix is { Length: > 0 })
            throw OnnxErrors.OptionNotApplicable(source, "--prefix");
        if (options.Keras)
            throw OnnxErrors.OptionNotApplicable(source, "--keras");
        if (options.Nonlinearity is not null)
            throw OnnxErrors.OptionNotApplicable(source, "nonlinearity");
        if (options.GruResetAfter is not null)
            throw OnnxErrors.OptionNotApplicable(source, "GRU reset_after (ONNX linear_before_reset)");
    }

    internal static ModelProto Parse(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.IsEmpty)
            throw OnnxErrors.NotOnnx(source, "the file is empty");
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw OnnxErrors.NotOnnx(source, $"it does not decode as an ONNX ModelProto ({e.Message}); is it truncated?", e);
        }
        // Protobuf accepts almost any bytes as some message; a real model names its IR version and has a graph.
        if (model.IrVersion <= 0 || model.Graph is null || model.Graph.Node.Count == 0)
            throw OnnxErrors.NotOnnx(source, model.IrVersion <= 0 ? "it has no IR version" : "it has no graph nodes");
        return model;
    }

    /// <summary>The version of the default operator set, which fixes the operators' semantics.</summary>
    internal static long Opset(string source, ModelProto model)
    {
        OperatorSetIdProto? onnx = model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx");
        // IR version 3 and later must import the default domain; older files implied opset 1.
        return onnx?.Version ?? (model.IrVersion >= 3 ? throw OnnxErrors.NotOnnx(source, "it imports no version of the default operator set") : 1);
    }
}
