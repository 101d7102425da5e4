using FastRnn.Layers;
using FastRnn.Runtime;

namespace FastRnn.Streaming;

/// <summary>
/// Up to <see cref="Capacity"/> independent streams over one <see cref="RnnModel"/>, advanced together: each
/// <see cref="Tick"/> steps every stream that was given an input since the last tick, in one batched matrix product per
/// layer, however many streams have joined or left in between. Allocates nothing after creation. Not thread-safe
/// (<see cref="StreamBatcher"/> is the front for many threads).
/// </summary>
/// <remarks>
/// <para><b>Layout.</b> Every layer's state is one contiguous block, h (S, H_out) and c (S, H; LSTM only), one row per
/// slot. Open streams always occupy rows 0..<see cref="OpenCount"/> − 1 (closing a stream moves the last row into its
/// place), and a tick first swaps the rows of the streams with input to the front, so the batched step runs in place on
/// rows 0..n − 1. When every open stream has input — a server's usual tick — nothing moves at all; otherwise each
/// out-of-place stream costs one swap of its state rows. A handle names a stream, not a row, so rows can move freely.</para>
/// <para><b>Numbers.</b> A tick is exactly <see cref="RnnSession.Step"/> on a session of n streams: each row of a
/// batched product is computed by the same kernel whichever its position, so a stream's outputs equal, bit for bit,
/// those it gets in any session of n ≥ 2 streams (a lone stream takes the matrix–vector path, as a one-stream session
/// does). Against one stream alone in a one-stream session they differ in the last bits, since the matrix–vector and
/// matrix–matrix kernels sum in different orders.</para>
/// <para>Streams start from the model's initial state (zero, or a constant one-stream <c>initial_h</c> /
/// <c>initial_c</c>). Forward unidirectional models only.</para>
/// </remarks>
public sealed partial class StreamPool : IDisposable
{
    private readonly RnnModel _model;
    private readonly RnnConfig _config;
    private readonly Arena _arena;
    private readonly ArenaSlice _hidden;  // (L, S, H_out)
    private readonly ArenaSlice _cell;    // (L, S, H), empty unless LSTM
    private readonly ArenaSlice _input;   // (S, I): the frame each stream was given for the next tick
    private readonly ArenaSlice _gates;   // (S, G·H)
    private readonly ArenaSlice _scratch; // the largest scratch any cell asks for at batch S
    private readonly ArenaSlice _swap;    // one row of the widest state, for swapping two rows
    private readonly WorkerTeam _team;
    private readonly int[] _rowOf;        // (S) by stream id: its row, or −1 when closed
    private readonly int[] _idAt;         // (S) by row: the stream id there
    private readonly int[] _generation;   // (S) by stream id: bumped at every close
    private readonly int[] _free;         // stack of closed stream ids
    private readonly bool[] _hasInput;    // (S) by row
    private int _freeCount;
    private bool _disposed;

    /// <summary>Creates a pool of <paramref name="capacity"/> stream slots; every buffer is allocated now.</summary>
    /// <param name="model">A forward, unidirectional model.</param>
    /// <param name="capacity">S, the most streams open at once (and so the largest batch a tick steps).</param>
    /// <param name="threads">Intra-op threads for each tick's products, counting the caller, as for <see cref="RnnModel.CreateSession(int, int, int)"/>.</param>
    /// <param name="validateInputs">Refuse a frame with a NaN or ±∞ at <see cref="Submit"/>, naming the stream and the
    /// feature, instead of computing with it (which makes that stream's state NaN for every later tick), as
    /// <see cref="RnnSessionOptions.ValidateInputs"/> does for a session: for frames from outside, such as network clients.</param>
    /// <exception cref="InvalidOperationException">The model is bidirectional or reverse.</exception>
    /// <exception cref="ArgumentException">The model's initial state is for several particular streams, or an argument is out of range.</exception>
    public StreamPool(RnnModel model, int capacity, int threads = 1, bool validateInputs = false)
    {
        ValidatesInputs = validateInputs;
        ArgumentNullException.ThrowIfNull(model);
        RnnConfig c = model.Config;
        if (c.Bidirectional || c.Reverse)
            throw StreamErrors.CannotStream(c.Bidirectional);
        if (model.InitialState is { Batch: not 1 } fixedState)
            throw StreamErrors.FixedInitialState(fixedState.Batch);
        if (capacity < 1 || capacity > RnnConfig.MaxBatchSize)
            throw StreamErrors.Capacity(capacity);
        if (threads < 1 || threads > RnnSession.MaxThreads)
            throw Errors.Threads(threads, RnnSession.MaxThreads);
        _model = model;
        _config = c;
        Capacity = capacity;

        var layout = new ArenaLayout();
        try
        {
            _hidden = layout.Reserve((long)c.NumLayers * capacity * c.OutputHiddenSize);
            _cell = layout.Reserve(c.Kind == RecurrentKind.Lstm ? (long)c.NumLayers * capacity * c.HiddenSize : 0);
            _input = layout.Reserve((long)capacity * c.InputSize);
            _gates = layout.Reserve((long)capacity * c.GateCount * c.HiddenSize);
            _scratch = layout.Reserve(model.Cells.Max(cell => (long)cell.ScratchLength(capacity)));
            _swap = layout.Reserve(Math.Max(Math.Max(c.OutputHiddenSize, c.HiddenSize), c.InputSize));
            _arena = layout.Build();
        }
        catch (OutOfMemoryException e)
        {
            throw new ArgumentOutOfRangeException($"{nameof(capacity)} = {capacity}: {e.Message}", e);
        }
        _team = new WorkerTeam(threads);

        _rowOf = new int[capacity];
        _idAt = new int[capacity];
        _generation = new int[capacity];
        _free = new int[capacity];
        _hasInput = new bool[capacity];
        for (int id = 0; id < capacity; id++)
        {
            _rowOf[id] = -1;
            _generation[id] = 1; // so that default(StreamHandle) never names an open stream
            _free[id] = capacity - 1 - id; // ids are handed out from 0 up
        }
        _freeCount = capacity;
    }

