using System.Runtime.CompilerServices;
using FastRnn.Kernels;
using FastRnn.Layers;
using FastRnn.Runtime;

namespace FastRnn;

// A bidirectional layer's two directions are independent until the next layer reads both: on two threads each runs
// one whole direction, projection and recurrence, as one thread would run it (the same kernels, so the same bits),
// with one hand-over per layer instead of a barrier at every step. Splitting every product by panels instead pays a
// barrier per step, and below MinParallelMultiplyAdds per product does not split at all, so small layers got nothing
// from a second thread.
public sealed partial class RnnSession
{
    /// <summary>The buffers one direction's run works in: gx of the whole run, a step's scratch, and the ragged gather and save.</summary>
    private readonly record struct DirectionBuffers(ArenaSlice Gates, ArenaSlice Scratch, ArenaSlice StepGates, ArenaSlice Saved);

    /// <summary>
    /// Whether a session with this many threads may run a bidirectional layer's directions side by side (and so needs
    /// a second set of direction buffers): two threads, and at least one layer whose two recurrent matrices fit the
    /// cache together (<see cref="FitTogether"/>). With more threads the directions run one after the other, each
    /// product split across all of them.
    /// </summary>
    private static bool PairsDirections(RnnModel model, int threads)
    {
        if (!model.Config.Bidirectional || threads != 2)
            return false;
        for (int layer = 0; layer < model.Config.NumLayers; layer++)
        {
            if (FitTogether(model, layer))
                return true;
        }
        return false;
    }

    // Whether both directions' recurrent matrices, read at every step, stay in the shared cache together. Beyond that,
    // side by side they evict each other and both stream from DRAM, while split by panels one direction's matrix stays
    // cached at a time (Zen 5, bidirectional LSTM 1024, 2 × 16 MiB of W_hh: 295-316 µs a step split by panels,
    // 579-601 side by side; 512, 2 × 4 MiB: the same either way; 256: 9.7-10.8 against 10.5-12.8).
    private static bool FitTogether(RnnModel model, int layer)
        => !KernelSelector.StreamsFromMemory(model.Cell(layer, 0).RecurrentWeightBytes + model.Cell(layer, 1).RecurrentWeightBytes);

    // Whether this layer's directions go to the two threads: they fit the cache together, and each direction's
    // products over the piece (counted as its input projection and recurrence, G·H × (input + H_out) per row) are
    // at least the smallest product the team would split.
    private bool RunsDirectionsTogether(int layer, int xWidth, int steps)
    {
        if (_together is null)
            return false;
        RecurrentCell forward = _model.Cell(layer, 0);
        return (long)steps * BatchSize * forward.GateRows * (xWidth + forward.OutputSize) >= WorkerTeam.MinParallelMultiplyAdds
            && FitTogether(_model, layer);
    }

    /// <summary>Layers run with their directions side by side since the session was created, for tests.</summary>
    internal long LayersRunSideBySide { get; private set; }

    // One direction of one layer over the whole piece, on `team`, in `buffers`: the input projection (or the table
    // rows of the tokens) for every step, then the recurrence.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunDirection(WorkerTeam team, in DirectionBuffers buffers, int layer, int d, ReadOnlySpan<float> x, int xWidth,
                              ReadOnlySpan<int> tokens, EmbeddingProjection? projection, Span<float> y, int steps, ReadOnlySpan<int> lengths)
    {
        RecurrentCell cell = _model.Cell(layer, d);
        Span<float> gates = _arena[buffers.Gates][..(steps * BatchSize * cell.GateRows)];
        ProjectRows(team, cell, layer, d, x, xWidth, tokens, projection, 0, steps * BatchSize, gates);
        bool backward = d == 1 || _config.Reverse;
        if (lengths.IsEmpty)
            Recur(team, buffers, cell, layer, d, gates, y, 0, steps, backward);
        else
            RecurRagged(team, buffers, cell, layer, d, gates, y, steps, backward, lengths);
    }

    // gx of rows first .. first + count − 1 of a piece (row t·B + b is step t of stream b) into gates: the tokens' table
    // rows for a first layer fed through its embedding, else W_ih x for those rows.
    private static void ProjectRows(WorkerTeam team, RecurrentCell cell, int layer, int d, ReadOnlySpan<float> x, int xWidth,
                                    ReadOnlySpan<int> tokens, EmbeddingProjection? projection, int first, int count, Span<float> gates)
    {
        if (layer == 0 && projection is not null)
            projection.Gather(d, tokens.Slice(first, count), gates);
        else
            cell.ProjectInputs(team, x.Slice(first * xWidth, count * xWidth), xWidth, count, gates);
    }

    /// <summary>
    /// Runs one layer's two directions at once, direction 0 on the calling thread and direction 1 on the worker, each
    /// with its own one-thread team (so its own sweep order) and buffers. The spans are pinned for the hand-over.
    /// </summary>
    private sealed unsafe class DirectionsTogether(RnnSession session) : ITeamTask
    {
        // The layer in flight: written by RunLayer before the hand-over, read by both threads until it returns.
        private float* _x, _y;
        private int* _tokens, _lengths;
        private int _xLength, _yLength, _tokensLength, _lengthsLength;
        private int _layer, _xWidth, _steps;
        private EmbeddingProjection? _projection;

        public void RunLayer(int layer, ReadOnlySpan<float> x, int xWidth, ReadOnlySpan<int> tokens, EmbeddingProjection? projection,
                             Span<float> y, int steps, ReadOnlySpan<int> lengths)
        {
            fixed (float* px = x, py = y)
            fixed (int* pt = tokens, pl = lengths)
            {
                _x = px;
                _y = py;
                _tokens = pt;
                _lengths = pl;
                (_xLength, _yLength, _tokensLength, _lengthsLength) = (x.Length, y.Length, tokens.Length, lengths.Length);
                (_layer, _xWidth, _steps, _projection) = (layer, xWidth, steps, projection);
                try
                {
                    session.LayersRunSideBySide++;
                    session._team.RunTogether(this);
                }
                finally
                {
                    _projection = null;
                    _x = _y = null;
                    _tokens = _lengths = null;
                }
            }
        }

        public void Run(int index)
        {
            if (index > 1)
                return;
            session.RunDirection(session._soloTeams![index], session._buffers[index], _layer, index,
                new ReadOnlySpan<float>(_x, _xLength), _xWidth, new ReadOnlySpan<int>(_tokens, _tokensLength), _projection,
                new Span<float>(_y, _yLength), _steps, new ReadOnlySpan<int>(_lengths, _lengthsLength));
        }
    }
}
