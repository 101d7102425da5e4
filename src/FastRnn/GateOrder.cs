namespace FastRnn;

/// <summary>
/// The order in which a framework stacks the gate blocks of a recurrent weight or bias, and how to bring them into
/// PyTorch's order, which FastRnn uses throughout. The only place the orders are written down.
/// </summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>framework</term><description>LSTM · GRU · RNN</description></listheader>
/// <item><term>PyTorch</term><description>i, f, g, o · r, z, n · h</description></item>
/// <item><term>ONNX</term><description>i, o, f, c · z, r, h · i (peepholes i, o, f; FastRnn's i, f, o)</description></item>
/// <item><term>Keras</term><description>i, f, c, o · z, r, h · h</description></item>
/// </list>
/// ONNX's and Keras's c is PyTorch's g and their h (GRU) is PyTorch's n; all three compute
/// h' = z ⊙ h + (1 − z) ⊙ ĥ, so z keeps its meaning across them.
/// </remarks>
public sealed class GateOrder
{
    private readonly string[] _gates;
    private readonly int[] _source; // PyTorch block t is block _source[t] of this order

    private GateOrder(string framework, string[] gates, string[] asPyTorch, string[] pyTorch)
    {
        Framework = framework;
        _gates = gates;
        _source = pyTorch.Select(g => Array.IndexOf(asPyTorch, g)).ToArray();
    }

    /// <summary>"PyTorch", "ONNX" or "Keras".</summary>
    public string Framework { get; }

    /// <summary>The gates in this framework's block order, by its own names (ONNX LSTM: i, o, f, c).</summary>
    public IReadOnlyList<string> Gates => _gates;

    /// <summary>The block of this order that holds PyTorch's block <paramref name="pyTorchBlock"/>.</summary>
    public int SourceBlock(int pyTorchBlock) => _source[pyTorchBlock];

    /// <summary>PyTorch's order: LSTM i, f, g, o; GRU r, z, n; RNN h.</summary>
    public static GateOrder PyTorch(RecurrentKind kind) => kind switch
    {
        RecurrentKind.Lstm => PyTorchLstm,
        RecurrentKind.Gru => PyTorchGru,
        _ => PyTorchRnn,
    };

    /// <summary>ONNX's order: LSTM i, o, f, c; GRU z, r, h; RNN i.</summary>
    public static GateOrder Onnx(RecurrentKind kind) => kind switch
    {
        RecurrentKind.Lstm => OnnxLstm,
        RecurrentKind.Gru => OnnxGru,
        _ => OnnxRnn,
    };

    /// <summary>Keras's order: LSTM i, f, c, o; GRU z, r, h; SimpleRNN h.</summary>
    public static GateOrder Keras(RecurrentKind kind) => kind switch
    {
        RecurrentKind.Lstm => KerasLstm,
        RecurrentKind.Gru => KerasGru,
        _ => KerasRnn,
    };

    /// <summary>ONNX's peephole blocks i, o, f, brought into FastRnn's <c>peephole_l{k}</c> order i, f, o.</summary>
    public static GateOrder OnnxPeepholes { get; } = new("ONNX", ["i", "o", "f"], ["i", "o", "f"], ["i", "f", "o"]);

    /// <summary>
    /// The blocks of <paramref name="blocks"/> (each <paramref name="blockLength"/> floats: a bias block, or a weight
    /// block of rows) in PyTorch's order.
    /// </summary>
    /// <exception cref="ArgumentException">The data is not one block per gate.</exception>
    public float[] ToPyTorch(ReadOnlySpan<float> blocks, int blockLength)
    {
        if (blockLength < 0 || blocks.Length != (long)_source.Length * blockLength)
            throw new ArgumentException($"{blocks.Length} floats are not {_source.Length} gate blocks of {blockLength}", nameof(blocks));
        var result = new float[blocks.Length];
        for (int t = 0; t < _source.Length; t++)
            blocks.Slice(_source[t] * blockLength, blockLength).CopyTo(result.AsSpan(t * blockLength, blockLength));
        return result;
    }

    /// <summary>
    /// The inverse of <see cref="ToPyTorch"/>: PyTorch-ordered blocks of <paramref name="pyTorch"/> (each
    /// <paramref name="blockLength"/> elements) in this framework's order, for writing a model another framework reads.
    /// </summary>
    /// <exception cref="ArgumentException">The data is not one block per gate.</exception>
    public T[] FromPyTorch<T>(ReadOnlySpan<T> pyTorch, int blockLength)
    {
        if (blockLength < 0 || pyTorch.Length != (long)_source.Length * blockLength)
            throw new ArgumentException($"{pyTorch.Length} values are not {_source.Length} gate blocks of {blockLength}", nameof(pyTorch));
        var result = new T[pyTorch.Length];
        for (int t = 0; t < _source.Length; t++)
            pyTorch.Slice(t * blockLength, blockLength).CopyTo(result.AsSpan(_source[t] * blockLength, blockLength));
        return result;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Framework}: {string.Join(", ", _gates)}";

    private static readonly string[] LstmGates = ["i", "f", "g", "o"];
    private static readonly string[] GruGates = ["r", "z", "n"];
    private static readonly string[] RnnGates = ["h"];

    private static readonly GateOrder PyTorchLstm = new("PyTorch", LstmGates, LstmGates, LstmGates);
    private static readonly GateOrder PyTorchGru = new("PyTorch", GruGates, GruGates, GruGates);
    private static readonly GateOrder PyTorchRnn = new("PyTorch", RnnGates, RnnGates, RnnGates);
    private static readonly GateOrder OnnxLstm = new("ONNX", ["i", "o", "f", "c"], ["i", "o", "f", "g"], LstmGates);
    private static readonly GateOrder OnnxGru = new("ONNX", ["z", "r", "h"], ["z", "r", "n"], GruGates);
    private static readonly GateOrder OnnxRnn = new("ONNX", ["i"], RnnGates, RnnGates);
    private static readonly GateOrder KerasLstm = new("Keras", ["i", "f", "c", "o"], LstmGates, LstmGates);
    private static readonly GateOrder KerasGru = new("Keras", ["z", "r", "h"], ["z", "r", "n"], GruGates);
    private static readonly GateOrder KerasRnn = new("Keras", RnnGates, RnnGates, RnnGates);
}
