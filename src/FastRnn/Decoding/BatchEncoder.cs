using FastRnn.Runtime;

namespace FastRnn.Decoding;

/// <summary>
/// Encodes up to k sources of different lengths as one batch (a backward direction starts at each source's own end);
/// decoder stream b then attends to source b and starts from its own initial state.
/// </summary>
internal sealed class BatchEncoder
{
    private readonly Seq2SeqModel _model;
    private readonly Seq2SeqConfig _c;
    private readonly DecoderArena _arena;
    private readonly int _capacity;
    private readonly ArenaSlice _input;     // (S_max, k, E_src), time-major
    private readonly ArenaSlice _tokens;    // (S_max, k) ints, time-major: the same, as ids, when the embedding is folded
    private readonly ArenaSlice _output;    // (S_max, k, K)
    private readonly ArenaSlice _lengths;   // (k) ints: 0 for unused streams
    private readonly ArenaSlice _order;     // (k) ints: the source each encoder stream encodes, longest first

    public BatchEncoder(Seq2SeqModel model, int capacity, DecoderArena arena)
    {
        _model = model;
        _c = model.Config;
        _arena = arena;
        _capacity = capacity;
        long rows = (long)_c.MaxSourceLength * _capacity;
        _input = arena.Reserve(model.EncoderProjection is null ? checked(rows * _c.SourceEmbeddingSize) : 0);
        _tokens = arena.Reserve(model.EncoderProjection is null ? 0 : rows);
        _output = arena.Reserve(checked(rows * _c.MemorySize));
        _lengths = arena.Reserve(_capacity);
        _order = arena.Reserve(_capacity);
    }

    /// <summary>Sources b &lt; lengths.Length: the first lengths[b] ids of row b of <paramref name="tokens"/> (B, width).</summary>
    /// <exception cref="ArgumentException">A length, an id or a span size is wrong; the message names which.</exception>
    /// <remarks><paramref name="encoder"/> has k streams, one per source (per-stream lengths mask the shorter ones).</remarks>
    public void Encode(RnnSession encoder, ReadOnlySpan<int> tokens, int width, ReadOnlySpan<int> lengths, AttentionMemory memory, DecoderBridge bridge)
        => Encode(encoder, tokens, width, lengths, memory, bridge, []);

    /// <summary>
    /// As above, but source b's outputs and keys go to memory block <paramref name="blocks"/>[b] (all of them when it is
    /// empty: block b) and no stream is assigned: the caller assigns streams to blocks (a pool, whose requests keep
    /// their blocks while other requests come and go).
    /// </summary>
    public void Encode(RnnSession encoder, ReadOnlySpan<int> tokens, int width, ReadOnlySpan<int> lengths, AttentionMemory memory, DecoderBridge bridge,
                       ReadOnlySpan<int> blocks)
    {
        int count = lengths.Length, capacity = _capacity, e = _c.SourceEmbeddingSize, k = _c.MemorySize, sMax = _c.MaxSourceLength;
        if (count < 1 || count > capacity)
            throw new ArgumentException($"a batch has {count} sources; this decoder takes 1..{capacity} (its beam capacity)", nameof(lengths));
        if (width < 1 || tokens.Length != (long)count * width)
            throw new ArgumentException($"tokens has {tokens.Length} ids; expected (B, width) = ({count}, {width})", nameof(tokens));
        int longest = 0;
        for (int b = 0; b < count; b++)
        {
            int length = lengths[b];
            if (length < 1 || length > width || length > sMax)
                throw new ArgumentException($"source {b} has length {length}; expected 1..{Math.Min(width, sMax)} (an empty source cannot be decoded)", nameof(lengths));
            for (int t = 0; t < length; t++)
            {
                int id = tokens[b * width + t];
                if ((uint)id >= (uint)_c.SourceVocabularySize)
                    throw new ArgumentException($"source {b} token {t} has id {id}, outside the source vocabulary 0..{_c.SourceVocabularySize - 1}", nameof(tokens));
            }
            longest = Math.Max(longest, length);
        }

        // The sources go to the encoder's streams longest first, so that the streams still running at every step are a
        // prefix of the batch and ended ones are not stepped (RnnSession's ragged Run); a stable order keeps equal
        // lengths as given.
        Span<int> order = _arena.Ints(_order)[..count];
        for (int b = 0; b < count; b++)
        {
            int at = b;
            while (at > 0 && lengths[order[at - 1]] < lengths[b])
            {
                order[at] = order[at - 1];
                at--;
            }
            order[at] = b;
        }

        // Time-major input for the encoder; unused streams and positions past a source's end stay zero (id 0) and are
        // masked.
        Span<float> output = _arena[_output][..(longest * capacity * k)];
        Span<int> streamLengths = _arena.Ints(_lengths);
        for (int j = 0; j < capacity; j++)
            streamLengths[j] = j < count ? lengths[order[j]] : 0;
        encoder.Reset();
        if (_model.EncoderProjection is { } projection)
        {
            Span<int> ids = _arena.Ints(_tokens)[..(longest * capacity)];
            ids.Clear();
            for (int j = 0; j < count; j++)
            {
                int b = order[j];
                for (int t = 0; t < lengths[b]; t++)
                    ids[t * capacity + j] = tokens[b * width + t];
            }
            encoder.RunTokens(ids, projection, output, streamLengths);
        }
        else
        {
            Span<float> input = _arena[_input][..(longest * capacity * e)];
            input.Clear();
            for (int j = 0; j < count; j++)
            {
                int b = order[j];
                for (int t = 0; t < lengths[b]; t++)
                    _model.SourceEmbedding[tokens[b * width + t]].CopyTo(input.Slice((t * capacity + j) * e, e));
            }
            encoder.Run(input, output, streamLengths);
        }

        for (int j = 0; j < count; j++)
        {
            int b = order[j], target = blocks.IsEmpty ? b : blocks[b];
            Span<float> block = memory.Block(target, lengths[b]);
            for (int t = 0; t < lengths[b]; t++)
                output.Slice((t * capacity + j) * k, k).CopyTo(block.Slice(t * k, k));
            memory.PrecomputeKeys(target, lengths[b]);
        }
        if (blocks.IsEmpty)
        {
            // Unused streams attend to source 0 so that every stream computes something finite.
            for (int b = 0; b < capacity; b++)
                memory.Assign(b, b < count ? b : 0, lengths[b < count ? b : 0]);
        }
        bridge.FromBatchEncoder(encoder, order);
    }
}
