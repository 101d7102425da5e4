using FastRnn.Layers;
using FastRnn.Runtime;

namespace FastRnn;

/// <summary>
/// The mutable half of a model: the recurrent state of B streams and every scratch buffer, in one arena sized at
/// creation. <see cref="Step"/>, <see cref="Run(ReadOnlySpan{float}, Span{float})"/>, <see cref="Reset"/> and the state accessors allocate nothing.
/// Not thread-safe: use one session per thread (sessions of one model share its weights).
/// </summary>
/// <remarks>
/// Layouts follow PyTorch's time-major conventions, flattened row-major:
/// input (T, B, I), output (T, B, D·H_out), hidden state (L·D, B, H_out), cell state (L·D, B, H).
/// <para>The hot path is compiled fully optimised on first use (<c>AggressiveOptimization</c>) rather than through
/// tiered compilation, so the first steps of a stream are as fast as the thousandth.</para>
/// </remarks>
public sealed partial class RnnSession : IDisposable
{
    /// <summary>Default longest sequence one <see cref="Run(ReadOnlySpan{float}, Span{float})"/> call processes in one piece.</summary>
    public const int DefaultMaxSequenceLength = 256;

    private readonly RnnModel _model;
    private readonly RnnConfig _config;
    private readonly Arena _arena;
    private readonly ArenaSlice _hidden;   // (L·D, B, H_out)
    private readonly ArenaSlice _cell;     // (L·D, B, H), empty unless LSTM
    private readonly ArenaSlice _layerOut; // (maxT·B, D·H_out): the intermediate layer's outputs, if L > 1
    private readonly ArenaSlice _reorder;   // a copy of the larger state, for ReorderStreams
    private readonly DirectionBuffers[] _buffers; // one set, or one per thread where directions or layers run side by side
    private readonly WorkerTeam _team;    // the caller alone, or the caller and its workers
    private readonly WorkerTeam[]? _soloTeams; // with two sets of buffers: a one-thread team for each of the two threads
    private readonly DirectionsTogether? _together; // the task that runs a layer's two directions on the two threads
    private readonly LayersTogether? _pipeline;     // the task that runs a stack's layers a chunk apart on the two threads
    private readonly int[] _defaultLengths; // (B): the model's constant sequence lengths for every stream, or empty
    private bool _disposed;

    /// <summary>The most intra-op threads a session takes: beyond a few per core they only contend.</summary>
    public static int MaxThreads => 4 * Environment.ProcessorCount;

