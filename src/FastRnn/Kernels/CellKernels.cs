using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastRnn.Kernels;

/// <summary>
/// Span entry points to <see cref="CellMath{TOps, TVector}"/> for one stream, dispatched to the process-wide
/// variant (or an explicit one, for tests). Lengths are checked here, once, so the ref-based loops cannot overrun.
/// </summary>
internal static class CellKernels
{
    /// <summary>LSTM update: gates (4H) pre-activations, c (H) updated in place, m (H) ← o⊙tanh(c).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Lstm(Span<float> gates, Span<float> c, Span<float> m, KernelIsa? isa = null)
    {
        int h = c.Length;
        Require(gates.Length >= 4 * h && m.Length >= h, "LSTM", gates.Length, h);
        ref float g0 = ref MemoryMarshal.GetReference(gates);
        ref float c0 = ref MemoryMarshal.GetReference(c);
        ref float m0 = ref MemoryMarshal.GetReference(m);
        switch (isa ?? KernelSelector.Active)
        {
            case KernelIsa.Avx512: CellMath<SimdOpsAvx512, Vector512<float>>.Lstm(ref g0, ref c0, ref m0, h); break;
            case KernelIsa.Avx2: CellMath<SimdOpsAvx2, Vector256<float>>.Lstm(ref g0, ref c0, ref m0, h); break;
            case KernelIsa.Vector128: CellMath<SimdOpsVector128, Vector128<float>>.Lstm(ref g0, ref c0, ref m0, h); break;
            default: CellMath<SimdOpsScalar, float>.Lstm(ref g0, ref c0, ref m0, h); break;
        }
    }

    /// <summary>GRU "reset after" update: x and hh (3H each, biases in), h (H) updated in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GruResetAfter(Span<float> x, Span<float> hh, Span<float> h, KernelIsa? isa = null)
    {
        int n = h.Length;
        Require(x.Length >= 3 * n && hh.Length >= 3 * n, "GRU", x.Length, n);
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float hh0 = ref MemoryMarshal.GetReference(hh);
        ref float h0 = ref MemoryMarshal.GetReference(h);
        switch (isa ?? KernelSelector.Active)
        {
            case KernelIsa.Avx512: CellMath<SimdOpsAvx512, Vector512<float>>.GruResetAfter(ref x0, ref hh0, ref h0, n); break;
            case KernelIsa.Avx2: CellMath<SimdOpsAvx2, Vector256<float>>.GruResetAfter(ref x0, ref hh0, ref h0, n); break;
            case KernelIsa.Vector128: CellMath<SimdOpsVector128, Vector128<float>>.GruResetAfter(ref x0, ref hh0, ref h0, n); break;
            default: CellMath<SimdOpsScalar, float>.GruResetAfter(ref x0, ref hh0, ref h0, n); break;
        }
    }

    /// <summary>GRU "reset before", first half: writes r⊙h to <paramref name="resetHidden"/> and z over x_z.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GruResetBeforeGates(Span<float> x, Span<float> hh, Span<float> h, Span<float> resetHidden, KernelIsa? isa = null)
    {
        int n = h.Length;
        Require(x.Length >= 3 * n && hh.Length >= 2 * n && resetHidden.Length >= n, "GRU", x.Length, n);
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float hh0 = ref MemoryMarshal.GetReference(hh);
        ref float h0 = ref MemoryMarshal.GetReference(h);
        ref float r0 = ref MemoryMarshal.GetReference(resetHidden);
        switch (isa ?? KernelSelector.Active)
        {
            case KernelIsa.Avx512: CellMath<SimdOpsAvx512, Vector512<float>>.GruResetBeforeGates(ref x0, ref hh0, ref h0, ref r0, n); break;
            case KernelIsa.Avx2: CellMath<SimdOpsAvx2, Vector256<float>>.GruResetBeforeGates(ref x0, ref hh0, ref h0, ref r0, n); break;
            case KernelIsa.Vector128: CellMath<SimdOpsVector128, Vector128<float>>.GruResetBeforeGates(ref x0, ref hh0, ref h0, ref r0, n); break;
            default: CellMath<SimdOpsScalar, float>.GruResetBeforeGates(ref x0, ref hh0, ref h0, ref r0, n); break;
        }
    }

