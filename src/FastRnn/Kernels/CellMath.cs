using System.Runtime.CompilerServices;

namespace FastRnn.Kernels;

/// <summary>
/// The element-wise half of each recurrent step — activations and state update fused into one pass over the
/// hidden units — written once for every vector width. Whatever does not fill a vector is finished by the
/// <see cref="SimdOpsScalar"/> instantiation of the same code.
/// </summary>
/// <remarks>
/// Fusing matters at small sizes: one pass keeps i, f, g, o and c in registers, where separate activation calls
/// would each re-read and re-write the gate buffer and pay a dispatch. Offsets are in floats from the given refs.
/// </remarks>
internal static class CellMath<TOps, TVector>
    where TOps : ISimdOps<TVector>
    where TVector : struct
{
    /// <summary>
    /// LSTM: gates = [i; f; g; o] pre-activations (4 × H). c ← σ(f)⊙c + σ(i)⊙tanh(g); m ← σ(o)⊙tanh(c).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Lstm(ref float gates, ref float c, ref float m, int hidden, int start = 0)
    {
        int j = start;
        for (; j + TOps.Width <= hidden; j += TOps.Width)
        {
            nuint u = (uint)j;
            TVector i = Activation<TOps, TVector>.Sigmoid(TOps.Load(ref gates, u));
            TVector f = Activation<TOps, TVector>.Sigmoid(TOps.Load(ref gates, u + (uint)hidden));
            TVector g = Activation<TOps, TVector>.Tanh(TOps.Load(ref gates, u + (uint)(2 * hidden)));
            TVector o = Activation<TOps, TVector>.Sigmoid(TOps.Load(ref gates, u + (uint)(3 * hidden)));
            TVector cNew = TOps.MultiplyAdd(f, TOps.Load(ref c, u), TOps.Multiply(i, g));
            TOps.Store(cNew, ref c, u);
            TOps.Store(TOps.Multiply(o, Activation<TOps, TVector>.Tanh(cNew)), ref m, u);
        }
        if (TOps.Width > 1 && j < hidden)
            CellMath<SimdOpsScalar, float>.Lstm(ref gates, ref c, ref m, hidden, j);
    }

    /// <summary>
    /// GRU, reset after: x = [x_r; x_z; x_n], hh = [h_r; h_z; h_n] (3 × H each, biases included).
    /// h ← n + σ(x_z + h_z)⊙(h − n) with n = tanh(x_n + σ(x_r + h_r)⊙h_n).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GruResetAfter(ref float x, ref float hh, ref float h, int hidden, int start = 0)
    {
        uint h1 = (uint)hidden, h2 = (uint)(2 * hidden);
        int j = start;
        for (; j + TOps.Width <= hidden; j += TOps.Width)
        {
            nuint u = (uint)j;
            TVector r = Activation<TOps, TVector>.Sigmoid(TOps.Add(TOps.Load(ref x, u), TOps.Load(ref hh, u)));
            TVector z = Activation<TOps, TVector>.Sigmoid(TOps.Add(TOps.Load(ref x, u + h1), TOps.Load(ref hh, u + h1)));
            TVector n = Activation<TOps, TVector>.Tanh(TOps.MultiplyAdd(r, TOps.Load(ref hh, u + h2), TOps.Load(ref x, u + h2)));
            TOps.Store(TOps.MultiplyAdd(z, TOps.Subtract(TOps.Load(ref h, u), n), n), ref h, u);
        }
        if (TOps.Width > 1 && j < hidden)
            CellMath<SimdOpsScalar, float>.GruResetAfter(ref x, ref hh, ref h, hidden, j);
    }

    /// <summary>
    /// GRU, reset before, first half: r = σ(x_r + h_r) and z = σ(x_z + h_z); writes r⊙h to <paramref name="resetHidden"/>
    /// (the input of W_hn) and z over x_z for <see cref="GruResetBeforeUpdate"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GruResetBeforeGates(ref float x, ref float hh, ref float h, ref float resetHidden, int hidden, int start = 0)
    {
        uint h1 = (uint)hidden;
        int j = start;
        for (; j + TOps.Width <= hidden; j += TOps.Width)
        {
            nuint u = (uint)j;
            TVector r = Activation<TOps, TVector>.Sigmoid(TOps.Add(TOps.Load(ref x, u), TOps.Load(ref hh, u)));
            TVector z = Activation<TOps, TVector>.Sigmoid(TOps.Add(TOps.Load(ref x, u + h1), TOps.Load(ref hh, u + h1)));
            TOps.Store(TOps.Multiply(r, TOps.Load(ref h, u)), ref resetHidden, u);
            TOps.Store(z, ref x, u + h1);
        }
        if (TOps.Width > 1 && j < hidden)
            CellMath<SimdOpsScalar, float>.GruResetBeforeGates(ref x, ref hh, ref h, ref resetHidden, hidden, j);
    }

    /// <summary>GRU, reset before, second half: n = tanh(x_n + h_n) with h_n = W_hn (r⊙h) + b_hn; h ← n + z⊙(h − n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GruResetBeforeUpdate(ref float x, ref float hh, ref float h, int hidden, int start = 0)
    {
        uint h1 = (uint)hidden, h2 = (uint)(2 * hidden);
        int j = start;
        for (; j + TOps.Width <= hidden; j += TOps.Width)
        {
            nuint u = (uint)j;
            TVector z = TOps.Load(ref x, u + h1);
            TVector n = Activation<TOps, TVector>.Tanh(TOps.Add(TOps.Load(ref x, u + h2), TOps.Load(ref hh, u + h2)));
            TOps.Store(TOps.MultiplyAdd(z, TOps.Subtract(TOps.Load(ref h, u), n), n), ref h, u);
        }
        if (TOps.Width > 1 && j < hidden)
            CellMath<SimdOpsScalar, float>.GruResetBeforeUpdate(ref x, ref hh, ref h, hidden, j);
    }

    /// <summary>y ← σ(x), element-wise over <paramref name="length"/> floats (x and y may be the same buffer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sigmoid(ref float x, ref float y, int length, int start = 0)
    {
        int j = start;
        for (; j + TOps.Width <= length; j += TOps.Width)
            TOps.Store(Activation<TOps, TVector>.Sigmoid(TOps.Load(ref x, (uint)j)), ref y, (uint)j);
        if (TOps.Width > 1 && j < length)
            CellMath<SimdOpsScalar, float>.Sigmoid(ref x, ref y, length, j);
    }

    /// <summary>y ← tanh(x), element-wise over <paramref name="length"/> floats (x and y may be the same buffer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tanh(ref float x, ref float y, int length, int start = 0)
    {
        int j = start;
        for (; j + TOps.Width <= length; j += TOps.Width)
            TOps.Store(Activation<TOps, TVector>.Tanh(TOps.Load(ref x, (uint)j)), ref y, (uint)j);
        if (TOps.Width > 1 && j < length)
            CellMath<SimdOpsScalar, float>.Tanh(ref x, ref y, length, j);
    }

    /// <summary>y ← max(0, x), element-wise over <paramref name="length"/> floats (x and y may be the same buffer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Relu(ref float x, ref float y, int length, int start = 0)
    {
        int j = start;
        for (; j + TOps.Width <= length; j += TOps.Width)
            TOps.Store(TOps.Max(TOps.Zero, TOps.Load(ref x, (uint)j)), ref y, (uint)j);
        if (TOps.Width > 1 && j < length)
            CellMath<SimdOpsScalar, float>.Relu(ref x, ref y, length, j);
    }
}
