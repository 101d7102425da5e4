using System.Numerics.Tensors;
using FastRnn.Kernels;

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

    public GruResetBeforeCell(CellParameters p)
        : base(p.PackInput(), p.InputBias, p.HiddenSize, p.OutputSize)
    {
        int hs = p.HiddenSize;
        _resetUpdate = PackedMatrix.FromRowMajor(p.RecurrentWeights.AsSpan(0, 2 * hs * hs), 2 * hs, hs);
        _candidate = PackedMatrix.FromRowMajor(p.RecurrentWeights.AsSpan(2 * hs * hs, hs * hs), hs, hs);
        _recurrentBias = p.RecurrentBias;
    }

    // (B, 3H) for the recurrent pre-activations, then (B, H) for r ⊙ h.
    public override int ScratchLength(int batch) => batch * (GateRows + HiddenSize);

    public override void Step(Span<float> gates, Span<float> h, Span<float> c, Span<float> scratch, int batch)
    {
        int hs = HiddenSize, g = GateRows;
        Span<float> hidden = scratch[..(batch * g)];
        Span<float> resetHidden = scratch.Slice(batch * g, batch * hs);
        FillRows(_recurrentBias, hidden, batch);
        MatrixKernels.Multiply(_resetUpdate, h, hs, hidden, g, batch, accumulate: true);

        for (int b = 0; b < batch; b++)
        {
            Span<float> rz = gates.Slice(b * g, 2 * hs);
            TensorPrimitives.Add(rz, hidden.Slice(b * g, 2 * hs), rz);
            TensorPrimitives.Sigmoid(rz, rz);
            TensorPrimitives.Multiply(rz[..hs], h.Slice(b * hs, hs), resetHidden.Slice(b * hs, hs));
        }

        // hidden rows' n part (offset 2H) = b_hn + W_hn (r ⊙ h).
        MatrixKernels.Multiply(_candidate, resetHidden, hs, hidden[(2 * hs)..], g, batch, accumulate: true);

        for (int b = 0; b < batch; b++)
        {
            Span<float> x = gates.Slice(b * g, g), hh = hidden.Slice(b * g, g);
            Span<float> z = x.Slice(hs, hs), n = x.Slice(2 * hs, hs);
            TensorPrimitives.Add(n, hh.Slice(2 * hs, hs), n);
            TensorPrimitives.Tanh(n, n);
            Span<float> hb = h.Slice(b * hs, hs), diff = hh[..hs];
            TensorPrimitives.Subtract(hb, n, diff);
            TensorPrimitives.FusedMultiplyAdd(z, diff, n, hb);
        }
    }
}
