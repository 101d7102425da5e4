using FastRnn.Runtime;

namespace FastRnn.Layers;

/// <summary>
/// The first recurrent layer's input projection folded into the embedding that feeds it: row v of direction d's table
/// is W_ih E[v] + bias, (V, G·H), so a step fed token v copies one row of G·H floats instead of reading all of W_ih
/// (G·H × E) and multiplying. Built once with the model, by the same batched product a sequence's projection uses.
/// </summary>
/// <remarks>
/// <para><b>Same numbers.</b> The table is <see cref="RecurrentCell.ProjectInputs"/> of the whole embedding, the tiled
/// product of a sequence's or a batch's projection, and that product sums each row over the same columns in the same
/// order whatever the other rows are: a sequence of two or more rows (T · B) encoded from its tokens gets the bits it
/// got from its embedded vectors, and a one-stream step gets the gate inputs a pool's batched step computes. A single
/// row used to take the one-vector product, which sums in another order: a one-token source, and a language model's
/// one-stream step (whose fused product summed W_ih and W_hh into one accumulator), now agree with the batched
/// numbers instead, within float rounding of what they gave before.</para>
/// <para><b>When.</b> The table costs V · G·H floats per direction against W_ih's E · G·H, so it is built only while
/// V ≤ 2E (character and byte vocabularies: the shipped character LM's table is 296 KiB beside its 256 KiB W_ih) or the
/// tables are at most <see cref="SmallBytes"/>, and never beyond <see cref="MaxBytes"/>; a word vocabulary keeps the
/// product.</para>
/// </remarks>
internal sealed class EmbeddingProjection
{
    /// <summary>Tables this small are built whatever the vocabulary (the date normaliser's encoder: 108 KiB).</summary>
    public const long SmallBytes = 1 << 20;

    /// <summary>No tables beyond this, whatever the vocabulary: memory a model should not take on its own initiative.</summary>
    public const long MaxBytes = 64 << 20;

    /// <summary>Set to <c>0</c>, no tables are built and every first layer keeps its product: for comparing the two, and
    /// for the tests of the product path on models that would otherwise always take the tables.</summary>
    public const string EnvironmentVariable = "FASTRNN_EMBEDDING_TABLES";

    private static readonly bool s_disabled = Environment.GetEnvironmentVariable(EnvironmentVariable)?.Trim() == "0";

    private readonly float[][] _tables; // by direction: (V, G·H)

    private EmbeddingProjection(RnnModel model, float[][] tables, int vocabulary, int gateRows)
    {
        Model = model;
        _tables = tables;
        Vocabulary = vocabulary;
        GateRows = gateRows;
    }

    /// <summary>Whether <see cref="EnvironmentVariable"/> turned the tables off for this process.</summary>
    public static bool Disabled => s_disabled;

    /// <summary>The model whose first layer the tables belong to: they are meaningless for any other.</summary>
    public RnnModel Model { get; }

    /// <summary>V, the token ids 0..V − 1 a table has rows for.</summary>
    public int Vocabulary { get; }

    /// <summary>G·H, the width of one row.</summary>
    public int GateRows { get; }

    /// <summary>
    /// The tables of <paramref name="model"/>'s first layer, one per direction, fed by <paramref name="embedding"/>; null
    /// when they would be too large (see the remarks), the embedding does not fit the layer's input, or
    /// <see cref="EnvironmentVariable"/> turned them off.
    /// </summary>
    public static EmbeddingProjection? TryCreate(Embedding embedding, RnnModel model) => s_disabled ? null : TryBuild(embedding, model);

    /// <summary><see cref="TryCreate"/> whatever <see cref="EnvironmentVariable"/> says: the size rule alone.</summary>
    public static EmbeddingProjection? TryBuild(Embedding embedding, RnnModel model)
    {
        RnnConfig c = model.Config;
        int v = embedding.Vocabulary, e = embedding.Size, directions = c.Directions;
        RecurrentCell first = model.Cell(0, 0);
        if (first.InputSize != e || v < 1)
            return null;
        long bytes = (long)directions * v * first.GateRows * sizeof(float);
        if ((v > 2L * e && bytes > SmallBytes) || bytes > MaxBytes)
            return null;
        var tables = new float[directions][];
        using var team = new WorkerTeam(1);
        for (int d = 0; d < directions; d++)
        {
            tables[d] = new float[v * first.GateRows];
            model.Cell(0, d).ProjectInputs(team, embedding.All, e, v, tables[d]);
        }
        return new EmbeddingProjection(model, tables, v, first.GateRows);
    }

    /// <summary>Refuses these tables for anything but <see cref="Model"/>'s first layer (<paramref name="owner"/>: whose it would be).</summary>
    /// <exception cref="ArgumentException">The tables belong to another model.</exception>
    public void ThrowUnlessFor(RnnModel model, string owner)
    {
        if (!ReferenceEquals(Model, model))
            throw new ArgumentException($"the embedding's tables were built for another model's first layer than this {owner}'s", "projection");
    }

    /// <summary>Throws if any token is outside the vocabulary, naming the first such position.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A token is outside the vocabulary.</exception>
    public void CheckTokens(ReadOnlySpan<int> tokens)
    {
        for (int n = 0; n < tokens.Length; n++)
        {
            if ((uint)tokens[n] >= (uint)Vocabulary)
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[n], $"token {n} has id {tokens[n]}, outside the vocabulary 0..{Vocabulary - 1}");
        }
    }

    /// <summary>
    /// gates[n] = row tokens[n] of direction <paramref name="direction"/>'s table, for every n: the gate inputs (count,
    /// G·H) of the layer's step, as <see cref="RecurrentCell.ProjectInputs"/> would write them for the embedded tokens.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A token is outside the vocabulary.</exception>
    public void Gather(int direction, ReadOnlySpan<int> tokens, Span<float> gates)
    {
        int g = GateRows;
        if (gates.Length < (long)tokens.Length * g)
            throw new ArgumentException($"{tokens.Length} tokens need {(long)tokens.Length * g} gate floats; the buffer has {gates.Length}", nameof(gates));
        CheckTokens(tokens);
        ReadOnlySpan<float> table = _tables[direction];
        for (int n = 0; n < tokens.Length; n++)
            table.Slice(tokens[n] * g, g).CopyTo(gates.Slice(n * g, g));
    }
}
