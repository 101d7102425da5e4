namespace FastRnn.Cli.Rendering;

/// <summary>
/// What a seq2seq model attended to while it produced one output: for output token t and source token s, the weight
/// α[t, s] (each row sums to 1). Rows are output tokens, columns source tokens, in the order they were read or made.
/// </summary>
internal sealed class AttentionMap
{
    private readonly float[] _weights; // (T, S)

    /// <param name="sourceLabels">One label per source token (the text it was read from), S of them.</param>
    /// <param name="outputLabels">One label per output token (its vocabulary string), T of them.</param>
    /// <param name="weights">α, (T, S) row-major; copied.</param>
    public AttentionMap(IReadOnlyList<string> sourceLabels, IReadOnlyList<string> outputLabels, ReadOnlySpan<float> weights)
    {
        if (sourceLabels.Count == 0)
            throw new ArgumentException("an attention map needs at least one source token", nameof(sourceLabels));
        if (weights.Length != outputLabels.Count * sourceLabels.Count)
            throw new ArgumentException($"weights has {weights.Length} values; expected (T, S) = ({outputLabels.Count}, {sourceLabels.Count})", nameof(weights));
        SourceLabels = [.. sourceLabels];
        OutputLabels = [.. outputLabels];
        _weights = weights.ToArray();
    }

    /// <summary>S labels, one per column.</summary>
    public IReadOnlyList<string> SourceLabels { get; }

    /// <summary>T labels, one per row.</summary>
    public IReadOnlyList<string> OutputLabels { get; }

    /// <summary>S.</summary>
    public int Columns => SourceLabels.Count;

    /// <summary>T.</summary>
    public int Rows => OutputLabels.Count;

    /// <summary>α[row, column], clamped to [0, 1] so a renderer can use it as an intensity directly.</summary>
    public float Weight(int row, int column)
    {
        float w = _weights[row * Columns + column];
        return float.IsNaN(w) ? 0f : Math.Clamp(w, 0f, 1f);
    }
}
