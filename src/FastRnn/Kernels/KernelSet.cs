using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastRnn.Runtime;

namespace FastRnn.Kernels;

/// <summary>
/// Every kernel the engine runs — matrix products over a <see cref="PackedMatrix"/> and the fused element-wise
/// cell updates — for one instruction set. Resolved once (see <see cref="KernelSelector"/>) and carried by the
/// matrices and cells that use it, so no product or step switches on the ISA again.
/// </summary>
/// <remarks>
/// The public methods check every length here, once, so that the ref-based loops behind them cannot overrun; the
/// implementations (<see cref="SimdKernelSet{TOps, TVector}"/> for each vector width and for scalar code)
/// only compute.
/// </remarks>
internal abstract partial class KernelSet
{
    /// <summary>The instruction set these kernels are compiled for.</summary>
    public abstract KernelIsa Isa { get; }

    /// <summary>
    /// For each of <paramref name="count"/> vectors n: y_n = (accumulate ? y_n : 0) + bias + W · x_n, where x_n starts
    /// at <c>x[n * xStride]</c> (W.Cols floats), y_n at <c>y[n * yStride]</c> (W.Rows floats), and an empty
    /// <paramref name="bias"/> adds nothing. One vector is a matrix–vector product bound by streaming W; several
    /// are a register-tiled matrix product (Y = X·Wᵀ) in which each weight load feeds several rows of X.
    /// <paramref name="streams"/>: the caller's products around this one read so many weights that these come from DRAM
    /// (a GRU step's W_ih and W_hh), so the tiled product prefetches them even where W alone would fit the cache.
    /// <paramref name="reverse"/>: a product with one vector visits its panels last to first (see
    /// <see cref="WorkerTeam.NextStep"/>); the results are the same to the bit, each row being summed within its panel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Multiply(PackedMatrix w, ReadOnlySpan<float> x, int xStride, Span<float> y, int yStride, int count, ReadOnlySpan<float> bias, bool accumulate,
        bool streams = false, bool reverse = false)
        => MultiplyPanels(w, x, xStride, y, yStride, count, bias, accumulate, 0, w.PanelCount, streams, reverse);

    /// <summary>
    /// <see cref="Multiply"/> restricted to the output rows of panels [firstPanel, firstPanel + panels): the unit a
    /// worker thread takes, so that its slice of the weights stays in its own core's cache from step to step.
    /// </summary>
    public void MultiplyPanels(
        PackedMatrix w, ReadOnlySpan<float> x, int xStride, Span<float> y, int yStride, int count, ReadOnlySpan<float> bias, bool accumulate,
        int firstPanel, int panels, bool streams = false, bool reverse = false)
    {
        if (count <= 0 || panels <= 0)
            return;
        // Internal callers size every buffer at session creation; these checks keep a bug there from becoming an
        // out-of-bounds read in the unsafe loops. They cost a few compares per product.
        if (xStride < w.Cols || yStride < w.Rows
            || (long)(count - 1) * xStride + w.Cols > x.Length
            || (long)(count - 1) * yStride + w.Rows > y.Length)
        {
            throw new ArgumentException(
                $"matrix ({w.Rows}, {w.Cols}) times {count} vectors: x has {x.Length} floats with stride {xStride}, y has {y.Length} with stride {yStride}");
        }
        if (!bias.IsEmpty && bias.Length < w.Rows)
            throw new ArgumentException($"bias has {bias.Length} floats; the matrix has {w.Rows} rows");
        if (firstPanel < 0 || firstPanel + panels > w.PanelCount)
            throw new ArgumentOutOfRangeException(nameof(firstPanel), $"panels [{firstPanel}, {firstPanel + panels}) are outside 0..{w.PanelCount}");
        if (w.Element != WeightElement.Float32)
        {
            MultiplyQuantized(w, x, xStride, y, yStride, count, bias, accumulate, firstPanel, panels, reverse);
            return;
        }
        MultiplyCore(w, ref MemoryMarshal.GetReference(x), xStride, ref MemoryMarshal.GetReference(y), yStride, count,
            ref MemoryMarshal.GetReference(bias), !bias.IsEmpty, accumulate, firstPanel, panels, streams, reverse);
    }

    /// <summary>
    /// Two independent matrix–vector products over the panels [firstPanel, firstPanel + panels) of two matrices with the
    /// same rows: ya = biasA + A·xa and yb = biasB + B·xb (an empty bias adds nothing). Where this width has the kernel
    /// and both matrices are float32, one pass reads the two weight streams together (a GRU step's W_ih x and W_hh h, bound
    /// by how fast its weights come in); otherwise one product after the other. <paramref name="reverse"/> as in
    /// <see cref="Multiply"/>: the panels last to first, the same bits.
    /// </summary>
    public void MultiplyTwoPanels(
        PackedMatrix a, ReadOnlySpan<float> xa, Span<float> ya, ReadOnlySpan<float> biasA,
        PackedMatrix b, ReadOnlySpan<float> xb, Span<float> yb, ReadOnlySpan<float> biasB, int firstPanel, int panels, bool reverse = false)
    {
        if (a.Rows != b.Rows)
            throw new ArgumentException($"matrices ({a.Rows}, {a.Cols}) and ({b.Rows}, {b.Cols}) must have the same rows to be multiplied side by side");
        if (!CanMultiplyTwo || a.Element != WeightElement.Float32 || b.Element != WeightElement.Float32)
        {
            MultiplyPanels(a, xa, a.Cols, ya, a.Rows, 1, biasA, accumulate: false, firstPanel, panels, reverse: reverse);
            MultiplyPanels(b, xb, b.Cols, yb, b.Rows, 1, biasB, accumulate: false, firstPanel, panels, reverse: reverse);
            return;
        }
        if (panels <= 0)
            return;
        if (xa.Length < a.Cols || xb.Length < b.Cols || ya.Length < a.Rows || yb.Length < b.Rows)
        {
            throw new ArgumentException(
                $"matrices ({a.Rows}, {a.Cols}) and ({b.Rows}, {b.Cols}) side by side: x has {xa.Length} and {xb.Length} floats, y {ya.Length} and {yb.Length}");
        }
        if ((!biasA.IsEmpty && biasA.Length < a.Rows) || (!biasB.IsEmpty && biasB.Length < b.Rows))
            throw new ArgumentException($"biases have {biasA.Length} and {biasB.Length} floats; the matrices have {a.Rows} rows");
        if (firstPanel < 0 || firstPanel + panels > a.PanelCount)
            throw new ArgumentOutOfRangeException(nameof(firstPanel), $"panels [{firstPanel}, {firstPanel + panels}) are outside 0..{a.PanelCount}");
        MultiplyTwoCore(
            a, ref MemoryMarshal.GetReference(xa), ref MemoryMarshal.GetReference(ya), ref MemoryMarshal.GetReference(biasA), !biasA.IsEmpty,
            b, ref MemoryMarshal.GetReference(xb), ref MemoryMarshal.GetReference(yb), ref MemoryMarshal.GetReference(biasB), !biasB.IsEmpty,
            new PanelSweep(firstPanel, panels, reverse));
    }

    /// <summary>Whether <see cref="MultiplyTwoPanels"/> reads both matrices in one pass with this width.</summary>
    protected abstract bool CanMultiplyTwo { get; }

    /// <inheritdoc cref="MultiplyTwoPanels"/>
    protected abstract void MultiplyTwoCore(
        PackedMatrix a, ref float xa, ref float ya, ref float biasA, bool hasBiasA,
        PackedMatrix b, ref float xb, ref float yb, ref float biasB, bool hasBiasB, PanelSweep sweep);

    /// <summary>LSTM update: gates (4H) pre-activations, c (H) updated in place, m (H) ← o⊙tanh(c).</summary>
    public void Lstm(Span<float> gates, Span<float> c, Span<float> m)
    {
        int h = c.Length;
        Require(gates.Length >= 4 * h && m.Length >= h, "LSTM", gates.Length, h);
        LstmCore(ref MemoryMarshal.GetReference(gates), ref MemoryMarshal.GetReference(c), ref MemoryMarshal.GetReference(m), h);
    }

    /// <summary>GRU "reset after" update: x and hh (3H each, biases in), h (H) updated in place.</summary>
    public void GruResetAfter(Span<float> x, Span<float> hh, Span<float> h)
    {
        int n = h.Length;
        Require(x.Length >= 3 * n && hh.Length >= 3 * n, "GRU", x.Length, n);
        GruResetAfterCore(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(hh), ref MemoryMarshal.GetReference(h), n);
    }

    /// <summary>GRU "reset before", first half: writes r⊙h to <paramref name="resetHidden"/> and z over x_z.</summary>
    public void GruResetBeforeGates(Span<float> x, Span<float> hh, Span<float> h, Span<float> resetHidden)
    {
        int n = h.Length;
        Require(x.Length >= 3 * n && hh.Length >= 2 * n && resetHidden.Length >= n, "GRU", x.Length, n);
        GruResetBeforeGatesCore(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(hh), ref MemoryMarshal.GetReference(h),
            ref MemoryMarshal.GetReference(resetHidden), n);
    }

    /// <summary>GRU "reset before", second half: h ← n + z⊙(h − n), n = tanh(x_n + h_n).</summary>
    public void GruResetBeforeUpdate(Span<float> x, Span<float> hh, Span<float> h)
    {
        int n = h.Length;
        Require(x.Length >= 3 * n && hh.Length >= 3 * n, "GRU", x.Length, n);
        GruResetBeforeUpdateCore(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(hh), ref MemoryMarshal.GetReference(h), n);
    }

    /// <summary>y ← tanh(x), element-wise over x's length; x and y may be the same span.</summary>
    public void Tanh(ReadOnlySpan<float> x, Span<float> y)
    {
        Require(y.Length >= x.Length, "tanh", y.Length, x.Length);
        TanhCore(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y), x.Length);
    }

    /// <summary>y ← max(0, x), element-wise over x's length; x and y may be the same span.</summary>
    public void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        Require(y.Length >= x.Length, "relu", y.Length, x.Length);
        ReluCore(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y), x.Length);
    }

    /// <summary>y ← σ(x), element-wise over x's length; x and y may be the same span.</summary>
    public void Sigmoid(ReadOnlySpan<float> x, Span<float> y)
    {
        Require(y.Length >= x.Length, "sigmoid", y.Length, x.Length);
        SigmoidCore(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y), x.Length);
    }

    /// <summary>
    /// Additive attention scores: scores[i] = v · tanh(query + keys[i]) + bias for every row i of keys (S, A), S =
    /// scores.Length, A = query.Length = v.Length.
    /// </summary>
    public void AdditiveScores(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> v, float bias, Span<float> scores)
    {
        int a = query.Length, s = scores.Length;
        if (v.Length != a || keys.Length < (long)s * a)
            throw new ArgumentException($"attention scores: query has {query.Length} floats, v {v.Length}, keys {keys.Length}; {s} positions need {(long)s * a}");
        AdditiveScoresCore(ref MemoryMarshal.GetReference(query), ref MemoryMarshal.GetReference(keys), ref MemoryMarshal.GetReference(v), bias,
            ref MemoryMarshal.GetReference(scores), s, a);
    }

    /// <summary>
    /// result (K) = Σ_i weights[i] · rows[i] over the rows of <paramref name="rows"/> (S, K), S = weights.Length, K =
    /// result.Length: an attention context.
    /// </summary>
    public void WeightedSum(ReadOnlySpan<float> weights, ReadOnlySpan<float> rows, Span<float> result)
    {
        int s = weights.Length, k = result.Length;
        if (rows.Length < (long)s * k)
            throw new ArgumentException($"weighted sum: {s} rows of {k} floats need {(long)s * k}; rows has {rows.Length}");
        WeightedSumCore(ref MemoryMarshal.GetReference(weights), ref MemoryMarshal.GetReference(rows), s, k, ref MemoryMarshal.GetReference(result));
    }

    /// <inheritdoc cref="MultiplyPanels"/>
    protected abstract void MultiplyCore(
        PackedMatrix w, ref float x, int xStride, ref float y, int yStride, int count, ref float bias, bool hasBias, bool accumulate,
        int firstPanel, int panels, bool streams, bool reverse);

    protected abstract void LstmCore(ref float gates, ref float c, ref float m, int hidden);

    protected abstract void GruResetAfterCore(ref float x, ref float hh, ref float h, int hidden);

    protected abstract void GruResetBeforeGatesCore(ref float x, ref float hh, ref float h, ref float resetHidden, int hidden);

    protected abstract void GruResetBeforeUpdateCore(ref float x, ref float hh, ref float h, int hidden);

    protected abstract void TanhCore(ref float x, ref float y, int length);

    protected abstract void ReluCore(ref float x, ref float y, int length);

    protected abstract void SigmoidCore(ref float x, ref float y, int length);

    protected abstract void AdditiveScoresCore(ref float query, ref float keys, ref float v, float bias, ref float scores, int positions, int width);

    protected abstract void WeightedSumCore(ref float weights, ref float rows, int count, int width, ref float result);

    private static void Require(bool condition, string operation, int bufferLength, int length)
    {
        if (!condition)
            throw new ArgumentException($"{operation}: buffers too short for {(operation is "LSTM" or "GRU" ? "hidden size" : "length")} {length} (buffer of {bufferLength} floats)");
    }
}
