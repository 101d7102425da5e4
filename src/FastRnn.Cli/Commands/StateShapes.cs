using FastRnn.Cli.Reporting;
using FastRnn.Import;
using FastRnn.Layers;

namespace FastRnn.Cli.Commands;

/// <summary>
/// The shapes of <c>run</c>'s states: h (L·D, B, H_out) and c (L·D, B, H), or, for a 2-D x, PyTorch's unbatched
/// (L·D, H_out) and (L·D, H), which are accepted on the way in and written on the way out.
/// </summary>
internal sealed class StateShapes(RnnConfig c, int batch, bool unbatched)
{
    private readonly int _layers = c.NumLayers * c.Directions;

    /// <summary>The shape of hn as written.</summary>
    public int[] Hidden => unbatched ? [_layers, c.OutputHiddenSize] : [_layers, batch, c.OutputHiddenSize];

    /// <summary>The shape of cn as written.</summary>
    public int[] Cell => unbatched ? [_layers, c.HiddenSize] : [_layers, batch, c.HiddenSize];

    /// <summary>h0's data, after checking its shape against (L·D, B, H_out).</summary>
    public float[] CheckHidden(string option, TensorData array) => Check(option, array, c.OutputHiddenSize, "H_out");

    /// <summary>c0's data, after checking its shape against (L·D, B, H).</summary>
    public float[] CheckCell(string option, TensorData array) => Check(option, array, c.HiddenSize, "H");

    private float[] Check(string option, TensorData array, int width, string widthName)
    {
        int[] batched = [_layers, batch, width];
        if (Same(array.Shape, batched) || (unbatched && Same(array.Shape, [_layers, width])))
            return array.Data;
        string expected = $"{Shapes.Format(batched)} = (L·D, B, {widthName})";
        if (unbatched)
            expected = $"{Shapes.Format([_layers, width])} = (L·D, {widthName}) or {expected}";
        throw CliErrors.BadData($"{option}: shape {Shapes.Format(array.Shape)} expected {expected}");
    }

    private static bool Same(int[] a, int[] b) => a.AsSpan().SequenceEqual(b);
}
