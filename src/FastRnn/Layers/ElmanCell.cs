using System.Runtime.CompilerServices;
using FastRnn.Kernels;
using FastRnn.Runtime;

namespace FastRnn.Layers;

/// <summary>Plain (Elman) RNN step: <c>h' = act(W_ih x + b_ih + W_hh h + b_hh)</c>, act = tanh or relu.</summary>
internal sealed class ElmanCell : RecurrentCell
{
    private readonly PackedMatrix _combined;  // [W_ih | W_hh], (H, I + H)
    private readonly PackedMatrix _recurrent; // W_hh: columns [I, I + H) of _combined
    private readonly RnnNonlinearity _nonlinearity;
    private readonly GeneralCellMath? _general; // ONNX activations/clip, else null for the fused path

    public ElmanCell(CellParameters p, RnnNonlinearity nonlinearity)
        : this(p, p.PackInputAndRecurrent(), nonlinearity)
    {
    }

    private ElmanCell(CellParameters p, PackedMatrix combined, RnnNonlinearity nonlinearity)
        : base(combined.Columns(0, p.InputSize), p.SummedBias(), p.HiddenSize, p.OutputSize)
    {
        _combined = combined;
        _recurrent = combined.Columns(p.InputSize, p.OutputSize);
        MarkRecurrentWeights(_recurrent);
        _nonlinearity = nonlinearity;
        _general = p.General;
    }

    // (B, I + H) for [x ; h].
    public override int ScratchLength(int batch) => batch * _combined.Cols;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void StepFromGates(WorkerTeam team, Span<float> gates, Span<float> h, Span<float> c, Span<float> scratch, int batch, bool streams = false)
    {
        team.Multiply(_recurrent, h, HiddenSize, gates, HiddenSize, batch, default, accumulate: true, streams);
        Update(gates, h, batch);
    }

    /// <summary>pre = (b_ih + b_hh) + [W_ih | W_hh] [x ; h] in one contiguous pass, then the activation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void StepFromInput(WorkerTeam team, ReadOnlySpan<float> x, int xStride, Span<float> gates, Span<float> h, Span<float> c, Span<float> scratch, int batch)
    {
        Span<float> joined = scratch[..(batch * _combined.Cols)];
        Join(x, xStride, h, HiddenSize, joined, batch);
        team.Multiply(_combined, joined, _combined.Cols, gates, HiddenSize, batch, InputBias, accumulate: false);
        Update(gates, h, batch);
    }

    private void Update(Span<float> gates, Span<float> h, int batch)
    {
        Span<float> pre = gates[..(batch * HiddenSize)];
        if (_general is null && _nonlinearity == RnnNonlinearity.Relu)
            Kernels.Relu(pre, h);
        else if (_general is null)
            Kernels.Tanh(pre, h);
        else
            _general.Elman(pre, h);
    }
}