    internal RnnSession(RnnModel model, int batchSize, int maxSequenceLength, int threads = 1)
    {
        if (threads < 1 || threads > MaxThreads)
            throw Errors.Threads(threads, MaxThreads);
        if (batchSize < 1 || batchSize > 65536)
            throw Errors.BatchSize(batchSize);
        if (maxSequenceLength < 1)
            throw Errors.MaxSequenceLength(maxSequenceLength);
        _model = model;
        _config = model.Config;
        if (model.InitialState is { Batch: not 1 and var stateBatch } && stateBatch != batchSize)
            throw Errors.FixedBatch("initial state", stateBatch, batchSize);
        _defaultLengths = _config.SequenceLengths switch
        {
            null => [],
            { Count: 1 } one => Enumerable.Repeat(one[0], batchSize).ToArray(),
            { Count: var n } lengths when n == batchSize => [.. lengths],
            { Count: var n } => throw Errors.FixedBatch("sequence lengths (RnnConfig.SequenceLengths)", n, batchSize),
        };
        BatchSize = batchSize;
        MaxSequenceLength = maxSequenceLength;

        var c = _config;
        long states = (long)c.NumLayers * c.Directions * batchSize;
        long rows = (long)maxSequenceLength * batchSize;
        var layout = new ArenaLayout();
        try
        {
            _hidden = layout.Reserve(states * c.OutputHiddenSize);
            _cell = layout.Reserve(c.Kind == RecurrentKind.Lstm ? states * c.HiddenSize : 0);
            _layerOut = layout.Reserve(c.NumLayers > 1 ? rows * c.OutputSize : 0);
            _reorder = layout.Reserve(states * Math.Max(c.OutputHiddenSize, c.HiddenSize));
            bool pairs = PairsDirections(model, threads), pipelines = !pairs && PipelinesLayers(model, threads, batchSize);
            _buffers = new DirectionBuffers[pairs || pipelines ? 2 : 1];
            for (int d = 0; d < _buffers.Length; d++)
            {
                // The second set of a pipelined stack holds one chunk's gate rows, not a whole piece's.
                long gateRows = d == 1 && pipelines ? Math.Min(rows, (PipelineChunk + 1L) * batchSize) : rows;
                _buffers[d] = new DirectionBuffers(
                    Gates: layout.Reserve(gateRows * c.GateCount * c.HiddenSize),
                    Scratch: layout.Reserve(model.Cells.Max(cell => cell.ScratchLength(batchSize))),
                    StepGates: layout.Reserve((long)batchSize * c.GateCount * c.HiddenSize),
                    Saved: layout.Reserve((long)batchSize * (c.OutputHiddenSize + (c.Kind == RecurrentKind.Lstm ? c.HiddenSize : 0))));
            }
        }
        catch (OutOfMemoryException e)
        {
            throw new ArgumentOutOfRangeException($"{nameof(maxSequenceLength)} = {maxSequenceLength} with batch {batchSize}: {e.Message}", e);
        }
        _arena = layout.Build();
        _team = new WorkerTeam(threads);
        if (_buffers.Length == 2)
        {
            _soloTeams = [new WorkerTeam(1), new WorkerTeam(1)];
            if (_config.Bidirectional)
                _together = new DirectionsTogether(this);
            else
                _pipeline = new LayersTogether(this);
        }
        Reset();
    }

    /// <summary>B, the number of independent streams.</summary>
    public int BatchSize { get; }

    /// <summary>The longest sequence one <see cref="Run(ReadOnlySpan{float}, Span{float})"/> handles in one piece (longer unidirectional runs are chunked).</summary>
    public int MaxSequenceLength { get; }

    /// <summary>Intra-op threads, counting the caller.</summary>
    public int Threads => _team.Threads;

    /// <summary>The session's worker threads, for tests.</summary>
    internal WorkerTeam Team => _team;

    /// <summary>The model this session runs.</summary>
    public RnnModel Model => _model;

    /// <summary>Floats per step of input for all streams: B · I.</summary>
    public int InputLength => BatchSize * _config.InputSize;

    /// <summary>Floats per step of output for all streams: B · D · H_out.</summary>
    public int OutputLength => BatchSize * _config.OutputSize;

    /// <summary>Length of the hidden state, L · D · B · H_out.</summary>
    public int HiddenStateLength => _hidden.Length;

    /// <summary>Length of the cell state, L · D · B · H for an LSTM, 0 otherwise.</summary>
    public int CellStateLength => _cell.Length;

    /// <summary>The current hidden state, (L·D, B, H_out); a live view, valid until the next call that changes it.</summary>
    public ReadOnlySpan<float> HiddenState
    {
        get
        {
            ThrowIfDisposed();
            return _arena[_hidden];
        }
    }

    /// <summary>The current cell state, (L·D, B, H); empty unless the model is an LSTM.</summary>
    public ReadOnlySpan<float> CellState
    {
        get
        {
            ThrowIfDisposed();
            return _arena[_cell];
        }
    }

    /// <summary>
    /// Sets every stream's hidden and cell state to the model's initial state: zero, PyTorch's default, unless the model
    /// carries one (<c>initial_h</c> / <c>initial_c</c>, say an ONNX graph's constants). A new session starts from it
    /// too; <see cref="SetState"/> replaces it for one run.
    /// </summary>
    public void Reset()
    {
        ThrowIfDisposed();
        if (_model.InitialState is { } initial)
        {
            initial.CopyTo(_arena[_hidden], _arena[_cell], BatchSize);
            return;
        }
        _arena[_hidden].Clear();
        _arena[_cell].Clear();
    }

