using FastRnn.Decoding;
using FastRnn.Runtime;

namespace FastRnn.Streaming;

/// <summary>
/// Many decoding requests over one <see cref="Seq2SeqModel"/>, stepping together (continuous batching): a request
/// started between two <see cref="Step"/>s is encoded at the next one — with the other sources waiting then, as one
/// batch — and joins the decoder there; every step then advances every running request by one token in one batched
/// decoder step and one batched output product, however many requests have joined or finished in between. A greedy
/// (or sampling) request takes one decoder row, a beam search of k hypotheses up to k; a finished request frees its rows
/// at once and keeps its output until it is closed. Allocates nothing after creation. Not thread-safe.
/// </summary>
/// <remarks>
/// <para>A request gets the tokens a <see cref="Seq2SeqDecoder"/> gives its source alone, with the same options
/// (<see cref="Seq2SeqDecoder.Decode"/>, <see cref="Seq2SeqDecoder.BeamSearch"/>), and the same scores up to float
/// rounding: the batched products sum in another order than a lone source's matrix–vector products (see
/// <see cref="StreamPool"/>), so scores differ in the last bits, and two tokens whose log-probabilities agree to that
/// rounding could be ranked differently.</para>
/// <para>Layout: the decoder rows are a <see cref="StreamPool"/> over the model's decoder; each request slot owns one
/// block of encoder outputs and attention keys (S_max, K); a step gathers the rows to advance to the front, writes their
/// inputs in place, steps them, and runs the attention and the output layer over those rows only.</para>
/// </remarks>
public sealed partial class Seq2SeqPool : IDisposable
{
    /// <summary>The largest encoder batch: sources waiting together beyond it are encoded in several batches.</summary>
    internal const int MaxEncodeBatch = 16;

    private readonly Seq2SeqModel _model;
    private readonly Seq2SeqConfig _c;
    private readonly DecoderArena _arena = new();
    private readonly StreamPool _rows;
    private readonly DecoderStep _step;
    private readonly EncoderTier[] _tiers;    // encoder batches of 1, 4, 16 …, smallest first
    private readonly DecodeRequest[] _requests;
    private readonly int[] _requestOf;        // (S) by decoder stream id: its request's slot
    private readonly int[] _nextToken;        // (S) by stream id: the token it feeds next
    private readonly int[] _rowAtStep;        // (S) by stream id: its row in the last step's buffers
    private readonly float[] _attentional;    // (S, H) by stream id: h̃ it feeds next (input feeding)
    private readonly float[] _beamHidden;     // (k, L·H): parents' states during a beam reorder
    private readonly float[] _beamCell;       // (k, L·H), empty unless LSTM
    private readonly float[] _beamAttentional; // (k, H)
    private readonly int[] _waiting;          // FIFO ring of request slots waiting to be encoded
    private readonly ArenaSlice _encodeTokens;  // (MaxEncodeBatch, S_max) ints
    private readonly ArenaSlice _encodeLengths; // (MaxEncodeBatch) ints
    private readonly ArenaSlice _encodeBlocks;  // (MaxEncodeBatch) ints
    private int _waitingStart;
    private int _waitingCount;
    private int _reservedRows;
    private bool _disposed;

