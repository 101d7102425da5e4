using System.Runtime.CompilerServices;
using FastRnn.Layers;

namespace FastRnn.Streaming;

public sealed partial class StreamPool
{
    /// <summary>
    /// Steps every stream that has an input, all in one batched step per layer, and returns how many it stepped (0 when
    /// none had input). Afterwards no stream has input waiting, and each stepped stream's <see cref="GetOutput"/> is its
    /// new output. Allocates nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Tick()
    {
        ThrowIfDisposed();
        int n = PendingCount;
        if (n == 0)
            return 0;
        GatherPending(n);
        StepGathered(n);
        return n;
    }

    /// <summary>
    /// Marks stream <paramref name="id"/> as stepping at the next tick with an input its driver writes in place, after
    /// <see cref="GatherPending()"/>, into <see cref="InputRows"/> (a decoder's input depends on the stream's row-ordered
    /// buffers, known only once the rows are gathered).
    /// </summary>
    internal void MarkPending(int id)
    {
        int row = _rowOf[id];
        if (!_hasInput[row])
        {
            _hasInput[row] = true;
            PendingCount++;
        }
    }

    /// <summary>Moves the streams marked for the next tick to rows 0..n − 1 and returns n.</summary>
    internal int GatherPending()
    {
        int n = PendingCount;
        GatherPending(n);
        return n;
    }

    /// <summary>Rows 0..<paramref name="count"/> − 1 of the input block, (count, I), for the driver of <see cref="MarkPending"/>.</summary>
    internal Span<float> InputRows(int count) => _arena[_input][..(count * _config.InputSize)];

    /// <summary>Steps rows 0..n − 1, gathered, from their inputs in place; then no stream has input waiting.</summary>
    internal void StepGathered(int n) => StepGathered(n, [], null);

    /// <summary>
    /// As <see cref="StepGathered(int)"/>, but with a projection row r is fed token <paramref name="tokens"/>[r] of its
    /// embedding (the first layer's gate inputs are table rows) instead of its input row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void StepGathered(int n, ReadOnlySpan<int> tokens, EmbeddingProjection? projection)
    {
        projection?.ThrowUnlessFor(_model, "pool");
        ReadOnlySpan<float> x = _arena[_input][..(n * _config.InputSize)];
        int xStride = _config.InputSize;
        Span<float> scratch = _arena[_scratch];
        _team.NextStep();
        for (int layer = 0; layer < _config.NumLayers; layer++)
        {
            RecurrentCell cell = _model.Cell(layer, 0);
            Span<float> h = LayerHidden(layer)[..(n * _config.OutputHiddenSize)];
            Span<float> c = LayerCell(layer)[..(_cell.Length == 0 ? 0 : n * _config.HiddenSize)];
            Span<float> gates = _arena[_gates][..(n * cell.GateRows)];
            if (layer == 0 && projection is not null)
                cell.StepFromTable(_team, projection, 0, tokens, gates, h, c, scratch, n);
            else
                cell.StepFromInput(_team, x, xStride, gates, h, c, scratch, n);
            x = h;
            xStride = cell.OutputSize;
        }

        _hasInput.AsSpan(0, n).Clear();
        PendingCount = 0;
    }

    /// <summary>Drops every waiting input, leaving each stream's state as it is: after a failed tick, the next starts clean.</summary>
    internal void DiscardInputs()
    {
        _hasInput.AsSpan(0, OpenCount).Clear();
        PendingCount = 0;
    }

    /// <summary>The stream id in <paramref name="row"/>: after a tick of n streams, rows 0..n − 1 are the ones it stepped.</summary>
    internal int StreamAt(int row) => _idAt[row];

    /// <summary>The generation of stream <paramref name="id"/>'s current handle.</summary>
    internal int GenerationOf(int id) => _generation[id];

    /// <summary>The top layer's hidden state in <paramref name="row"/>: a live view, valid until rows move (the next tick or close).</summary>
    internal ReadOnlySpan<float> OutputRow(int row) => HiddenRow(_config.NumLayers - 1, row);

    /// <summary>Rows 0..<paramref name="count"/> − 1 of the top layer's hidden state, (count, H_out): a live view, valid until rows move.</summary>
    internal ReadOnlySpan<float> OutputRows(int count) => LayerHidden(_config.NumLayers - 1)[..(count * _config.OutputHiddenSize)];

    // Moves the rows that have input to the front, 0..n − 1, swapping each with a row there that has none: the batched
    // step then runs in place. Nothing moves when the rows with input already are the front ones.
    private void GatherPending(int n)
    {
        int from = n;
        for (int row = 0; row < n; row++)
        {
            if (_hasInput[row])
                continue;
            while (!_hasInput[from])
                from++;
            SwapRows(row, from++);
        }
    }

    // `a` has no input and `b` has: their states and streams trade places, and b's input moves to a.
    private void SwapRows(int a, int b)
    {
        Span<float> temp = _arena[_swap];
        for (int layer = 0; layer < _config.NumLayers; layer++)
        {
            Swap(HiddenRow(layer, a), HiddenRow(layer, b), temp);
            Swap(CellRow(layer, a), CellRow(layer, b), temp);
        }
        InputRow(b).CopyTo(InputRow(a));
        (_hasInput[a], _hasInput[b]) = (true, false);
        int idA = _idAt[a], idB = _idAt[b];
        (_idAt[a], _idAt[b]) = (idB, idA);
        _rowOf[idA] = b;
        _rowOf[idB] = a;
    }

    // Row `from` (the last open one) takes the place of `to`, whose stream is closing.
    private void MoveRow(int from, int to)
    {
        for (int layer = 0; layer < _config.NumLayers; layer++)
        {
            HiddenRow(layer, from).CopyTo(HiddenRow(layer, to));
            CellRow(layer, from).CopyTo(CellRow(layer, to));
        }
        if (_hasInput[from])
            InputRow(from).CopyTo(InputRow(to));
        _hasInput[to] = _hasInput[from];
        _hasInput[from] = false;
        int id = _idAt[from];
        _idAt[to] = id;
        _rowOf[id] = to;
    }

    private static void Swap(Span<float> a, Span<float> b, Span<float> temp)
    {
        Span<float> t = temp[..a.Length];
        a.CopyTo(t);
        b.CopyTo(a);
        t.CopyTo(b);
    }

    private Span<float> LayerHidden(int layer)
    {
        int size = Capacity * _config.OutputHiddenSize;
        return _arena[_hidden].Slice(layer * size, size);
    }

    private Span<float> LayerCell(int layer)
    {
        int size = _cell.Length == 0 ? 0 : Capacity * _config.HiddenSize;
        return _arena[_cell].Slice(layer * size, size);
    }

    private Span<float> HiddenRow(int layer, int row) => LayerHidden(layer).Slice(row * _config.OutputHiddenSize, _config.OutputHiddenSize);

    private Span<float> CellRow(int layer, int row)
    {
        int width = _cell.Length == 0 ? 0 : _config.HiddenSize;
        return LayerCell(layer).Slice(row * width, width);
    }

    private Span<float> InputRow(int row) => _arena[_input].Slice(row * _config.InputSize, _config.InputSize);
}
