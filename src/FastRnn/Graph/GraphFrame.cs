using FastRnn.Runtime;

namespace FastRnn.Graph;

/// <summary>
/// A session's storage as the kernels see it: every value's span, by value index, resolved through the plan. One per
/// session; nothing here allocates.
/// </summary>
internal sealed class GraphFrame
{
    private readonly ValueLocation[] _locations;
    private readonly float[]?[] _constants;
    private readonly AlignedBuffer _arena;
    private readonly long[][] _ints;
    private readonly ArenaSlice[] _scratch;

    public GraphFrame(GraphPlan plan, float[]?[] constants, RnnSession?[] recurrent)
    {
        _locations = plan.Locations;
        _constants = constants;
        _arena = new AlignedBuffer(plan.ArenaLength);
        // NaN, not zero: a kernel that reads a buffer before anything wrote it then shows up in every parity test.
        _arena.Span.Fill(float.NaN);
        _ints = plan.Int64Lengths.Select(n => new long[n]).ToArray();
        _scratch = plan.Scratch;
        Recurrent = recurrent;
    }

    /// <summary>The RnnSession of each recurrent node, by node index; null for other nodes.</summary>
    public RnnSession?[] Recurrent { get; }

    public ReadOnlySpan<float> In(int value)
    {
        ValueLocation at = _locations[value];
        return at.Kind == LocationKind.Constant ? _constants[at.Slot].AsSpan(at.Offset, at.Length) : _arena.Span.Slice(at.Offset, at.Length);
    }

    public Span<float> Out(int value)
    {
        ValueLocation at = _locations[value];
        return _arena.Span.Slice(at.Offset, at.Length);
    }

    public Span<long> Ints(int value) => _ints[_locations[value].Slot];

    public Span<float> Scratch(int node) => _arena.Span.Slice(_scratch[node].Offset, _scratch[node].Length);
}
