using System.Runtime.CompilerServices;
using FastRnn.Kernels;
using FastRnn.Runtime;

namespace FastRnn.Layers;

/// <summary>
/// GRU step in PyTorch's "reset after" form (cuDNN, ONNX <c>linear_before_reset=1</c>, Keras <c>reset_after=True</c>):
/// <c>r = σ(x_r + h_r)</c>, <c>z = σ(x_z + h_z)</c>, <c>n = tanh(x_n + r ⊙ h_n)</c>, <c>h' = n + z ⊙ (h − n)</c>,
/// where x_* = W_i* x + b_i* and h_* = W_h* h + b_h*.
/// </summary>
internal sealed class GruResetAfterCell : RecurrentCell
{
    private readonly PackedMatrix _recurrent;  // W_hh, (3H, H)
    private readonly float[] _recurrentBias;    // b_hh, (3H): kept apart because b_hn sits inside r ⊙ (…)
    private readonly GeneralCellMath? _general; // ONNX activations/clip, else null for the fused path

    public GruResetAfterCell(CellParameters p)
        : base(p.PackInput(), p.InputBias(), p.HiddenSize, p.OutputSize)
    {
        _recurrent = p.PackRecurrent();
        MarkStepWeights(_recurrent);
        _recurrentBias = p.RecurrentBias();
        _general = p.General;
    }

    public override int ScratchLength(int batch) => batch * GateRows;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void StepFromGates(WorkerTeam team, Span<float> gates, Span<float> h, Span<float> c, Span<float> scratch, int batch, bool streams = false)
    {
        Span<float> hidden = scratch[..(batch * GateRows)];
        team.Multiply(_recurrent, h, HiddenSize, hidden, GateRows, batch, _recurrentBias, accumulate: false, streams);
        Update(gates, hidden, h, batch);
    }

    /// <summary>
    /// A step's two products, W_ih x then W_hh h; on a step whose products sweep backwards (<see cref="WorkerTeam.NextStep"/>)
    /// W_hh h first, so that the step reads its weights as one stream reversed, beginning with what the last step read
    /// last. The products are independent, so the order changes no bit.
    /// </summary>
    public override void StepFromInput(WorkerTeam team, ReadOnlySpan<float> x, int xStride, Span<float> gates, Span<float> h, Span<float> c, Span<float> scratch, int batch)
    {
        if (batch == 1 && StepWeightsOutOfCache)
        {
            // One stream whose weights come from L3 or DRAM: both products in one pass, the two weight streams read
            // together (Zen 1 guest, µs a step: GRU 256 37.7 -> 32.2, 512 243-273 -> 228-285, 1024 1,912-2,078 ->
            // 1,507-1,785). Weights in L2 take the two products apart, whose eight accumulators each are faster there
            // (64: 2.8 against 3.8).
            Span<float> hh = scratch[..GateRows];
            team.MultiplyTwo(InputWeights, x[..InputSize], gates[..GateRows], InputBias, _recurrent, h[..HiddenSize], hh, _recurrentBias, StepStreams(1));
            Update(gates, hh, h, 1);
            return;
        }
        if (!team.SweepsBackward)
        {
            base.StepFromInput(team, x, xStride, gates, h, c, scratch, batch);
            return;
        }
        Span<float> hidden = scratch[..(batch * GateRows)];
        team.Multiply(_recurrent, h, HiddenSize, hidden, GateRows, batch, _recurrentBias, accumulate: false, StepStreams(batch));
        ProjectInputs(team, x, xStride, batch, gates, StepStreams(batch));
        Update(gates, hidden, h, batch);
    }

    private void Update(Span<float> gates, Span<float> hidden, Span<float> h, int batch)
    {
        int hs = HiddenSize, g = GateRows;
        for (int b = 0; b < batch; b++)
        {
            if (_general is null)
                Kernels.GruResetAfter(gates.Slice(b * g, g), hidden.Slice(b * g, g), h.Slice(b * hs, hs));
            else
                _general.GruResetAfter(gates.Slice(b * g, g), hidden.Slice(b * g, g), h.Slice(b * hs, hs));
        }
    }
}
