using FastRnn.Cli.Reporting;
using FastRnn.Import;

namespace FastRnn.Cli.Commands;

/// <summary>
/// The shapes of <c>run</c>'s states: h (L·D, B, H_out) and c (L·D, B, H), or, for a 2-D x, PyTorch's unbatched
/// (L·D, H_out) and (L·D, H), which are accepted on the way in and written on the way out; with ONNX layout 1,
/// ONNX's batch-major (B, L·D, H_out) and (B, L·D, H).
/// </summary>
internal sealed class StateShapes(RnnConfig c, int batch, bool unbatched, int? onnxLayout = null)
{
    private readonly int _layers = c.NumLayers * c.Directions;

    private bool BatchMajor => onnxLayout == 1;

    /// <summary>The shape of hn as written.</summary>
    public int[] Hidden => Shape(c.OutputHiddenSize);

    /// <summary>The shape of cn as written.</summary>
    public int[] Cell => Shape(c.HiddenSize);

    /// <summary>h0's data in the engine's (L·D, B, H_out), after checking its shape.</summary>
    public float[] CheckHidden(string option, TensorData array) => ToEngine(Check(option, array, c.OutputHiddenSize, "H_out"));

    /// <summary>c0's data in the engine's (L·D, B, H), after checking its shape.</summary>
    public float[] CheckCell(string option, TensorData array) => ToEngine(Check(option, array, c.HiddenSize, "H"));

    /// <summary>A state from the engine's (L·D, B, ·) in the layout it is written in.</summary>
    public float[] FromEngine(float[] state) => BatchMajor ? SequenceLayout.SwapLeadingAxes(state, _layers, batch) : state;

    private float[] ToEngine(float[] state) => BatchMajor ? SequenceLayout.SwapLeadingAxes(state, batch, _layers) : state;

    private int[] Shape(int width) => BatchMajor ? [batch, _layers, width] : unbatched ? [_layers, width] : [_layers, batch, width];

    private float[] Check(string option, TensorData array, int width, string widthName)
    {
        int[] expectedShape = BatchMajor ? [batch, _layers, width] : [_layers, batch, width];
        if (Same(array.Shape, expectedShape) || (unbatched && Same(array.Shape, [_layers, width])))
            return array.Data;
        string expected = BatchMajor
            ? $"{Shapes.Format(expectedShape)} = (B, L·D, {widthName}), ONNX layout 1"
            : $"{Shapes.Format(expectedShape)} = (L·D, B, {widthName})";
        if (unbatched)
            expected = $"{Shapes.Format([_layers, width])} = (L·D, {widthName}) or {expected}";
        throw CliErrors.BadData($"{option}: shape {Shapes.Format(array.Shape)} expected {expected}");
    }

    private static bool Same(int[] a, int[] b) => a.AsSpan().SequenceEqual(b);
}