    /// <summary>Creates a pool; every buffer is allocated now.</summary>
    /// <param name="model">The seq2seq model every request decodes with.</param>
    /// <param name="capacity">Decoder rows, S: the most hypotheses stepped at once (a greedy request takes one, a beam of k up to k).</param>
    /// <param name="maxBeam">The largest beam a request may search with (1: greedy and sampling, and beams of 1).</param>
    /// <param name="maxOutputLength">The most tokens one output can have.</param>
    /// <param name="threads">Intra-op threads for each step's products, counting the caller, as for <see cref="RnnModel.CreateSession(int, int, int)"/>.</param>
    /// <param name="maxRequests">The most requests open at once, running or finished but not closed; each holds a source's
    /// attention memory and a beam's hypotheses (maxBeam × maxOutputLength tokens). Default: <paramref name="capacity"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range, or the buffers it needs do not fit in memory.</exception>
    public Seq2SeqPool(Seq2SeqModel model, int capacity, int maxBeam = 1, int maxOutputLength = 256, int threads = 1, int maxRequests = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (capacity < 1 || capacity > RnnConfig.MaxBatchSize)
            throw StreamErrors.Capacity(capacity);
        if (maxBeam < 1 || maxBeam > capacity)
            throw new ArgumentOutOfRangeException(nameof(maxBeam), maxBeam, $"maxBeam must be in 1..{capacity} (the pool's capacity)");
        if (maxRequests == 0)
            maxRequests = capacity;
        if (maxRequests < 1 || maxRequests > capacity)
            throw new ArgumentOutOfRangeException(nameof(maxRequests), maxRequests, $"maxRequests must be in 1..{capacity} (the pool's capacity), or 0 for the capacity");
        if (maxOutputLength < 1 || maxOutputLength > 1 << 16)
            throw new ArgumentOutOfRangeException(nameof(maxOutputLength), maxOutputLength, "maximum output length must be in 1..65536");
        _model = model;
        _c = model.Config;
        Capacity = capacity;
        MaxRequests = maxRequests;
        MaxBeam = maxBeam;
        MaxOutputLength = maxOutputLength;
        int h = _c.DecoderHiddenSize, state = checked(_c.DecoderLayers * h);
        int encodeBatch = Math.Min(capacity, MaxEncodeBatch);
        try
        {
            _step = new DecoderStep(model, capacity, _arena, maxRequests);
            _requests = new DecodeRequest[maxRequests];
            for (int i = 0; i < maxRequests; i++)
                _requests[i] = new DecodeRequest(_c, maxBeam, maxOutputLength, _arena);
            _tiers = EncoderTier.Reserve(model, encodeBatch, _arena);
            _encodeTokens = _arena.Reserve(checked((long)encodeBatch * _c.MaxSourceLength));
            _encodeLengths = _arena.Reserve(encodeBatch);
            _encodeBlocks = _arena.Reserve(encodeBatch);
            _arena.Build();
            _attentional = new float[checked(capacity * h)];
            _beamHidden = new float[checked(maxBeam * state)];
            _beamCell = new float[_c.DecoderKind == RecurrentKind.Lstm ? checked(maxBeam * state) : 0];
            _beamAttentional = new float[checked(maxBeam * h)];
        }
        catch (Exception e) when (e is OutOfMemoryException or OverflowException)
        {
            throw new ArgumentOutOfRangeException(
                $"a pool of {capacity} rows with beams up to {maxBeam}, outputs up to {maxOutputLength} tokens and sources up to {_c.MaxSourceLength} " +
                $"needs buffers larger than one array can hold ({e.Message}); use a smaller capacity, beam or maximum output length", e);
        }
        _rows = new StreamPool(model.Decoder, capacity, threads);
        try
        {
            foreach (EncoderTier tier in _tiers)
                tier.CreateSession(model, threads);
        }
        catch
        {
            _rows.Dispose();
            foreach (EncoderTier tier in _tiers)
                tier.Dispose();
            throw;
        }
        _requestOf = new int[capacity];
        _nextToken = new int[capacity];
        _rowAtStep = new int[capacity];
        _waiting = new int[maxRequests];
    }

    /// <summary>S, the decoder rows: the most hypotheses stepped at once.</summary>
    public int Capacity { get; }

    /// <summary>The most requests open at once.</summary>
    public int MaxRequests { get; }

    /// <summary>The largest beam a request may search with.</summary>
    public int MaxBeam { get; }

    /// <summary>The most tokens one output can have.</summary>
    public int MaxOutputLength { get; }

    /// <summary>Requests open now: waiting, running or finished (until closed); at most <see cref="MaxRequests"/>.</summary>
    public int OpenCount { get; private set; }

