using System.Numerics.Tensors;
using FastRnn.Decoding;

namespace FastRnn.Streaming;

public sealed partial class Seq2SeqPool
{
    /// <summary>
    /// Encodes the requests started since the last step and advances every running request by one token (a beam by one
    /// step); returns how many requests it advanced (0 when none is running). Requests that finish free their rows now.
    /// Allocates nothing.
    /// </summary>
    public int Step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Admit();

        // Mark every live hypothesis, gather their rows to the front, then write their inputs there.
        for (int slot = 0; slot < MaxRequests; slot++)
        {
            DecodeRequest r = _requests[slot];
            if (r.State != RequestState.Running)
                continue;
            int live = r.IsBeam ? r.Beam.LiveCount : 1;
            for (int j = 0; j < live; j++)
                _rows.MarkPending(r.Streams[j].Id);
        }
        int n = _rows.GatherPending();
        if (n == 0)
            return 0;

        int h = _c.DecoderHiddenSize;
        Span<int> previous = _step.Previous;
        for (int row = 0; row < n; row++)
        {
            int id = _rows.StreamAt(row), slot = _requestOf[id];
            previous[row] = _nextToken[id];
            _rowAtStep[id] = row;
            _step.Memory.Assign(row, slot, _requests[slot].SourceLength);
            if (_c.InputFeeding)
                _attentional.AsSpan(id * h, h).CopyTo(_step.Attentional(row));
        }
        _step.AssembleInputs(n, _rows.OutputRows(n), _rows.InputRows(n));
        _rows.StepGathered(n);
        _step.Head(n, _rows.OutputRows(n));
        if (_c.InputFeeding)
        {
            for (int row = 0; row < n; row++)
                _step.Attentional(row).CopyTo(_attentional.AsSpan(_rows.StreamAt(row) * h, h));
        }

        // Each request chooses from its rows of this step's log-probabilities (finishing ones close their rows, which
        // moves other streams' states, but not this step's buffers, which _rowAtStep indexes).
        int advanced = 0;
        for (int slot = 0; slot < MaxRequests; slot++)
        {
            DecodeRequest r = _requests[slot];
            if (r.State != RequestState.Running)
                continue;
            advanced++;
            if (r.IsBeam)
                ChooseBeam(r);
            else
                ChooseGreedy(r);
        }
        return advanced;
    }

    private void ChooseGreedy(DecodeRequest r)
    {
        int id = r.Streams[0].Id;
        Span<float> logProbs = _step.LogProbabilities(_rowAtStep[id]);
        DecodingOptions options = r.Greedy;
        if (r.Count < options.MinLength)
            logProbs[_c.EosId] = float.NegativeInfinity;
        int token = options.Sample ? Sampler.Sample(logProbs, _step.Probabilities, options, ref r.Random) : TensorPrimitives.IndexOfMax(logProbs);
        r.Tokens[r.Count++] = token;
        r.Score += logProbs[token];
        _nextToken[id] = token;
        if (token == _c.EosId || r.Count >= r.Limit)
            Finish(r);
    }

    private void ChooseBeam(DecodeRequest r)
    {
        BeamHypotheses beam = r.Beam;
        beam.Select(new RequestRows(_step, _rowAtStep, r.Streams));
        if (beam.Done)
        {
            Finish(r);
            return;
        }

        // Hypothesis j continues its parent's state and h̃: copy the parents' out first, since a parent can be overwritten.
        int live = beam.LiveCount, h = _c.DecoderHiddenSize, state = _c.DecoderLayers * h;
        int cellState = _beamCell.Length == 0 ? 0 : state;
        ReadOnlySpan<int> parents = beam.Parents;
        for (int j = 0; j < live; j++)
        {
            StreamHandle parent = r.Streams[parents[j]];
            _rows.GetState(parent, _beamHidden.AsSpan(j * state, state), _beamCell.AsSpan(j * cellState, cellState));
            _attentional.AsSpan(parent.Id * h, h).CopyTo(_beamAttentional.AsSpan(j * h, h));
        }
        for (int j = 0; j < live; j++)
        {
            StreamHandle stream = r.Streams[j];
            _rows.SetState(stream, _beamHidden.AsSpan(j * state, state), _beamCell.AsSpan(j * cellState, cellState));
            _beamAttentional.AsSpan(j * h, h).CopyTo(_attentional.AsSpan(stream.Id * h, h));
            _nextToken[stream.Id] = beam.LastToken(j);
        }
    }

    // Encodes every waiting request, in the order they started, in batches as large as the largest encoder tier; each
    // then opens its decoder streams in the initial state the bridge made from its own source.
    private void Admit()
    {
        int sMax = _c.MaxSourceLength;
        Span<int> tokens = _arena.Ints(_encodeTokens), lengths = _arena.Ints(_encodeLengths), blocks = _arena.Ints(_encodeBlocks);
        while (_waitingCount > 0)
        {
            EncoderTier tier = EncoderTier.For(_tiers, _waitingCount);
            int count = Math.Min(tier.Size, _waitingCount);
            for (int b = 0; b < count; b++)
            {
                int slot = _waiting[(_waitingStart + b) % MaxRequests];
                DecodeRequest r = _requests[slot];
                r.Source.AsSpan(0, r.SourceLength).CopyTo(tokens.Slice(b * sMax, sMax));
                lengths[b] = r.SourceLength;
                blocks[b] = slot;
            }
            tier.Encoder.Encode(tier.Session, tokens[..(count * sMax)], sMax, lengths[..count], _step.Memory, tier.Bridge, blocks[..count]);
            for (int b = 0; b < count; b++)
                Join(_requests[blocks[b]], blocks[b], tier.Bridge, b);
            _waitingStart = (_waitingStart + count) % MaxRequests;
            _waitingCount -= count;
        }
    }

    private void Join(DecodeRequest r, int slot, DecoderBridge bridge, int source)
    {
        int h = _c.DecoderHiddenSize, state = _c.DecoderLayers * h, cellState = _beamCell.Length == 0 ? 0 : state;
        Span<float> hidden = _beamHidden.AsSpan(0, state), cell = _beamCell.AsSpan(0, cellState);
        bridge.CopyBatchState(source, hidden, cell);
        int rows = r.Rows;
        for (int j = 0; j < rows; j++)
        {
            StreamHandle stream = _rows.Open();
            _rows.SetState(stream, hidden, cell);
            _requestOf[stream.Id] = slot;
            _nextToken[stream.Id] = _c.BosId;
            _attentional.AsSpan(stream.Id * h, h).Clear();
            r.Streams[j] = stream;
        }
        r.StreamCount = rows;
        if (r.IsBeam)
            r.Beam.Begin(r.BeamOptions, r.Limit);
        r.State = RequestState.Running;
    }

    // A beam's hypothesis j is the row its stream j had in this step.
    private readonly ref struct RequestRows(DecoderStep step, int[] rowAtStep, StreamHandle[] streams) : IHypothesisRows
    {
        public ReadOnlySpan<float> LogProbabilities(int hypothesis) => step.LogProbabilities(rowAtStep[streams[hypothesis].Id]);
    }
}
