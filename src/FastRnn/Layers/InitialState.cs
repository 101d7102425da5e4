using FastRnn.Runtime;

namespace FastRnn.Layers;

/// <summary>
/// A model's default initial state (an ONNX graph's constant <c>initial_h</c> / <c>initial_c</c>): h (L·D, B₀, H_out)
/// and c (L·D, B₀, H; empty unless LSTM), zeros for the one the model does not carry. A state of one stream (B₀ = 1)
/// starts every stream of a session; otherwise the session must have B₀ streams.
/// </summary>
internal sealed class InitialState
{
    private readonly int _slots; // L·D

    private InitialState(int slots, int batch, float[] hidden, float[] cell)
    {
        _slots = slots;
        Batch = batch;
        Hidden = hidden;
        Cell = cell;
    }

    /// <summary>B₀, the streams the state was given for.</summary>
    public int Batch { get; }

    /// <summary>h, (L·D, B₀, H_out).</summary>
    public float[] Hidden { get; }

    /// <summary>c, (L·D, B₀, H); empty unless LSTM.</summary>
    public float[] Cell { get; }

    /// <summary>
    /// Reads the initial-state tensors of <paramref name="schema"/>'s model from <paramref name="source"/>, for
    /// <paramref name="batch"/> streams (B₀, known from the stored shape or length); null when there are none.
    /// </summary>
    public static InitialState? Read(RecurrentParameterSchema schema, ITensorSource source, int batch)
    {
        RnnConfig c = schema.Config;
        bool hasHidden = source.Contains(RecurrentParameterSchema.InitialHiddenName);
        bool hasCell = c.Kind == RecurrentKind.Lstm && source.Contains(RecurrentParameterSchema.InitialCellName);
        if (!hasHidden && !hasCell)
            return null;
        int slots = c.NumLayers * c.Directions;
        if (batch < 1 || batch > RnnConfig.MaxBatchSize)
            throw Errors.InvalidConfig("initial state batch", batch, $"the initial state must be given for 1..{RnnConfig.MaxBatchSize} streams");
        float[] Read(string name, int width, bool present)
            => present ? source.Get(name, [slots, batch, width]).ToArray() : new float[slots * batch * width];
        return new InitialState(slots, batch,
            Read(RecurrentParameterSchema.InitialHiddenName, c.OutputHiddenSize, hasHidden),
            c.Kind == RecurrentKind.Lstm ? Read(RecurrentParameterSchema.InitialCellName, c.HiddenSize, hasCell) : []);
    }

    /// <summary>B₀ of an initial-state tensor of <paramref name="length"/> floats, (L·D, B₀, width): 0 when <paramref name="length"/> is not a multiple of L·D·width (given as <c>Row</c>).</summary>
    public static (int Batch, long Row) BatchOf(RnnConfig c, string name, long length)
    {
        int width = name == RecurrentParameterSchema.InitialCellName ? c.HiddenSize : c.OutputHiddenSize;
        long row = (long)c.NumLayers * c.Directions * width;
        return (length > 0 && length % row == 0 && length / row <= RnnConfig.MaxBatchSize ? (int)(length / row) : 0, row);
    }

    /// <summary>Writes the state of <paramref name="batch"/> streams: h (L·D, B, H_out), c (L·D, B, H).</summary>
    public void CopyTo(Span<float> hidden, Span<float> cell, int batch)
    {
        Broadcast(Hidden, hidden, batch);
        Broadcast(Cell, cell, batch);
    }

    private void Broadcast(float[] from, Span<float> to, int batch)
    {
        if (batch == Batch)
        {
            from.CopyTo(to);
            return;
        }
        // B₀ = 1: each slot's one row starts every stream.
        int width = from.Length / _slots;
        for (int slot = 0; slot < _slots; slot++)
        {
            ReadOnlySpan<float> row = from.AsSpan(slot * width, width);
            for (int b = 0; b < batch; b++)
                row.CopyTo(to.Slice((slot * batch + b) * width, width));
        }
    }
}