    /// <summary>S, the most streams open at once.</summary>
    public int Capacity { get; }

    /// <summary>Whether <see cref="Submit"/> refuses frames that are not finite (the constructor's <c>validateInputs</c>).</summary>
    public bool ValidatesInputs { get; }

    /// <summary>Streams open now.</summary>
    public int OpenCount { get; private set; }

    /// <summary>Open streams that have an input waiting for the next tick.</summary>
    public int PendingCount { get; private set; }

    /// <summary>The model the streams run.</summary>
    public RnnModel Model => _model;

    /// <summary>The pool's intra-op threads, for products its owner runs on the tick's rows (a language model's output layer).</summary>
    internal WorkerTeam Team => _team;

    /// <summary>Floats of one stream's input frame, I.</summary>
    public int InputLength => _config.InputSize;

    /// <summary>Floats of one stream's output, H_out.</summary>
    public int OutputLength => _config.OutputHiddenSize;

    /// <summary>Floats of one stream's hidden state, L · H_out, laid out (L, H_out).</summary>
    public int HiddenStateLength => _config.NumLayers * _config.OutputHiddenSize;

    /// <summary>Floats of one stream's cell state, L · H for an LSTM, laid out (L, H); 0 otherwise.</summary>
    public int CellStateLength => _config.Kind == RecurrentKind.Lstm ? _config.NumLayers * _config.HiddenSize : 0;

    /// <summary>Opens a stream in the model's initial state.</summary>
    /// <exception cref="InvalidOperationException">All <see cref="Capacity"/> streams are open.</exception>
    public StreamHandle Open()
    {
        if (!TryOpen(out StreamHandle stream))
            throw StreamErrors.Full(Capacity);
        return stream;
    }

    /// <summary>Opens a stream in the model's initial state, or returns false when all <see cref="Capacity"/> are open.</summary>
    public bool TryOpen(out StreamHandle stream)
    {
        ThrowIfDisposed();
        if (_freeCount == 0)
        {
            stream = default;
            return false;
        }
        int id = _free[--_freeCount], row = OpenCount++;
        _rowOf[id] = row;
        _idAt[row] = id;
        _hasInput[row] = false;
        ResetRow(row);
        stream = new StreamHandle(id, _generation[id]);
        return true;
    }

    /// <summary>Whether <paramref name="stream"/> names a stream open in this pool.</summary>
    public bool IsOpen(StreamHandle stream)
        => !_disposed && (uint)stream.Id < (uint)Capacity && _generation[stream.Id] == stream.Generation && _rowOf[stream.Id] >= 0;

    /// <summary>Closes a stream, dropping any input it was waiting with; its slot is free for the next <see cref="Open"/>.</summary>
    /// <exception cref="InvalidOperationException">The stream is not open.</exception>
    public void Close(StreamHandle stream)
    {
        int row = RowOf(stream), last = OpenCount - 1;
        if (_hasInput[row])
            PendingCount--;
        if (row != last)
            MoveRow(last, row);
        OpenCount--;
        _rowOf[stream.Id] = -1;
        _generation[stream.Id]++;
        _free[_freeCount++] = stream.Id;
    }

    /// <summary>Returns the stream's state to the model's initial state; an input already given stays for the next tick.</summary>
    public void Reset(StreamHandle stream) => ResetRow(RowOf(stream));