    /// <summary>Requests not finished yet: waiting to be encoded, or decoding.</summary>
    public int RunningCount { get; private set; }

    /// <summary>Decoder rows no open, unfinished request holds: a greedy request needs one, a beam of k needs k.</summary>
    public int FreeRows => Capacity - _reservedRows;

    /// <summary>
    /// Starts greedy decoding (or sampling) of <paramref name="source"/> (ids in the source vocabulary, framed as the
    /// model expects: see <see cref="Seq2SeqModel.EncodeText(string)"/>; copied now); it is encoded and takes its first
    /// step at the next <see cref="Step"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The source is empty, too long or has an id outside the vocabulary, or an option is out of range.</exception>
    /// <exception cref="InvalidOperationException">No row or request slot is free.</exception>
    public StreamHandle Start(ReadOnlySpan<int> source, DecodingOptions options)
        => TryStart(source, options, out StreamHandle request) ? request : throw Full(1);

    /// <summary>As <see cref="Start"/>, but returns false (and starts nothing) when no row or request slot is free.</summary>
    public bool TryStart(ReadOnlySpan<int> source, DecodingOptions options, out StreamHandle request)
    {
        RequestChecks.Greedy(options);
        return TryOpen(source, 1, out request, options, null);
    }

    /// <summary>Starts a beam search of <paramref name="source"/>, as <see cref="Start"/> does for greedy decoding; it takes <c>BeamSize</c> rows.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The beam size is 0 or above <see cref="MaxBeam"/>, or another option is out of range.</exception>
    /// <exception cref="InvalidOperationException">Not enough rows, or no request slot, is free.</exception>
    public StreamHandle StartBeam(ReadOnlySpan<int> source, BeamOptions options)
        => TryStartBeam(source, options, out StreamHandle request) ? request : throw Full(options.BeamSize);

    /// <summary>As <see cref="StartBeam"/>, but returns false (and starts nothing) when not enough rows, or no request slot, is free.</summary>
    public bool TryStartBeam(ReadOnlySpan<int> source, BeamOptions options, out StreamHandle request)
    {
        RequestChecks.Beam(options, MaxBeam, "the pool's maxBeam");
        return TryOpen(source, options.BeamSize, out request, null, options);
    }

    /// <summary>Whether <paramref name="request"/> names a request open in this pool.</summary>
    public bool IsOpen(StreamHandle request)
        => !_disposed && (uint)request.Id < (uint)MaxRequests && _requests[request.Id] is { State: not RequestState.Free } r && r.Generation == request.Generation;

    /// <summary>Whether the request has finished: its output is complete and its rows are free.</summary>
    public bool IsFinished(StreamHandle request) => Request(request).State == RequestState.Finished;

    /// <summary>
    /// The request's output: greedy tokens so far (with EOS at the end once it produced one), or a finished beam's best
    /// hypothesis (empty before it finishes). A live view, valid until the request is closed.
    /// </summary>
    public ReadOnlySpan<int> Tokens(StreamHandle request)
    {
        DecodeRequest r = Request(request);
        if (!r.IsBeam)
            return r.Tokens.AsSpan(0, r.Count);
        return r.State == RequestState.Finished ? r.Beam.Result(0, out _, out _) : [];
    }

    /// <summary>The summed log-probability of <see cref="Tokens"/>: greedy tokens so far, or a finished beam's best hypothesis (0 before).</summary>
    public float Score(StreamHandle request)
    {
        DecodeRequest r = Request(request);
        if (!r.IsBeam)
            return r.Score;
        if (r.State != RequestState.Finished)
            return 0f;
        r.Beam.Result(0, out float score, out _);
        return score;
    }

    /// <summary>Finished hypotheses of a finished beam request (at most NBest; 0 before it finishes, and for greedy requests).</summary>
    public int BeamResultCount(StreamHandle request)
    {
        DecodeRequest r = Request(request);
        return r.IsBeam && r.State == RequestState.Finished ? r.Beam.ResultCount : 0;
    }

