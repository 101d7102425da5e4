using FastRnn.Graph.Ops;
using FastRnn.Runtime;

namespace FastRnn.Graph;

/// <summary>
/// Where every value and every node's scratch lives in one session arena. Inputs and outputs get their own slices;
/// intermediates share memory by liveness: a value occupies its slice from the node that writes it to the last node
/// that reads it (or reads a view of it), and slices whose lifetimes do not overlap may coincide. A node's outputs
/// are live while its inputs are, so no kernel ever writes over what it reads.
/// </summary>
internal sealed class GraphPlan
{
    private const int AlignmentFloats = 16; // 64 bytes: every slice starts on a cache line

    private GraphPlan(ValueLocation[] locations, ArenaSlice[] scratch, int arenaLength, int[] int64Lengths, long unplannedLength)
    {
        Locations = locations;
        Scratch = scratch;
        ArenaLength = arenaLength;
        Int64Lengths = int64Lengths;
        UnplannedLength = unplannedLength;
    }

    public ValueLocation[] Locations { get; }

    /// <summary>Each node's scratch slice (length 0 for none).</summary>
    public ArenaSlice[] Scratch { get; }

    /// <summary>Floats in a session's arena.</summary>
    public int ArenaLength { get; }

    /// <summary>Element counts of the int64 input buffers, by slot.</summary>
    public int[] Int64Lengths { get; }

    /// <summary>Floats the same buffers would take without sharing by liveness (for <c>fastrnn inspect</c>).</summary>
    public long UnplannedLength { get; }

    public static GraphPlan Build(GraphDefinition graph, GraphKernel[] kernels)
    {
        int count = graph.Values.Count;
        var locations = new ValueLocation[count];
        var root = Enumerable.Range(0, count).ToArray();
        var shift = new int[count]; // a view's first element within its root
        var producer = Enumerable.Repeat(-1, count).ToArray();
        var lastUse = Enumerable.Repeat(-1, count).ToArray();
        for (int n = 0; n < graph.Nodes.Count; n++)
        {
            GraphNode node = graph.Nodes[n];
            foreach (int input in node.Inputs.Where(i => i >= 0))
                lastUse[root[input]] = n;
            foreach (int output in node.Outputs)
                producer[output] = n;
            if (kernels[n].IsView)
            {
                root[node.Outputs[0]] = root[node.Inputs[0]];
                shift[node.Outputs[0]] = shift[node.Inputs[0]] + kernels[n].ViewOffset;
            }
        }

        var int64Lengths = new List<int>();
        long offset = 0;
        long Reserve(long length)
        {
            long at = Align(offset);
            offset = at + length;
            return at;
        }

        var persistent = new HashSet<int>(graph.Inputs.Concat(graph.Outputs));
        foreach (int v in Enumerable.Range(0, count).Where(v => root[v] == v))
        {
            GraphValue value = graph.Values[v];
            if (graph.Constants.ContainsKey(v))
                locations[v] = new ValueLocation(LocationKind.Constant, v, 0, value.Length);
            else if (value.Type == GraphElementType.Int64)
            {
                // Ids and indices: few and small, so each keeps a buffer of its own rather than joining the arena plan.
                locations[v] = new ValueLocation(LocationKind.Int64, int64Lengths.Count, 0, value.Length);
                int64Lengths.Add(value.Length);
            }
            else if (persistent.Contains(v))
                locations[v] = new ValueLocation(LocationKind.Arena, 0, (int)Reserve(value.Length), value.Length);
        }

        // Intermediates and scratch, first fit in the order they come alive.
        long shared = Align(offset);
        long top = shared;
        long unplanned = offset;
        var live = new List<(long Offset, long Length, int End)>();
        var scratch = new ArenaSlice[graph.Nodes.Count];
        long Place(long length, int now, int end)
        {
            live.RemoveAll(x => x.End < now);
            live.Sort((p, q) => p.Offset.CompareTo(q.Offset));
            long at = shared;
            foreach ((long o, long l, _) in live)
            {
                if (at + length <= o)
                    break;
                at = Math.Max(at, Align(o + l));
            }
            live.Add((at, length, end));
            top = Math.Max(top, at + length);
            unplanned += length;
            return at;
        }
        for (int n = 0; n < graph.Nodes.Count; n++)
        {
            foreach (int v in graph.Nodes[n].Outputs.Where(v => root[v] == v && !persistent.Contains(v) && graph.Values[v].Type == GraphElementType.Float32))
            {
                int length = graph.Values[v].Length;
                locations[v] = new ValueLocation(LocationKind.Arena, 0, (int)Place(length, n, Math.Max(lastUse[v], n)), length);
            }
            int scratchLength = kernels[n].ScratchLength;
            scratch[n] = scratchLength == 0 ? default : new ArenaSlice((int)Place(scratchLength, n, n), scratchLength);
        }
        if (top > Array.MaxLength)
            throw GraphErrors.Graph($"its buffers need {top} floats, more than one array holds");

        for (int v = 0; v < count; v++)
        {
            if (root[v] != v)
            {
                ValueLocation r = locations[root[v]];
                locations[v] = r with { Offset = r.Offset + shift[v], Length = graph.Values[v].Length };
            }
        }
        return new GraphPlan(locations, scratch, (int)top, [.. int64Lengths], unplanned);
    }

    private static long Align(long offset) => (offset + AlignmentFloats - 1) / AlignmentFloats * AlignmentFloats;
}
