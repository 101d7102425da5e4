namespace FastRnn.Layers;

/// <summary>A lookup table (PyTorch <c>nn.Embedding</c>): row <c>id</c> of a (vocabulary, size) matrix.</summary>
internal sealed class Embedding
{
    private readonly float[] _table; // (V, E)

    public Embedding(ITensorSource source, string name, int vocabulary, int size)
    {
        _table = source.Get(name + ".weight", [vocabulary, size]).ToArray();
        Vocabulary = vocabulary;
        Size = size;
    }

    public int Vocabulary { get; }

    public int Size { get; }

    /// <summary>The whole table, (V, E) row-major.</summary>
    public ReadOnlySpan<float> All => _table;

    /// <summary>The vector of <paramref name="id"/>; the caller has checked the id.</summary>
    public ReadOnlySpan<float> this[int id] => _table.AsSpan(id * Size, Size);
}
