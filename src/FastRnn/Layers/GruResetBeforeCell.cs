using System.Runtime.CompilerServices;
using FastRnn.Kernels;
using FastRnn.Runtime;

namespace FastRnn.Layers;

/// <summary>
/// GRU step in the original form of Cho et al. (Keras <c>reset_after=False</c>, ONNX <c>linear_before_reset=0</c>):
/// <c>n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)</c>; r, z and h' as in the "reset after" form.
/// </summary>
/// <remarks>
/// W_hn has to wait for r of every unit, so W_hh is split at load into its r/z rows and its n rows, two products
/// per step instead of one.
/// </remarks>
internal sealed class GruResetBeforeCell : RecurrentCell
{
    private readonly PackedMatrix _resetUpdate; // W_hr ; W_hz, (2H, H)
    private readonly PackedMatrix _candidate;   // W_hn, (H, H)
    private readonly float[] _recurrentBias;     // b_hh, (3H)
    private readonly GeneralCellMath? _general;  // ONNX activations/clip, else null for the fused path

    public GruResetBeforeCell(CellParameters p)
        : base(p.PackInput(), p.InputBias(), p.HiddenSize, p.OutputSize)
    {
        int hs = p.HiddenSize;
        _resetUpdate = p.PackRecurrentRows(0, 2 * hs);
        _candidate = p.PackRecurrentRows(2 * hs, hs);
        MarkStepWeights(_resetUpdate, _candidate);
        _recurrentBias = p.RecurrentBias();
        _general = p.General;
    }

    // (B, 3H) for the recurrent pre-activations, then (B, H) for r ⊙ h.
    public override int ScratchLength(int batch) => batch * (GateRows + HiddenSize);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void StepFromGates(WorkerTeam team, Span<float> gates, Span<float> h, Span<float> c, Span<float> scratch, int batch, bool streams = false)
    {
        team.Multiply(_resetUpdate, h, HiddenSize, scratch[..(batch * GateRows)], GateRows, batch, _recurrentBias, accumulate: false, streams);
        Finish(team, gates, h, scratch, batch, streams);
    }

    /// <summary>
    /// A step's products, W_ih x, W_hr;hz h, then W_hn (r ⊙ h), which needs r; on a step whose products sweep backwards
    /// (<see cref="WorkerTeam.NextStep"/>) W_hr;hz h comes first, so that it begins with what the last step read just
    /// before W_hn. The first two products are independent, so the order changes no bit.
    /// </summary>
    public override void StepFromInput(WorkerTeam team, ReadOnlySpan<float> x, int xStride, Span<float> gates, Span<float> h, Span<float> c, Span<float> scratch, int batch)
    {
        if (!team.SweepsBackward)
        {
            base.StepFromInput(team, x, xStride, gates, h, c, scratch, batch);
            return;
        }
        team.Multiply(_resetUpdate, h, HiddenSize, scratch[..(batch * GateRows)], GateRows, batch, _recurrentBias, accumulate: false, StepStreams(batch));
        ProjectInputs(team, x, xStride, batch, gates, StepStreams(batch));
        Finish(team, gates, h, scratch, batch, StepStreams(batch));
    }

    // With gx in gates and W_hr;hz h in the first 2H of each hidden row: r, z, r ⊙ h, W_hn (r ⊙ h), then h'.
    private void Finish(WorkerTeam team, Span<float> gates, Span<float> h, Span<float> scratch, int batch, bool streams)
    {
        int hs = HiddenSize, g = GateRows;
        Span<float> hidden = scratch[..(batch * g)];
        Span<float> resetHidden = scratch.Slice(batch * g, batch * hs);
        for (int b = 0; b < batch; b++)
        {
            if (_general is null)
                Kernels.GruResetBeforeGates(gates.Slice(b * g, g), hidden.Slice(b * g, g), h.Slice(b * hs, hs), resetHidden.Slice(b * hs, hs));
            else
                _general.GruResetBeforeGates(gates.Slice(b * g, g), hidden.Slice(b * g, g), h.Slice(b * hs, hs), resetHidden.Slice(b * hs, hs));
        }

        // The n part of each hidden row (offset 2H) = b_hn + W_hn (r ⊙ h).
        team.Multiply(_candidate, resetHidden, hs, hidden[(2 * hs)..], g, batch, _recurrentBias.AsSpan(2 * hs), accumulate: false, streams);

        for (int b = 0; b < batch; b++)
        {
            if (_general is null)
                Kernels.GruResetBeforeUpdate(gates.Slice(b * g, g), hidden.Slice(b * g, g), h.Slice(b * hs, hs));
            else
                _general.GruResetBeforeUpdate(gates.Slice(b * g, g), hidden.Slice(b * g, g), h.Slice(b * hs, hs));
        }
    }
}
