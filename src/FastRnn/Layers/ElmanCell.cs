using System.Runtime.CompilerServices;
using FastRnn.Kernels;

namespace FastRnn.Layers;

/// <summary>Plain (Elman) RNN step: <c>h' = act(W_ih x + b_ih + W_hh h + b_hh)</c>, act = tanh or relu.</summary>
internal sealed class ElmanCell : RecurrentCell
{
    private readonly PackedMatrix _recurrent; // W_hh, (H, H)
    private readonly RnnNonlinearity _nonlinearity;
    private readonly GeneralCellMath? _general; // ONNX activations/clip, else null for the fused path

    public ElmanCell(CellParameters p, RnnNonlinearity nonlinearity)
        : base(p.PackInput(), p.SummedBias(), p.HiddenSize, p.OutputSize)
    {
        _recurrent = p.PackRecurrent();
        _nonlinearity = nonlinearity;
        _general = p.General;
    }

    public override int ScratchLength(int batch) => 0;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Step(Span<float> gates, Span<float> h, Span<float> c, Span<float> scratch, int batch)
    {
        MatrixKernels.Multiply(_recurrent, h, HiddenSize, gates, HiddenSize, batch, accumulate: true);
        Update(gates, h, batch);
    }

    /// <summary>pre = (b_ih + b_hh) + W_ih x + W_hh h in one pass over both matrices, then the activation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void StepFromInput(ReadOnlySpan<float> x, int xStride, Span<float> gates, Span<float> h, Span<float> c, Span<float> scratch, int batch)
    {
        MatrixKernels.MultiplyAdd(InputWeights, x, xStride, _recurrent, h, HiddenSize, InputBias, gates, HiddenSize, batch);
        Update(gates, h, batch);
    }

    private void Update(Span<float> gates, Span<float> h, int batch)
    {
        Span<float> pre = gates[..(batch * HiddenSize)];
        if (_general is null)
            CellKernels.Elman(pre, h, relu: _nonlinearity == RnnNonlinearity.Relu);
        else
            _general.Elman(pre, h);
    }
}
