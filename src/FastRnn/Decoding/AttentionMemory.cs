using FastRnn.Attention;
using FastRnn.Runtime;

namespace FastRnn.Decoding;

/// <summary>
/// What the decoder streams attend to: the encoder outputs of up to k sources, their precomputed keys, and which
/// source (and how long) each stream reads. One source is block 0 for every stream; a batch gives stream b block b.
/// </summary>
internal sealed class AttentionMemory
{
    private readonly AttentionLayer _attention;
    private readonly DecoderArena _arena;
    private readonly int _maxSource;
    private readonly ArenaSlice _memory;   // (k, S_max, K): encoder outputs, one block per source
    private readonly ArenaSlice _keys;     // (k, S_max, key width): the step-independent half of the scores
    private readonly ArenaSlice _lengths;  // (k) ints: length of the source each stream attends to
    private readonly ArenaSlice _source;   // (k) ints: which block each stream attends to

    /// <summary>Memory for <paramref name="streams"/> decoder streams and <paramref name="blocks"/> sources (0: one per stream).</summary>
    public AttentionMemory(AttentionLayer attention, int maxSourceLength, int streams, DecoderArena arena, int blocks = 0)
    {
        _attention = attention;
        _arena = arena;
        _maxSource = maxSourceLength;
        long block = maxSourceLength, count = blocks > 0 ? blocks : streams;
        _memory = arena.Reserve(checked(count * block * attention.MemorySize));
        _keys = arena.Reserve(checked(count * block * attention.KeyWidth));
        _lengths = arena.Reserve(streams);
        _source = arena.Reserve(streams);
    }

    /// <summary>Encoder outputs (S, K) of source block <paramref name="block"/>, to be filled by an encoder.</summary>
    public Span<float> Block(int block, int length)
        => _arena[_memory].Slice(block * _maxSource * _attention.MemorySize, length * _attention.MemorySize);

    /// <summary>Precomputes the keys of block <paramref name="block"/> once its outputs are written.</summary>
    public void PrecomputeKeys(int block, int length)
        => _attention.PrecomputeKeys(Block(block, length), length, _arena[_keys][(block * _maxSource * _attention.KeyWidth)..]);

    /// <summary>Every stream attends to block 0, a source of <paramref name="length"/> positions.</summary>
    public void AttendAllToOne(int length)
    {
        _arena.Ints(_source).Clear();
        _arena.Ints(_lengths).Fill(length);
    }

    /// <summary>Stream <paramref name="stream"/> attends to block <paramref name="block"/> of <paramref name="length"/> positions.</summary>
    public void Assign(int stream, int block, int length)
    {
        _arena.Ints(_source)[stream] = block;
        _arena.Ints(_lengths)[stream] = length;
    }

    /// <summary>Source length stream <paramref name="stream"/> attends to.</summary>
    public int LengthOf(int stream) => _arena.Ints(_lengths)[stream];

    /// <summary>
    /// Attention weights and context for the first <paramref name="streams"/> streams at once from their queries
    /// (streams, H): the additive kinds' query projection as one batched product (into
    /// <paramref name="projected"/>, (streams, A)), then each stream against its own source.
    /// </summary>
    public void AttendAll(int streams, ReadOnlySpan<float> queries, Span<float> projected, Span<float> weights, Span<float> contexts)
    {
        int h = _attention.QuerySize, a = _attention.KeyWidth, k = _attention.MemorySize;
        bool project = _attention.ProjectsQueries;
        if (project)
            _attention.ProjectQueries(queries[..(streams * h)], streams, projected);
        for (int j = 0; j < streams; j++)
        {
            int block = _arena.Ints(_source)[j], s = _arena.Ints(_lengths)[j];
            ReadOnlySpan<float> query = project ? projected.Slice(j * a, a) : queries.Slice(j * h, h);
            _attention.AttendProjected(query, _arena[_keys][(block * _maxSource * a)..], _arena[_memory][(block * _maxSource * k)..],
                s, weights.Slice(j * _maxSource, s), contexts.Slice(j * k, k));
        }
    }
}
