using System.Runtime.CompilerServices;
using FastRnn.Kernels;
using FastRnn.Runtime;

namespace FastRnn.Layers;

/// <summary>
/// One direction of one layer: its repacked weights and the arithmetic of one time step.
/// </summary>
/// <remarks>
/// A step is split in two so that a whole sequence can hoist the input half out of the recurrence:
/// <see cref="ProjectInputs"/> computes <c>gx = W_ih x + bias</c> for any number of inputs in one pass over W_ih,
/// and <see cref="StepFromGates"/> adds the recurrent product and applies the gate equations for B streams.
/// Gate buffers keep PyTorch's gate-major row order (all of gate 0, then gate 1, …), so each activation is one
/// <c>TensorPrimitives</c> call over a contiguous run of H values.
/// </remarks>
internal abstract class RecurrentCell
{
    protected RecurrentCell(PackedMatrix inputWeights, float[] inputBias, int hiddenSize, int outputSize)
    {
        InputWeights = inputWeights;
        InputBias = inputBias;
        HiddenSize = hiddenSize;
        OutputSize = outputSize;
    }

    /// <summary>The element-wise kernels of the gate updates, resolved once when the model is loaded.</summary>
    protected KernelSet Kernels { get; } = KernelSelector.Default;

    /// <summary>W_ih, (G·H, input), packed.</summary>
    protected PackedMatrix InputWeights { get; }

    /// <summary>The bias added to W_ih x, (G·H); which of b_ih and b_hh it holds depends on the cell.</summary>
    protected float[] InputBias { get; }

    public int InputSize => InputWeights.Cols;

    /// <summary>H.</summary>
    public int HiddenSize { get; }

    /// <summary>H_out, the width of h.</summary>
    public int OutputSize { get; }

    /// <summary>G·H, the width of one row of gx.</summary>
    public int GateRows => InputWeights.Rows;

    /// <summary>Floats of scratch <see cref="StepFromGates"/> needs for <paramref name="batch"/> streams.</summary>
    public abstract int ScratchLength(int batch);

    /// <summary>
    /// Whether one step from its input reads so many weights (W_ih and the recurrent matrices together) that they come
    /// from DRAM at every step, so that its tiled products prefetch them even where one matrix alone would fit the cache.
    /// Set by cells whose step runs separate products (<see cref="MarkStepWeights"/>); a sequence's recurrence reads its
    /// recurrent matrices alone and keeps them in cache. A step of one stream asks whether they come from DRAM
    /// (<see cref="KernelSelector.StreamsFromMemory"/>, which also stops its panels sweeping backwards); a step of several
    /// whether its tiled products prefetch (<see cref="KernelSelector.TiledProductPrefetches"/>).
    /// </summary>
    protected bool StepStreams(int batch) => batch == 1 ? _stepStreams : _stepPrefetches;

    /// <summary>
    /// Whether a step's weights (W_ih and the recurrent matrices together) lie beyond twice a core's L2
    /// (<see cref="KernelSelector.ReadsAsTwoStreams"/>): a step of one stream is then bound by how fast they come from L3
    /// or DRAM, and cells whose products cannot be summed read them side by side (<see cref="WorkerTeam.MultiplyTwo"/>).
    /// </summary>
    internal bool StepWeightsOutOfCache { get; private set; }

    private bool _stepStreams, _stepPrefetches;

    /// <summary>Bytes of the weights the recurrence reads at every step: W_hh, and W_hr for a projected LSTM.</summary>
    public long RecurrentWeightBytes { get; private set; }

    /// <summary>Records the matrices the recurrence reads at every step (see <see cref="RecurrentWeightBytes"/>).</summary>
    protected void MarkRecurrentWeights(params PackedMatrix?[] recurrent)
        => RecurrentWeightBytes = recurrent.Sum(m => m?.WeightBytes ?? 0);