    /// <summary>Copies the state out, to pause a stream or save it: h (L·D, B, H_out), c (L·D, B, H; empty unless LSTM).</summary>
    public void GetState(Span<float> hidden, Span<float> cell)
    {
        ThrowIfDisposed();
        CheckStateLengths(hidden.Length, cell.Length);
        _arena[_hidden].CopyTo(hidden);
        _arena[_cell].CopyTo(cell);
    }

    /// <summary>Replaces the state (PyTorch's h0/c0): h (L·D, B, H_out), c (L·D, B, H; empty unless LSTM).</summary>
    public void SetState(ReadOnlySpan<float> hidden, ReadOnlySpan<float> cell)
    {
        ThrowIfDisposed();
        CheckStateLengths(hidden.Length, cell.Length);
        hidden.CopyTo(_arena[_hidden]);
        cell.CopyTo(_arena[_cell]);
    }

    /// <summary>
    /// Releases the session's arena (its state and every scratch buffer) to the garbage collector; the model and its
    /// weights are untouched and stay usable by other sessions. Any later call on this session throws
    /// <see cref="ObjectDisposedException"/>. Calling it twice is harmless.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _team.Dispose();
        foreach (WorkerTeam team in _soloTeams ?? [])
            team.Dispose();
        _arena.Release();
    }

    private string HiddenLayout => $"(L·D, B, H_out) = ({_config.NumLayers * _config.Directions}, {BatchSize}, {_config.OutputHiddenSize})";

    private string CellLayout => _config.Kind == RecurrentKind.Lstm
        ? $"(L·D, B, H) = ({_config.NumLayers * _config.Directions}, {BatchSize}, {_config.HiddenSize})"
        : $"empty: a {_config.Kind} has no cell state";

    /// <summary>The top layer's hidden state of the first <paramref name="streams"/> streams (forward direction), (streams, H_out).</summary>
    internal ReadOnlySpan<float> TopHiddenRows(int streams)
        => LayerHidden(_config.NumLayers - 1, 0)[..(streams * _config.OutputHiddenSize)];

    /// <summary>
    /// Stream b takes the state stream <c>parents[b]</c> had (beam search keeping its best hypotheses); several streams
    /// may copy one parent.
    /// </summary>
    internal void ReorderStreams(ReadOnlySpan<int> parents)
    {
        Reorder(_arena[_hidden], _config.OutputHiddenSize, parents);
        Reorder(_arena[_cell], _config.HiddenSize, parents);
    }

    private void Reorder(Span<float> state, int width, ReadOnlySpan<int> parents)
    {
        if (state.IsEmpty)
            return;
        Span<float> copy = _arena[_reorder][..state.Length];
        state.CopyTo(copy);
        int block = BatchSize * width;
        for (int layer = 0; layer < state.Length / block; layer++)
        {
            for (int b = 0; b < BatchSize; b++)
                copy.Slice(layer * block + parents[b] * width, width).CopyTo(state.Slice(layer * block + b * width, width));
        }
    }

    private void CheckStateLengths(int hidden, int cell)
    {
        if (hidden != _hidden.Length)
            throw Errors.Length(nameof(hidden), hidden, _hidden.Length, HiddenLayout);
        if (cell != _cell.Length)
            throw Errors.Length(nameof(cell), cell, _cell.Length, CellLayout);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private Span<float> LayerHidden(int layer, int direction)
    {
        int size = BatchSize * _config.OutputHiddenSize;
        return _arena[_hidden].Slice((layer * _config.Directions + direction) * size, size);
    }

    private Span<float> LayerCell(int layer, int direction)
    {
        int size = _config.Kind == RecurrentKind.Lstm ? BatchSize * _config.HiddenSize : 0;
        return _arena[_cell].Slice((layer * _config.Directions + direction) * size, size);
    }
}