    /// <summary>GRU "reset before", second half: h ← n + z⊙(h − n), n = tanh(x_n + h_n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GruResetBeforeUpdate(Span<float> x, Span<float> hh, Span<float> h, KernelIsa? isa = null)
    {
        int n = h.Length;
        Require(x.Length >= 3 * n && hh.Length >= 3 * n, "GRU", x.Length, n);
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float hh0 = ref MemoryMarshal.GetReference(hh);
        ref float h0 = ref MemoryMarshal.GetReference(h);
        switch (isa ?? KernelSelector.Active)
        {
            case KernelIsa.Avx512: CellMath<SimdOpsAvx512, Vector512<float>>.GruResetBeforeUpdate(ref x0, ref hh0, ref h0, n); break;
            case KernelIsa.Avx2: CellMath<SimdOpsAvx2, Vector256<float>>.GruResetBeforeUpdate(ref x0, ref hh0, ref h0, n); break;
            case KernelIsa.Vector128: CellMath<SimdOpsVector128, Vector128<float>>.GruResetBeforeUpdate(ref x0, ref hh0, ref h0, n); break;
            default: CellMath<SimdOpsScalar, float>.GruResetBeforeUpdate(ref x0, ref hh0, ref h0, n); break;
        }
    }

    /// <summary>h ← tanh(pre) or relu(pre), element-wise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Elman(Span<float> pre, Span<float> h, bool relu, KernelIsa? isa = null)
    {
        int n = h.Length;
        Require(pre.Length >= n, "RNN", pre.Length, n);
        ref float p0 = ref MemoryMarshal.GetReference(pre);
        ref float h0 = ref MemoryMarshal.GetReference(h);
        switch (isa ?? KernelSelector.Active)
        {
            case KernelIsa.Avx512: CellMath<SimdOpsAvx512, Vector512<float>>.Elman(ref p0, ref h0, n, relu); break;
            case KernelIsa.Avx2: CellMath<SimdOpsAvx2, Vector256<float>>.Elman(ref p0, ref h0, n, relu); break;
            case KernelIsa.Vector128: CellMath<SimdOpsVector128, Vector128<float>>.Elman(ref p0, ref h0, n, relu); break;
            default: CellMath<SimdOpsScalar, float>.Elman(ref p0, ref h0, n, relu); break;
        }
    }

    /// <summary>y ← σ(x), element-wise; x and y may be the same span.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sigmoid(Span<float> x, Span<float> y, KernelIsa? isa = null)
    {
        int n = x.Length;
        Require(y.Length >= n, "sigmoid", y.Length, n);
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        switch (isa ?? KernelSelector.Active)
        {
            case KernelIsa.Avx512: CellMath<SimdOpsAvx512, Vector512<float>>.Sigmoid(ref x0, ref y0, n); break;
            case KernelIsa.Avx2: CellMath<SimdOpsAvx2, Vector256<float>>.Sigmoid(ref x0, ref y0, n); break;
            case KernelIsa.Vector128: CellMath<SimdOpsVector128, Vector128<float>>.Sigmoid(ref x0, ref y0, n); break;
            default: CellMath<SimdOpsScalar, float>.Sigmoid(ref x0, ref y0, n); break;
        }
    }

    private static void Require(bool condition, string cell, int gateLength, int hidden)
    {
        if (!condition)
            throw new ArgumentException($"{cell} update: buffers too short for hidden size {hidden} (gate buffer {gateLength} floats)");
    }

    /// <summary>y ← tanh(x), element-wise; x and y may be the same span (attention scores, the Luong h̃, the bridge).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tanh(Span<float> x, Span<float> y, KernelIsa? isa = null)
    {
        int n = x.Length;
        Require(y.Length >= n, "tanh", y.Length, n);
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        // The same tanh as the Elman cell's, so attention matches the cells' approximation to the last bit.
        switch (isa ?? KernelSelector.Active)
        {
            case KernelIsa.Avx512: CellMath<SimdOpsAvx512, Vector512<float>>.Elman(ref x0, ref y0, n, relu: false); break;
            case KernelIsa.Avx2: CellMath<SimdOpsAvx2, Vector256<float>>.Elman(ref x0, ref y0, n, relu: false); break;
            case KernelIsa.Vector128: CellMath<SimdOpsVector128, Vector128<float>>.Elman(ref x0, ref y0, n, relu: false); break;
            default: CellMath<SimdOpsScalar, float>.Elman(ref x0, ref y0, n, relu: false); break;
        }
    }
}
