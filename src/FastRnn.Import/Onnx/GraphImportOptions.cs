namespace FastRnn.Import;

/// <summary>
/// What the caller fixes when a whole ONNX graph is converted: the values of inputs that select a variant of the
/// model (<c>--fix sr=16000</c>), the shapes of inputs with symbolic dimensions (<c>--shape input=1x576</c>), and
/// which outputs feed which inputs as recurrent state (<c>--state state=stateN</c>).
/// </summary>
public sealed record GraphImportOptions
{
    /// <summary>Inputs replaced by constants (integer or float values, row-major, with the declared shape or a scalar).</summary>
    public IReadOnlyDictionary<string, double[]> Fixed { get; init; } = new Dictionary<string, double[]>();

    /// <summary>Shapes of inputs whose declared shape has symbolic or unknown dimensions.</summary>
    public IReadOnlyDictionary<string, int[]> Shapes { get; init; } = new Dictionary<string, int[]>();

    /// <summary>
    /// (input, output) state pairs. When empty, an output named like an input plus <c>N</c> or <c>_out</c>
    /// (<c>state</c> / <c>stateN</c>, Silero's convention) with the same shape is paired with it.
    /// </summary>
    public IReadOnlyList<(string Input, string Output)> States { get; init; } = [];
}
