namespace FastRnn.Import;

/// <summary>
/// What the importer knows about one value of an ONNX graph while it walks the nodes. It does not compute tensors;
/// it tracks where each value comes from and how its axes relate to time, batch, direction and hidden units.
/// </summary>
internal abstract record TracedValue;

/// <summary>Known contents: an initializer, a Constant, or folded from them.</summary>
internal sealed record ConstValue(ConstTensor Tensor) : TracedValue;

/// <summary>
/// A small int64 vector (or scalar) computed from shapes, some of whose entries are sizes known only at run time
/// (say the batch size): what exporters build with Shape, Gather, Unsqueeze and Concat to size a zero state.
/// </summary>
internal sealed record DimsValue(Dim[] Dims, bool IsScalar) : TracedValue;

/// <summary>All zeros, of a shape only known at run time (ConstantOfShape or Expand of a zero).</summary>
internal sealed record ZerosValue : TracedValue;

/// <summary>
/// Data that flows through the recurrent layers: a graph input, or an output (Y, Y_h, Y_c) of a recurrent node, with
/// what each of its axes holds. For states, <paramref name="SlotStart"/> and <paramref name="SlotCount"/> say which
/// of the stack's L·D state slots it holds, even after a size-1 slot axis was squeezed away.
/// </summary>
internal sealed record StreamValue(StreamSource Source, StreamAxis[] Axes, int SlotStart = 0, int SlotCount = 0) : TracedValue
{
    public StreamValue WithAxes(StreamAxis[] axes) => this with { Axes = axes };
}

/// <summary>One entry of a <see cref="DimsValue"/>: a known number, or the run-time size of a stream axis.</summary>
internal readonly record struct Dim(long Value, StreamAxis? Axis)
{
    public bool IsKnown => Axis is null;

    public static Dim Known(long value) => new(value, null);

    public static Dim Of(StreamAxis axis) => axis.Size >= 0 ? Known(axis.Size) : new Dim(-1, axis);
}

/// <param name="Kind">A graph input, or a recurrent node's Y, Y_h or Y_c.</param>
/// <param name="Name">The graph input's name, or the node's output name.</param>
/// <param name="Layer">The recurrent node's position in the stack; −1 for a graph input.</param>
internal sealed record StreamSource(StreamKind Kind, string Name, int Layer);

internal enum StreamKind
{
    GraphInput,
    Sequence,
    Hidden,
    Cell,
}

/// <summary>
/// One axis of a <see cref="StreamValue"/>. A graph input's axes are <see cref="AxisRole.Open"/> until a recurrent
/// node consumes the input and so says what they are; <paramref name="InputAxis"/> is then the graph input's axis and
/// <paramref name="SliceStart"/>/<paramref name="SliceCount"/> the part a Slice kept (−1: to the end).
/// </summary>
/// <param name="Role">What the axis holds.</param>
/// <param name="Size">Its length, −1 when known only at run time.</param>
/// <param name="InputAxis">For an open axis, the graph input's axis.</param>
/// <param name="SliceStart">For an open axis, the first index a Slice kept.</param>
/// <param name="SliceCount">For an open axis, how many indices a Slice kept; −1 for all.</param>
internal readonly record struct StreamAxis(AxisRole Role, long Size, int InputAxis = -1, long SliceStart = 0, long SliceCount = -1)
{
    public static StreamAxis One => new(AxisRole.One, 1);

    /// <summary>Whether the axis certainly has length 1 (so Squeeze may drop it and Reshape may absorb it).</summary>
    public bool IsUnit => Size == 1 && Role is AxisRole.One or AxisRole.Directions or AxisRole.Slots or AxisRole.Open;

    public bool IsWholeInputAxis => Role == AxisRole.Open && SliceStart == 0 && SliceCount < 0;
}

internal enum AxisRole
{
    Open,
    One,
    Time,
    Batch,
    Directions,
    Hidden,
    Features,
    Slots,
}
