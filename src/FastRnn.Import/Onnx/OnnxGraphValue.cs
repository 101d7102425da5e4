using FastRnn.Layers;

namespace FastRnn.Import;

/// <summary>
/// One input or output of an imported ONNX graph: its name, what it carries and how its axes map onto FastRnn's
/// layouts, so a caller can move data between the graph's shapes and a session's.
/// </summary>
/// <remarks>
/// FastRnn's layouts: a sequence input (T, B, I), a sequence output (T, B, D·H), a state (L·D, B, H)
/// (<see cref="RnnSession.SetState"/>, <see cref="RnnSession.HiddenState"/>, <see cref="RnnSession.CellState"/>).
/// The graph's own layout is <see cref="Axes"/>, outermost first: ONNX <c>Y</c> with layout 0 is
/// (<see cref="OnnxAxis.Time"/>, <see cref="OnnxAxis.Directions"/>, <see cref="OnnxAxis.Batch"/>, <see cref="OnnxAxis.Hidden"/>),
/// a PyTorch export's output is (Time, Batch, Features), a batch-major input is (Batch, Time, Features).
/// </remarks>
/// <param name="Name">The graph's name for the value.</param>
/// <param name="Role">What it carries.</param>
/// <param name="Axes">Its axes, outermost first.</param>
public sealed record OnnxGraphValue(string Name, OnnxValueRole Role, IReadOnlyList<OnnxAxis> Axes)
{
    /// <summary>Whether this is a graph input (runtime data the caller supplies) rather than a graph output.</summary>
    public bool IsInput { get; init; }

    /// <summary>For a state: the first of the L·D state slots it covers (layer · D + direction).</summary>
    public int FirstState { get; init; }

    /// <summary>For a state: how many state slots it covers (L·D for a whole stack, D for one layer).</summary>
    public int StateCount { get; init; }

    /// <summary>The shape the graph declares, −1 for a symbolic or unknown dimension; empty when none is declared.</summary>
    public IReadOnlyList<long> DeclaredShape { get; init; } = [];

    /// <summary>The shape of this value for <paramref name="steps"/> time steps and <paramref name="batch"/> streams.</summary>
    public int[] Shape(RnnConfig config, int steps, int batch)
        => Layout(config, steps, batch).Select(a => a.Size).ToArray();

    /// <summary>
    /// Copies an input in the graph's layout (<paramref name="value"/>) to FastRnn's: a sequence to (T, B, I), a state
    /// to its slots of (L·D, B, H) (the other slots of <paramref name="engine"/> are left alone).
    /// </summary>
    /// <exception cref="ArgumentException">A span has the wrong length, or the value is an output or lengths.</exception>
    public void ToEngine(ReadOnlySpan<float> value, Span<float> engine, RnnConfig config, int steps, int batch)
    {
        if (!IsInput)
            throw new ArgumentException($"'{Name}' is a graph output; FromEngine fills it", nameof(value));
        (int Size, int Stride)[] axes = Layout(config, steps, batch);
        CheckLengths(value.Length, engine.Length, axes, config, steps, batch);
        int offset = Offset(config, batch);
        foreach ((int v, int e) in Pairs(axes))
            engine[offset + e] = value[v];
    }

    /// <summary>
    /// Copies an output from FastRnn's layout to the graph's (<paramref name="value"/>): a sequence from (T, B, D·H), a
    /// state from its slots of (L·D, B, H).
    /// </summary>
    /// <exception cref="ArgumentException">A span has the wrong length, or the value is an input.</exception>
    public void FromEngine(ReadOnlySpan<float> engine, Span<float> value, RnnConfig config, int steps, int batch)
    {
        if (IsInput)
            throw new ArgumentException($"'{Name}' is a graph input; ToEngine reads it", nameof(value));
        (int Size, int Stride)[] axes = Layout(config, steps, batch);
        CheckLengths(value.Length, engine.Length, axes, config, steps, batch);
        int offset = Offset(config, batch);
        foreach ((int v, int e) in Pairs(axes))
            value[v] = engine[offset + e];
    }

    private int Offset(RnnConfig config, int batch) => Role is OnnxValueRole.Hidden or OnnxValueRole.Cell ? FirstState * batch * config.HiddenSize : 0;

    /// <summary>Size and stride in FastRnn's layout of every axis.</summary>
    private (int Size, int Stride)[] Layout(RnnConfig config, int steps, int batch)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        int h = config.HiddenSize, d = config.Directions;
        int channels = Role == OnnxValueRole.Sequence && IsInput ? config.InputSize : d * h;
        return Axes.Select(a => Role switch
        {
            OnnxValueRole.Sequence => a switch
            {
                OnnxAxis.Time => (steps, batch * channels),
                OnnxAxis.Batch => (batch, channels),
                OnnxAxis.Features => (channels, 1),
                OnnxAxis.Directions => (d, h),
                OnnxAxis.Hidden => (h, 1),
                _ => (1, 0),
            },
            OnnxValueRole.SequenceLengths => a == OnnxAxis.Batch ? (batch, 1) : (1, 0),
            _ => a switch
            {
                OnnxAxis.States => (StateCount, batch * h),
                OnnxAxis.Batch => (batch, h),
                OnnxAxis.Hidden => (h, 1),
                _ => (1, 0),
            },
        }).ToArray();
    }

    private void CheckLengths(int valueLength, int engineLength, (int Size, int Stride)[] axes, RnnConfig config, int steps, int batch)
    {
        if (Role == OnnxValueRole.SequenceLengths)
            throw new ArgumentException($"'{Name}' holds sequence lengths, which are passed to RnnSession.Run as they are", nameof(Role));
        long expected = axes.Aggregate(1L, (p, a) => p * a.Size);
        if (valueLength != expected)
            throw new ArgumentException($"'{Name}' has {expected} elements for T = {steps}, B = {batch}; the span has {valueLength}", "value");
        long engine = Role == OnnxValueRole.Sequence
            ? (long)steps * batch * (IsInput ? config.InputSize : config.OutputSize)
            : (long)config.NumLayers * config.Directions * batch * config.HiddenSize;
        if (engineLength != engine)
            throw new ArgumentException($"FastRnn's {(Role == OnnxValueRole.Sequence ? IsInput ? "input (T, B, I)" : "output (T, B, D·H)" : "state (L·D, B, H)")} has {engine} elements; the span has {engineLength}", "engine");
    }

    /// <summary>(index in the graph's layout, index in FastRnn's) for every element, in the graph's row-major order.</summary>
    private static IEnumerable<(int Value, int Engine)> Pairs((int Size, int Stride)[] axes)
    {
        if (axes.Any(a => a.Size == 0))
            yield break;
        var index = new int[axes.Length];
        int value = 0, engine = 0;
        while (true)
        {
            yield return (value++, engine);
            int k = axes.Length - 1;
            for (; k >= 0; k--)
            {
                engine += axes[k].Stride;
                if (++index[k] < axes[k].Size)
                    break;
                engine -= axes[k].Stride * axes[k].Size;
                index[k] = 0;
            }
            if (k < 0)
                yield break;
        }
    }
}
