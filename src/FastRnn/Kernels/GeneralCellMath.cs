using System.Numerics.Tensors;
using FastRnn.Layers;

namespace FastRnn.Kernels;

/// <summary>
/// The element-wise half of a step for models that use ONNX-only features — any activation functions, clipping,
/// peepholes, a coupled forget gate — as span operations, one stream at a time. Models without those features take
/// the fused <see cref="CellMath{TOps, TVector}"/> path instead.
/// </summary>
/// <remarks>Order of operations follows ONNX Runtime: peephole terms are added before clipping, the LSTM output
/// peephole uses the new c, and clip bounds the inputs of the gate and candidate activations but not of h(c).</remarks>
internal sealed class GeneralCellMath(RnnActivation[] activations, float clip)
{
    private readonly RnnActivation _f = activations[0];
    private readonly RnnActivation _g = activations.Length > 1 ? activations[1] : default;
    private readonly RnnActivation _h = activations.Length > 2 ? activations[2] : default;

    /// <summary>
    /// LSTM: gates [i; f; g; o] (4H), c (H) updated, m (H) ← o ⊙ h(c). <paramref name="peepholes"/> is (3, H) in
    /// order i, f, o, or empty.
    /// </summary>
    public void Lstm(Span<float> gates, Span<float> c, Span<float> m, ReadOnlySpan<float> peepholes, bool inputForget)
    {
        int n = c.Length;
        Span<float> i = gates[..n], f = gates.Slice(n, n), g = gates.Slice(2 * n, n), o = gates.Slice(3 * n, n);
        bool peep = !peepholes.IsEmpty;

        if (peep)
            TensorPrimitives.FusedMultiplyAdd(peepholes[..n], c, i, i);
        ActivationFunctions.Apply(_f, i, clip);

        if (inputForget)
        {
            TensorPrimitives.Subtract(1f, i, f);
        }
        else
        {
            if (peep)
                TensorPrimitives.FusedMultiplyAdd(peepholes.Slice(n, n), c, f, f);
            ActivationFunctions.Apply(_f, f, clip);
        }

        ActivationFunctions.Apply(_g, g, clip);
        TensorPrimitives.Multiply(f, c, c);
        TensorPrimitives.FusedMultiplyAdd(i, g, c, c);

        if (peep)
            TensorPrimitives.FusedMultiplyAdd(peepholes.Slice(2 * n, n), c, o, o);
        ActivationFunctions.Apply(_f, o, clip);

        // ONNX Runtime applies h() to c itself: clip bounds the gate inputs only (checked against it in the Onnx tests).
        c.CopyTo(g); // g is spent: reuse it for h(c)
        ActivationFunctions.Apply(_h, g, clip: 0f);
        TensorPrimitives.Multiply(o, g, m);
    }

    /// <summary>GRU, reset after: x = [x_r; x_z; x_n], hh = [h_r; h_z; h_n] (biases in); h updated in place.</summary>
    public void GruResetAfter(Span<float> x, Span<float> hh, Span<float> h)
    {
        int n = h.Length;
        Span<float> rz = x[..(2 * n)], r = x[..n], z = x.Slice(n, n), candidate = x.Slice(2 * n, n);
        TensorPrimitives.Add(rz, hh[..(2 * n)], rz);
        ActivationFunctions.Apply(_f, rz, clip);
        TensorPrimitives.FusedMultiplyAdd(r, hh.Slice(2 * n, n), candidate, candidate);
        ActivationFunctions.Apply(_g, candidate, clip);
        Blend(z, candidate, h, hh[..n]);
    }

    /// <summary>GRU, reset before, first half: r and z activated in x; r ⊙ h written to <paramref name="resetHidden"/>.</summary>
    public void GruResetBeforeGates(Span<float> x, Span<float> hh, Span<float> h, Span<float> resetHidden)
    {
        int n = h.Length;
        Span<float> rz = x[..(2 * n)];
        TensorPrimitives.Add(rz, hh[..(2 * n)], rz);
        ActivationFunctions.Apply(_f, rz, clip);
        TensorPrimitives.Multiply(rz[..n], h, resetHidden);
    }

    /// <summary>GRU, reset before, second half: n = g(clip(x_n + h_n)); h ← n + z ⊙ (h − n).</summary>
    public void GruResetBeforeUpdate(Span<float> x, Span<float> hh, Span<float> h)
    {
        int n = h.Length;
        Span<float> candidate = x.Slice(2 * n, n);
        TensorPrimitives.Add(candidate, hh.Slice(2 * n, n), candidate);
        ActivationFunctions.Apply(_g, candidate, clip);
        Blend(x.Slice(n, n), candidate, h, hh[..n]);
    }

    /// <summary>RNN: h ← f(clip(pre)).</summary>
    public void Elman(Span<float> pre, Span<float> h)
    {
        ActivationFunctions.Apply(_f, pre, clip);
        pre.CopyTo(h);
    }

    // h ← (1 − z) ⊙ n + z ⊙ h = n + z ⊙ (h − n), using `scratch` for h − n.
    private static void Blend(Span<float> z, Span<float> candidate, Span<float> h, Span<float> scratch)
    {
        TensorPrimitives.Subtract(h, candidate, scratch);
        TensorPrimitives.FusedMultiplyAdd(z, scratch, candidate, h);
    }
}
