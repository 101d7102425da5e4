using System.Numerics;
using System.Runtime.CompilerServices;

namespace FastRnn.Kernels;

/// <summary>
/// What follows a quantized panel's dot products: the int32 sums scaled into float and added up over the segments,
/// then bias and destination. Vectorised with <see cref="Vector{T}"/> on every machine, each lane doing exactly the
/// scalar loop's operations in its order (a multiply, then an add; never fused), so the numbers do not depend on the
/// vector width, and the plain loops are the twin for the lanes left over.
/// </summary>
/// <remarks>Measured: as scalar loops over spans, with the sums cleared, added and then copied out, this took 12 % of an
/// int8 LSTM 1024's sequence (32 lanes per vector and segment against 256 dot-product instructions). Now the last (most
/// often the only) segment's scaling goes straight to the destination, and nothing is sliced per vector.</remarks>
internal static class QuantizedEpilogue
{
    private const int P = PackedMatrix.PanelRows;

    /// <summary>One vector's int32 sums of a panel segment (or of several panels' rows in a row), and what scales them: rowScales[r] · activationScale.</summary>
    public readonly ref struct Lanes(ref int acc, ref float rowScales, float activationScale)
    {
        public readonly ref int Acc = ref acc;
        public readonly ref float RowScales = ref rowScales;
        public readonly float ActivationScale = activationScale;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<float> Scaled(int r)
            => Vector.ConvertToSingle(Vector.LoadUnsafe(ref Acc, (nuint)r)) * (Vector.LoadUnsafe(ref RowScales, (nuint)r) * new Vector<float>(ActivationScale));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Scaled1(int r) => Unsafe.Add(ref Acc, r) * (Unsafe.Add(ref RowScales, r) * ActivationScale);
    }

    /// <summary>sums[r] = scaled[r] for the first segment, sums[r] += scaled[r] after it, over <paramref name="length"/> lanes (whole panels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScaled(Lanes lanes, ref float sums, bool first, int length)
    {
        int r = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; r <= length - Vector<float>.Count; r += Vector<float>.Count)
            {
                Vector<float> value = lanes.Scaled(r);
                if (!first)
                    value = Vector.LoadUnsafe(ref sums, (nuint)r) + value;
                value.StoreUnsafe(ref sums, (nuint)r);
            }
        }
        for (; r < length; r++)
            Unsafe.Add(ref sums, r) = first ? lanes.Scaled1(r) : Unsafe.Add(ref sums, r) + lanes.Scaled1(r);
    }

    /// <summary>
    /// The last segment: t = scaled[r] (+ sums[r] when earlier segments left sums), then y[r] = bias[r] + t (t alone
    /// without bias), or y[r] += that when accumulating; over the first <paramref name="rows"/> rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteScaled(Lanes lanes, ref float sums, bool hasSums, ref float bias, bool hasBias, ref float y, bool accumulate, int rows)
    {
        int r = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; r <= rows - Vector<float>.Count; r += Vector<float>.Count)
            {
                Vector<float> value = lanes.Scaled(r);
                if (hasSums)
                    value = Vector.LoadUnsafe(ref sums, (nuint)r) + value;
                Store(value, ref bias, hasBias, ref y, accumulate, r);
            }
        }
        for (; r < rows; r++)
        {
            float value = lanes.Scaled1(r);
            if (hasSums)
                value = Unsafe.Add(ref sums, r) + value;
            Store(value, ref bias, hasBias, ref y, accumulate, r);
        }
    }

    /// <summary>y[r] = bias[r] + sums[r] (sums[r] alone without bias), or y[r] += that when accumulating; over <paramref name="rows"/> rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(ref float sums, ref float bias, bool hasBias, ref float y, bool accumulate, int rows)
    {
        int r = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; r <= rows - Vector<float>.Count; r += Vector<float>.Count)
                Store(Vector.LoadUnsafe(ref sums, (nuint)r), ref bias, hasBias, ref y, accumulate, r);
        }
        for (; r < rows; r++)
            Store(Unsafe.Add(ref sums, r), ref bias, hasBias, ref y, accumulate, r);
    }

    // y[r..] = bias[r..] + value (value alone without bias), or y[r..] += that.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector<float> value, ref float bias, bool hasBias, ref float y, bool accumulate, int r)
    {
        if (hasBias)
            value = Vector.LoadUnsafe(ref bias, (nuint)r) + value;
        if (accumulate)
            value = Vector.LoadUnsafe(ref y, (nuint)r) + value;
        value.StoreUnsafe(ref y, (nuint)r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float value, ref float bias, bool hasBias, ref float y, bool accumulate, int r)
    {
        if (hasBias)
            value = Unsafe.Add(ref bias, r) + value;
        Unsafe.Add(ref y, r) = accumulate ? Unsafe.Add(ref y, r) + value : value;
    }

    /// <summary>acc[r] −= offset · rowSums[r] over a panel's 32 sums (integers: exact in any order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RemoveOffset(int offset, ref int rowSums, ref int acc)
    {
        int r = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var factor = new Vector<int>(offset);
            for (; r <= P - Vector<int>.Count; r += Vector<int>.Count)
                (Vector.LoadUnsafe(ref acc, (nuint)r) - factor * Vector.LoadUnsafe(ref rowSums, (nuint)r)).StoreUnsafe(ref acc, (nuint)r);
        }
        for (; r < P; r++)
            Unsafe.Add(ref acc, r) -= offset * Unsafe.Add(ref rowSums, r);
    }
}
