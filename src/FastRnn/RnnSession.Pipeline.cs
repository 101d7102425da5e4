using System.Runtime.CompilerServices;
using FastRnn.Layers;
using FastRnn.Runtime;

namespace FastRnn;

// A stack's layer l + 1 needs layer l's output at step t only, not the whole sequence: on two threads, thread l % 2
// runs layer l in chunks of PipelineChunk steps (each chunk's input projection, then its recurrence) and publishes how
// far it has got; layer l + 1 starts a chunk once layer l has finished it. Each layer runs the kernels one thread runs,
// with a one-thread team and buffers of its own, so the bits are one thread's, and there is one hand-over per piece
// instead of a barrier per product per step. Splitting every product by panels does not split recurrences under
// 2^17 multiply-adds at all (hidden 128 and below at one stream), so those stacks got nothing from a second thread.
public sealed partial class RnnSession
{
    /// <summary>Steps a layer runs before the next layer may start on them (a chunk has at most one more).</summary>
    private const int PipelineChunk = 16;

    /// <summary>
    /// Whether a session of this batch on this many threads runs its stack's layers a chunk apart: two threads, a
    /// forward stack of two layers or more, and every layer's recurrence too small for the team to split (B · G·H · H_out
    /// under <see cref="WorkerTeam.MinParallelMultiplyAdds"/>), so that a second thread would otherwise leave it on the
    /// caller. Larger layers split each product by panels instead, which measured as fast or faster (Zen 5, two-layer
    /// LSTM, T = 256, µs a step, split / a chunk apart: hidden 64 1.28-1.35 / 0.70-0.86, 128 4.3-5.6 / 3.2-3.3, 256
    /// 13.9-19.0 / 13.9-17.7, 512 63-78 / 83-85).
    /// </summary>
    private static bool PipelinesLayers(RnnModel model, int threads, int batch)
    {
        RnnConfig c = model.Config;
        if (threads != 2 || c.Bidirectional || c.Reverse || c.NumLayers < 2)
            return false;
        for (int layer = 0; layer < c.NumLayers; layer++)
        {
            RecurrentCell cell = model.Cell(layer, 0);
            if ((long)batch * cell.GateRows * cell.OutputSize >= WorkerTeam.MinParallelMultiplyAdds)
                return false;
        }
        return true;
    }

    // Whether this piece is worth pipelining: every stream T long (ragged pieces run layer by layer), at least two
    // chunks to overlap, and the top layer's products over the piece at least the smallest product the team would split.
    private bool RunsLayersTogether(int steps, ReadOnlySpan<int> lengths)
    {
        // Its parts wait on each other, so both threads must really run at once.
        if (_pipeline is null || !_team.RunsConcurrently || !lengths.IsEmpty || steps < 2 * PipelineChunk)
            return false;
        RecurrentCell top = _model.Cell(_config.NumLayers - 1, 0);
        return (long)steps * BatchSize * top.GateRows * (top.InputSize + top.OutputSize) >= WorkerTeam.MinParallelMultiplyAdds;
    }

    // Where chunk [start, ..) of a piece of `steps` steps ends. A chunk of one vector would take the one-vector product,
    // which sums in another order than the tiled one the whole piece's projection uses, so a last chunk of one step
    // of one stream joins the chunk before.
    private int ChunkEnd(int start, int steps)
    {
        int end = Math.Min(steps, start + PipelineChunk);
        return BatchSize == 1 && steps - end == 1 ? steps : end;
    }

    /// <summary>
    /// Runs a piece's layers a chunk apart: layers 0, 2, … on the calling thread, 1, 3, … on the worker, each on its
    /// thread's one-thread team and buffers. The spans are pinned for the hand-over.
    /// </summary>
    private sealed unsafe class LayersTogether(RnnSession session) : ITeamTask
    {
        private readonly int[] _progress = new int[session._config.NumLayers]; // steps of the piece each layer has finished
        private volatile bool _abandoned; // a layer failed: the other thread stops waiting for it

        // The piece in flight: written by Run before the hand-over, read by both threads until it returns.
        private float* _input, _output, _layerOut;
        private int* _tokens;
        private int _inputLength, _outputLength, _layerOutLength, _tokensLength, _steps;
        private EmbeddingProjection? _projection;

        public void Run(ReadOnlySpan<float> input, ReadOnlySpan<int> tokens, EmbeddingProjection? projection, Span<float> output, Span<float> layerOut, int steps)
        {
            fixed (float* pi = input, po = output, pl = layerOut)
            fixed (int* pt = tokens)
            {
                _input = pi;
                _output = po;
                _layerOut = pl;
                _tokens = pt;
                (_inputLength, _outputLength, _layerOutLength, _tokensLength) = (input.Length, output.Length, layerOut.Length, tokens.Length);
                (_steps, _projection) = (steps, projection);
                Array.Clear(_progress);
                _abandoned = false;
                try
                {
                    session.PiecesPipelined++;
                    session._team.RunTogether(this);
                }
                finally
                {
                    _projection = null;
                    _input = _output = _layerOut = null;
                    _tokens = null;
                }
            }
        }

        public void Run(int index)
        {
            if (index > 1)
                return;
            try
            {
                for (int layer = index; layer < session._config.NumLayers; layer += 2)
                {
                    if (!RunLayer(index, layer))
                        return;
                }
            }
            catch
            {
                _abandoned = true;
                throw;
            }
        }

        // Layer `layer` over the piece, chunk by chunk; false if the layer below failed meanwhile.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private bool RunLayer(int index, int layer)
        {
            RnnSession s = session;
            int batch = s.BatchSize, layers = s._config.NumLayers, steps = _steps;
            WorkerTeam team = s._soloTeams![index];
            DirectionBuffers buffers = s._buffers[index];
            RecurrentCell cell = s._model.Cell(layer, 0);
            int xWidth = layer == 0 ? s._config.InputSize : s._config.OutputSize;
            ReadOnlySpan<float> x = layer == 0 ? new ReadOnlySpan<float>(_input, _inputLength) : LayerOutput(layer - 1, layers);
            ReadOnlySpan<int> tokens = new(_tokens, _tokensLength);
            Span<float> y = LayerOutput(layer, layers), gates = s._arena[buffers.Gates];
            var spin = new SpinWait();
            for (int start = 0; start < steps;)
            {
                int end = s.ChunkEnd(start, steps), rows = (end - start) * batch;
                if (layer > 0)
                {
                    while (Volatile.Read(ref _progress[layer - 1]) < end)
                    {
                        if (_abandoned)
                            return false;
                        spin.SpinOnce(sleep1Threshold: -1);
                    }
                }
                Span<float> chunkGates = gates[..(rows * cell.GateRows)];
                ProjectRows(team, cell, layer, 0, x, xWidth, tokens, _projection, start * batch, rows, chunkGates);
                s.Recur(team, buffers, cell, layer, 0, chunkGates, y, start, end, backward: false);
                Volatile.Write(ref _progress[layer], end);
                start = end;
            }
            return true;
        }

        // The buffer layer `layer` writes, as RunPiece arranges them: the top layer the output, the others alternately.
        private Span<float> LayerOutput(int layer, int layers)
            => (layers - 1 - layer) % 2 == 0
                ? new Span<float>(_output, _outputLength)
                : new Span<float>(_layerOut, _layerOutLength);
    }

    /// <summary>Pieces run with their layers a chunk apart since the session was created, for tests.</summary>
    internal long PiecesPipelined { get; private set; }
}
