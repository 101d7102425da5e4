using System.Runtime.CompilerServices;
using FastRnn.Kernels;
using FastRnn.Runtime;

namespace FastRnn.Layers;

/// <summary>
/// LSTM step, PyTorch semantics: gates i, f, g, o; <c>c' = f ⊙ c + i ⊙ g</c>; <c>h' = o ⊙ tanh(c')</c>, or with a
/// projection <c>h' = W_hr (o ⊙ tanh(c'))</c>.
/// </summary>
internal sealed class LstmCell : RecurrentCell
{
    private readonly PackedMatrix _combined;    // [W_ih | W_hh], (4H, I + H_out): a step reads it in one pass
    private readonly PackedMatrix _recurrent;   // W_hh: columns [I, I + H_out) of _combined
    private readonly PackedMatrix? _projection; // W_hr, (P, H)
    private readonly GeneralCellMath? _general;  // ONNX-only features, else null for the fused path
    private readonly float[] _peepholes;         // (3, H): P_i, P_f, P_o; empty without
    private readonly bool _inputForget;

    // b_ih + b_hh are folded into one bias on the input side: both are plain additions to every gate.
    public LstmCell(CellParameters p)
        : this(p, p.PackInputAndRecurrent())
    {
    }

    private LstmCell(CellParameters p, PackedMatrix combined)
        : base(combined.Columns(0, p.InputSize), p.SummedBias(), p.HiddenSize, p.OutputSize)
    {
        _combined = combined;
        _recurrent = combined.Columns(p.InputSize, p.OutputSize);
        if (p.HasProjection)
            _projection = p.PackProjection();
        MarkRecurrentWeights(_recurrent, _projection);
        _general = p.General;
        _peepholes = p.Peepholes;
        _inputForget = p.InputForget;
    }

    // (B, H) for the projection's input when there is one, then (B, I + H_out) for [x ; h].
    public override int ScratchLength(int batch) => (_projection is null ? 0 : batch * HiddenSize) + batch * _combined.Cols;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void StepFromGates(WorkerTeam team, Span<float> gates, Span<float> h, Span<float> c, Span<float> scratch, int batch, bool streams = false)
    {
        team.Multiply(_recurrent, h, OutputSize, gates, GateRows, batch, default, accumulate: true, streams);
        Update(team, gates, h, c, scratch, batch);
    }

    /// <summary>
    /// gates = (b_ih + b_hh) + [W_ih | W_hh] [x ; h]: one contiguous pass over the weights, exactly the access pattern
    /// of a plain matrix–vector product, then the update.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void StepFromInput(WorkerTeam team, ReadOnlySpan<float> x, int xStride, Span<float> gates, Span<float> h, Span<float> c, Span<float> scratch, int batch)
    {
        Span<float> joined = scratch.Slice(_projection is null ? 0 : batch * HiddenSize, batch * _combined.Cols);
        Join(x, xStride, h, OutputSize, joined, batch);
        team.Multiply(_combined, joined, _combined.Cols, gates, GateRows, batch, InputBias, accumulate: false);
        Update(team, gates, h, c, scratch, batch);
    }

    private void Update(WorkerTeam team, Span<float> gates, Span<float> h, Span<float> c, Span<float> scratch, int batch)
    {
        int hs = HiddenSize, g = GateRows;
        for (int b = 0; b < batch; b++)
        {
            Span<float> m = _projection is null ? h.Slice(b * hs, hs) : scratch.Slice(b * hs, hs);
            if (_general is null)
                Kernels.Lstm(gates.Slice(b * g, g), c.Slice(b * hs, hs), m);
            else
                _general.Lstm(gates.Slice(b * g, g), c.Slice(b * hs, hs), m, _peepholes, _inputForget);
        }

        if (_projection is not null)
            team.Multiply(_projection, scratch, hs, h, OutputSize, batch, default, accumulate: false);
    }
}