    /// <summary>Finished hypothesis <paramref name="rank"/> (0 = best) of a finished beam request, as <see cref="Seq2SeqDecoder.GetBeamResult"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rank"/> is not below <see cref="BeamResultCount"/>.</exception>
    public ReadOnlySpan<int> GetBeamResult(StreamHandle request, int rank, out float score, out float normalizedScore)
    {
        DecodeRequest r = Request(request);
        if (BeamResultCount(request) <= rank || rank < 0)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"request {request.Id} has {BeamResultCount(request)} beam results{(r.State == RequestState.Finished ? "" : " (it has not finished)")}");
        return r.Beam.Result(rank, out score, out normalizedScore);
    }

    /// <summary>Closes a request, finished or not: its rows and slot are free for the next start.</summary>
    /// <exception cref="InvalidOperationException">The request is not open.</exception>
    public void Close(StreamHandle request)
    {
        DecodeRequest r = Request(request);
        if (r.State == RequestState.Waiting)
            RemoveWaiting(request.Id);
        if (r.State != RequestState.Finished)
            Finish(r);
        r.State = RequestState.Free;
        r.Generation++;
        OpenCount--;
    }

    /// <summary>Releases the pool's buffers, sessions and intra-op threads; the model is untouched. Calling it twice is harmless.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _rows.Dispose();
        foreach (EncoderTier tier in _tiers)
            tier.Dispose();
        _arena.Release();
    }

    private bool TryOpen(ReadOnlySpan<int> source, int rows, out StreamHandle request, DecodingOptions? greedy, BeamOptions? beam)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SourceEncoder.Check(_c, source);
        request = default;
        if (rows > FreeRows)
            return false;
        int slot = 0;
        while (slot < MaxRequests && _requests[slot].State != RequestState.Free)
            slot++;
        if (slot == MaxRequests)
            return false; // every slot holds an open request

        DecodeRequest r = _requests[slot];
        source.CopyTo(r.Source);
        r.SourceLength = source.Length;
        r.IsBeam = beam is not null;
        r.Count = 0;
        r.Score = 0f;
        r.StreamCount = 0;
        if (beam is not null)
        {
            r.BeamOptions = beam;
            r.Limit = beam.Limit(MaxOutputLength, source.Length);
        }
        else
        {
            r.Greedy = greedy!;
            r.Limit = greedy!.Limit(MaxOutputLength, source.Length);
            r.Random = new SplitMix64(greedy.Seed);
        }
        r.State = RequestState.Waiting;
        _waiting[(_waitingStart + _waitingCount++) % MaxRequests] = slot;
        _reservedRows += rows;
        OpenCount++;
        RunningCount++;
        request = new StreamHandle(slot, r.Generation);
        return true;
    }

    private DecodeRequest Request(StreamHandle request)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!IsOpen(request))
            throw new InvalidOperationException($"request {request.Id} is not open: it was closed, or the handle belongs to another pool or is default");
        return _requests[request.Id];
    }

    private InvalidOperationException Full(int rows)
        => new(FreeRows < rows
            ? $"the pool has {FreeRows} free rows of {Capacity} and the request needs {rows}; step until requests finish, or create a larger pool"
            : $"all {MaxRequests} request slots of the pool hold open requests (running, or finished and not yet closed); close finished requests first");

    // The request stops decoding: its streams close (their rows are free at once), its result stays.
    private void Finish(DecodeRequest r)
    {
        for (int j = 0; j < r.StreamCount; j++)
            _rows.Close(r.Streams[j]);
        r.StreamCount = 0;
        _reservedRows -= r.Rows;
        RunningCount--;
        r.State = RequestState.Finished;
    }

    private void RemoveWaiting(int slot)
    {
        int kept = 0;
        for (int i = 0; i < _waitingCount; i++)
        {
            int s = _waiting[(_waitingStart + i) % MaxRequests];
            if (s != slot)
                _waiting[(_waitingStart + kept++) % MaxRequests] = s;
        }
        _waitingCount = kept;
    }
}