    /// <summary>Copies the stream's state out: h (L, H_out), c (L, H; empty unless LSTM).</summary>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    public void GetState(StreamHandle stream, Span<float> hidden, Span<float> cell)
    {
        int row = RowOf(stream);
        CheckStateLengths(hidden.Length, cell.Length);
        int hOut = _config.OutputHiddenSize, hs = cell.Length == 0 ? 0 : _config.HiddenSize;
        for (int layer = 0; layer < _config.NumLayers; layer++)
        {
            HiddenRow(layer, row).CopyTo(hidden.Slice(layer * hOut, hOut));
            CellRow(layer, row).CopyTo(cell.Slice(layer * hs, hs));
        }
    }

    /// <summary>Replaces the stream's state: h (L, H_out), c (L, H; empty unless LSTM).</summary>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    public void SetState(StreamHandle stream, ReadOnlySpan<float> hidden, ReadOnlySpan<float> cell)
    {
        int row = RowOf(stream);
        CheckStateLengths(hidden.Length, cell.Length);
        int hOut = _config.OutputHiddenSize, hs = cell.Length == 0 ? 0 : _config.HiddenSize;
        for (int layer = 0; layer < _config.NumLayers; layer++)
        {
            hidden.Slice(layer * hOut, hOut).CopyTo(HiddenRow(layer, row));
            cell.Slice(layer * hs, hs).CopyTo(CellRow(layer, row));
        }
    }

    /// <summary>
    /// Copies the stream's output, H_out floats: the top layer's hidden state, which after a tick that stepped the
    /// stream is what <see cref="RnnSession.Step"/> would have returned for it (before any step: the initial state's).
    /// </summary>
    public void GetOutput(StreamHandle stream, Span<float> output)
    {
        int row = RowOf(stream);
        if (output.Length != OutputLength)
            throw Errors.Length(nameof(output), output.Length, OutputLength, $"(H_out) = ({OutputLength})");
        OutputRow(row).CopyTo(output);
    }

    /// <summary>Whether the stream has an input waiting for the next tick.</summary>
    public bool HasInput(StreamHandle stream) => _hasInput[RowOf(stream)];

    /// <summary>Gives the stream its next input frame (I floats), copied now; the next <see cref="Tick"/> steps it.</summary>
    /// <exception cref="ArgumentException">The frame has the wrong length, or (with <c>validateInputs</c>) a NaN or ±∞.</exception>
    /// <exception cref="InvalidOperationException">The stream is not open, or already has an input waiting.</exception>
    public void Submit(StreamHandle stream, ReadOnlySpan<float> frame)
    {
        int row = RowOf(stream);
        if (frame.Length != InputLength)
            throw Errors.Length(nameof(frame), frame.Length, InputLength, $"(I) = ({InputLength})");
        if (_hasInput[row])
            throw StreamErrors.InputPending(stream);
        if (ValidatesInputs)
            FiniteInputCheck.Frame(frame, stream.Id);
        frame.CopyTo(InputRow(row));
        _hasInput[row] = true;
        PendingCount++;
    }

    /// <summary>Releases the pool's buffers and intra-op threads; the model is untouched. Calling it twice is harmless.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _team.Dispose();
        _arena.Release();
    }

    private int RowOf(StreamHandle stream)
    {
        ThrowIfDisposed();
        if (!IsOpen(stream))
            throw StreamErrors.NotOpen(stream);
        return _rowOf[stream.Id];
    }

    private void ResetRow(int row)
    {
        InitialState? initial = _model.InitialState;
        int hOut = _config.OutputHiddenSize, hs = _config.HiddenSize;
        for (int layer = 0; layer < _config.NumLayers; layer++)
        {
            Span<float> h = HiddenRow(layer, row), c = CellRow(layer, row);
            if (initial is null)
            {
                h.Clear();
                c.Clear();
                continue;
            }
            // B₀ = 1 (checked at creation): layer l's row of (L, 1, ·).
            initial.Hidden.AsSpan(layer * hOut, hOut).CopyTo(h);
            initial.Cell.AsSpan(layer * c.Length, c.Length).CopyTo(c);
        }
    }

    private void CheckStateLengths(int hidden, int cell)
    {
        if (hidden != HiddenStateLength)
            throw Errors.Length(nameof(hidden), hidden, HiddenStateLength, $"(L, H_out) = ({_config.NumLayers}, {_config.OutputHiddenSize})");
        if (cell != CellStateLength)
            throw Errors.Length(nameof(cell), cell, CellStateLength, _config.Kind == RecurrentKind.Lstm
                ? $"(L, H) = ({_config.NumLayers}, {_config.HiddenSize})"
                : $"empty: a {_config.Kind} has no cell state");
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
