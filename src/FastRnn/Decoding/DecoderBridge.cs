using FastRnn.Kernels;
using FastRnn.Runtime;

namespace FastRnn.Decoding;

/// <summary>
/// The decoder's initial state made from the encoder's final state (docs/seq2seq.md, "Encoding", step 3): once per
/// source, then copied into every stream that decodes it; or, for a batch, one initial state per stream.
/// </summary>
internal sealed class DecoderBridge
{
    private readonly Seq2SeqModel _model;
    private readonly Seq2SeqConfig _c;
    private readonly DecoderArena _arena;
    private readonly int _streams;
    private readonly ArenaSlice _hidden;      // (L_dec, H): initial state of one stream
    private readonly ArenaSlice _cell;        // (L_dec, H), empty unless LSTM
    private readonly ArenaSlice _stateHidden; // (L_dec, k, H): the initial state of every stream
    private readonly ArenaSlice _stateCell;   // (L_dec, k, H), empty unless LSTM

    public DecoderBridge(Seq2SeqModel model, int streams, DecoderArena arena)
    {
        _model = model;
        _c = model.Config;
        _arena = arena;
        _streams = streams;
        long one = (long)_c.DecoderLayers * _c.DecoderHiddenSize, all = checked(one * streams);
        bool lstm = _c.DecoderKind == RecurrentKind.Lstm;
        _hidden = arena.Reserve(one);
        _cell = arena.Reserve(lstm ? one : 0);
        _stateHidden = arena.Reserve(all);
        _stateCell = arena.Reserve(lstm ? all : 0);
    }

    /// <summary>The initial state of one source from the final state of a batch-1 <paramref name="encoder"/>.</summary>
    public void FromEncoder(RnnSession encoder)
    {
        int h = _c.DecoderHiddenSize, he = _c.EncoderHiddenSize;
        ReadOnlySpan<float> encHidden = encoder.HiddenState, encCell = encoder.CellState;
        Span<float> hidden = _arena[_hidden], cell = _arena[_cell];
        switch (_c.Bridge)
        {
            case BridgeKind.Zeros:
                hidden.Clear();
                cell.Clear();
                break;
            case BridgeKind.Final:
                // Decoder layer l = [forward ; backward] final state of encoder layer l: (L·D, 1, H_enc) is already in that order.
                encHidden.CopyTo(hidden);
                encCell.CopyTo(cell);
                break;
            case BridgeKind.LinearTanh:
                Span<float> first = hidden[..h];
                _model.Bridge!.Forward(encHidden.Slice(TopState * he, he), first);
                CellKernels.Tanh(first, first);
                for (int l = 1; l < _c.DecoderLayers; l++)
                    first.CopyTo(hidden.Slice(l * h, h));
                cell.Clear();
                break;
        }
    }

    /// <summary>Puts the one source's initial state into the first <paramref name="streams"/> streams of <paramref name="session"/>.</summary>
    public void Start(RnnSession session, int streams)
    {
        int h = _c.DecoderHiddenSize;
        Span<float> hidden = _arena[_hidden], cell = _arena[_cell], stateHidden = _arena[_stateHidden], stateCell = _arena[_stateCell];
        for (int l = 0; l < _c.DecoderLayers; l++)
        {
            for (int j = 0; j < streams; j++)
            {
                hidden.Slice(l * h, h).CopyTo(stateHidden.Slice((l * streams + j) * h, h));
                if (!cell.IsEmpty)
                    cell.Slice(l * h, h).CopyTo(stateCell.Slice((l * streams + j) * h, h));
            }
        }
        int length = _c.DecoderLayers * streams * h;
        session.SetState(stateHidden[..length], stateCell[..(stateCell.IsEmpty ? 0 : length)]);
    }

    /// <summary>
    /// One initial state per stream from the final states (L·D, k, H_enc) of a batch <paramref name="encoder"/> whose
    /// stream j encoded source <paramref name="order"/>[j] (j &lt; count): decoder stream order[j] starts from encoder
    /// stream j's state; the streams past the sources start from zero.
    /// </summary>
    public void FromBatchEncoder(RnnSession encoder, ReadOnlySpan<int> order)
    {
        int count = order.Length;
        int capacity = _streams, h = _c.DecoderHiddenSize, he = _c.EncoderHiddenSize, dirs = _c.EncoderBidirectional ? 2 : 1;
        ReadOnlySpan<float> encHidden = encoder.HiddenState, encCell = encoder.CellState;
        Span<float> stateHidden = _arena[_stateHidden], stateCell = _arena[_stateCell];
        stateHidden.Clear();
        stateCell.Clear();
        for (int j = 0; j < count; j++)
        {
            int b = order[j]; // encoder stream j holds source b
            for (int l = 0; l < _c.DecoderLayers; l++)
            {
                Span<float> hidden = stateHidden.Slice((l * capacity + b) * h, h);
                switch (_c.Bridge)
                {
                    case BridgeKind.Final:
                        for (int d = 0; d < dirs; d++)
                        {
                            encHidden.Slice(((l * dirs + d) * capacity + j) * he, he).CopyTo(hidden.Slice(d * he, he));
                            if (!stateCell.IsEmpty)
                                encCell.Slice(((l * dirs + d) * capacity + j) * he, he).CopyTo(stateCell.Slice((l * capacity + b) * h + d * he, he));
                        }
                        break;
                    case BridgeKind.LinearTanh:
                        _model.Bridge!.Forward(encHidden.Slice((TopState * capacity + j) * he, he), hidden);
                        CellKernels.Tanh(hidden, hidden);
                        break;
                }
            }
        }
    }

    /// <summary>
    /// Copies stream <paramref name="stream"/>'s initial state made by <see cref="FromBatchEncoder"/> out: h (L_dec, H),
    /// c (L_dec, H; empty unless LSTM), as one stream of a pool takes it.
    /// </summary>
    public void CopyBatchState(int stream, Span<float> hidden, Span<float> cell)
    {
        int h = _c.DecoderHiddenSize;
        ReadOnlySpan<float> stateHidden = _arena[_stateHidden], stateCell = _arena[_stateCell];
        for (int l = 0; l < _c.DecoderLayers; l++)
        {
            stateHidden.Slice((l * _streams + stream) * h, h).CopyTo(hidden.Slice(l * h, h));
            if (!stateCell.IsEmpty)
                stateCell.Slice((l * _streams + stream) * h, h).CopyTo(cell.Slice(l * h, h));
        }
    }

    /// <summary>Puts the per-stream initial states of <see cref="FromBatchEncoder"/> into every stream of <paramref name="session"/>.</summary>
    public void StartBatch(RnnSession session) => session.SetState(_arena[_stateHidden], _arena[_stateCell]);

    // The top encoder layer's backward direction if there is one, else its forward one: the state linear_tanh reads.
    private int TopState
    {
        get
        {
            int dirs = _c.EncoderBidirectional ? 2 : 1;
            return (_c.EncoderLayers - 1) * dirs + (dirs - 1);
        }
    }
}