    /// <summary>Records the recurrent matrices a step reads besides W_ih, in products of their own (see <see cref="StepStreams"/>).</summary>
    protected void MarkStepWeights(params PackedMatrix[] recurrent)
    {
        MarkRecurrentWeights(recurrent);
        long stepBytes = InputWeights.WeightBytes + RecurrentWeightBytes;
        _stepStreams = KernelSelector.StreamsFromMemory(stepBytes);
        _stepPrefetches = KernelSelector.TiledProductPrefetches(stepBytes);
        StepWeightsOutOfCache = KernelSelector.ReadsAsTwoStreams(stepBytes);
    }

    /// <summary>gx[n] = W_ih x[n] + bias for n in 0..count; x rows start every <paramref name="xStride"/> floats, gx rows every G·H.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ProjectInputs(WorkerTeam team, ReadOnlySpan<float> x, int xStride, int count, Span<float> gx, bool streams = false)
    {
        team.Multiply(InputWeights, x, xStride, gx, GateRows, count, InputBias, accumulate: false, streams);
    }

    /// <summary>
    /// One step straight from the inputs: <see cref="ProjectInputs"/> then <see cref="StepFromGates"/>, which cells whose input and
    /// recurrent products simply add override with a single fused pass over W_ih and W_hh.
    /// </summary>
    public virtual void StepFromInput(WorkerTeam team, ReadOnlySpan<float> x, int xStride, Span<float> gates, Span<float> h, Span<float> c, Span<float> scratch, int batch)
    {
        ProjectInputs(team, x, xStride, batch, gates, StepStreams(batch));
        StepFromGates(team, gates, h, c, scratch, batch, StepStreams(batch));
    }

    /// <summary>
    /// One step of a first layer fed through an embedding whose projection is folded into tables: stream n's gate
    /// inputs are row <paramref name="tokens"/>[n] of direction <paramref name="direction"/>'s table, then
    /// <see cref="StepFromGates"/> as a step from its input would run it.
    /// </summary>
    public void StepFromTable(WorkerTeam team, EmbeddingProjection projection, int direction, ReadOnlySpan<int> tokens, Span<float> gates,
        Span<float> h, Span<float> c, Span<float> scratch, int batch)
    {
        projection.Gather(direction, tokens[..batch], gates);
        StepFromGates(team, gates, h, c, scratch, batch, StepStreams(batch));
    }

    /// <summary>
    /// Advances <paramref name="batch"/> streams by one step. <paramref name="gates"/> holds their gx rows (B, G·H) and is
    /// used as scratch; h (B, H_out) and c (B, H; empty unless LSTM) are read and updated in place. <c>streams</c>: the
    /// step reads all of its weights (see <see cref="StepStreams"/>); false for a sequence's recurrence.
    /// </summary>
    public abstract void StepFromGates(WorkerTeam team, Span<float> gates, Span<float> h, Span<float> c, Span<float> scratch, int batch, bool streams = false);

    /// <summary>Row b of <paramref name="joined"/> = [x_b ; h_b], the input of a combined [W_ih | W_hh] product.</summary>
    protected void Join(ReadOnlySpan<float> x, int xStride, ReadOnlySpan<float> h, int hWidth, Span<float> joined, int batch)
    {
        int width = InputSize + hWidth;
        for (int b = 0; b < batch; b++)
        {
            x.Slice(b * xStride, InputSize).CopyTo(joined.Slice(b * width, InputSize));
            h.Slice(b * hWidth, hWidth).CopyTo(joined.Slice(b * width + InputSize, hWidth));
        }
    }

    /// <summary>Builds the cell for (layer, direction) of <paramref name="schema"/>'s model, reading its parameters from <paramref name="source"/>.</summary>
    public static RecurrentCell Create(RecurrentParameterSchema schema, int layer, int direction, ITensorSource source)
    {
        RnnConfig config = schema.Config;
        var p = new CellParameters(schema, layer, direction, source);
        return config.Kind switch
        {
            RecurrentKind.Lstm => new LstmCell(p),
            RecurrentKind.Gru => config.GruResetAfter ? new GruResetAfterCell(p) : new GruResetBeforeCell(p),
            _ => new ElmanCell(p, config.Nonlinearity),
        };
    }
}
