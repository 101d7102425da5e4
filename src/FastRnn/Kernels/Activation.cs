using System.Runtime.CompilerServices;

namespace FastRnn.Kernels;

/// <summary>
/// exp, sigmoid and tanh in float32, written once for every vector width (and for <see cref="SimdOpsScalar"/>).
/// </summary>
/// <remarks>
/// Why not TensorPrimitives: its float exp widens to double for accuracy we do not need, and each call costs a
/// dispatch; fused into the cell update these run in registers, a few dozen instructions per vector.
/// <para>Accuracy (checked against double precision by CellKernelTests over ±90 and at the extremes):
/// exp has a relative error below 3e-7 on [−87, 87] (Cody–Waite reduction by ln 2, degree-6 Taylor polynomial on
/// |r| ≤ ln2/2, whose truncation error is below 1.2e-7); sigmoid's absolute error is below 2e-7 and tanh's below
/// 4e-7. Inputs beyond ±87 saturate correctly (sigmoid to 0 or 1, tanh to ±1); NaN stays NaN.</para>
/// </remarks>
internal static class Activation<TOps, TVector>
    where TOps : ISimdOps<TVector>
    where TVector : struct
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2High = 0.693145751953125f;   // ln 2 split so that n * Ln2High is exact for |n| ≤ 128
    private const float Ln2Low = 1.42860682030941723212e-6f;
    private const float Limit = 87f;                    // e^±87 and 2^±126 stay normal floats

    /// <summary>e^x, for |x| ≤ 87 (inputs are clamped there).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Exp(TVector x)
    {
        // The clamped value is the second operand so a NaN input survives the clamp.
        x = TOps.Max(TOps.Broadcast(-Limit), TOps.Min(TOps.Broadcast(Limit), x));
        TVector n = TOps.Round(TOps.Multiply(x, TOps.Broadcast(Log2E)));
        TVector r = TOps.MultiplyAdd(n, TOps.Broadcast(-Ln2High), x);
        r = TOps.MultiplyAdd(n, TOps.Broadcast(-Ln2Low), r);

        // e^r = 1 + r + r²/2! + … + r⁶/6!, Horner form.
        TVector p = TOps.Broadcast(1f / 720);
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(1f / 120));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(1f / 24));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(1f / 6));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(0.5f));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(1f));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(1f));
        return TOps.Multiply(p, TOps.Pow2(n));
    }

    /// <summary>σ(x) = 1 / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Sigmoid(TVector x)
    {
        TVector one = TOps.Broadcast(1f);
        return TOps.Divide(one, TOps.Add(one, Exp(TOps.Subtract(TOps.Zero, x))));
    }

    /// <summary>tanh(x) = 1 − 2 / (e^2x + 1): exact limits at ±∞, absolute error ~1 ulp of 1 near 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Tanh(TVector x)
    {
        TVector one = TOps.Broadcast(1f);
        TVector e = Exp(TOps.Add(x, x));
        return TOps.Subtract(one, TOps.Divide(TOps.Broadcast(2f), TOps.Add(e, one)));
    }
}
