using System.Runtime.CompilerServices;

namespace FastRnn.Kernels;

/// <summary>
/// The element-wise half of each recurrent step — activations and state update fused into one pass over the
/// hidden units — written once for every vector width. Whatever does not fill a vector is copied into a zero-padded
/// vector on the stack and finished by one more vector iteration (see <see cref="Padded"/>), so a hidden size of 24
/// costs two AVX-512 iterations, not one and eight scalar ones; the scalar twin (<see cref="SimdOpsScalar"/>) is the
/// same code one lane wide.
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
        {
            int w = TOps.Width, n = hidden - j;
            Padded p = new(stackalloc float[6 * Padded.MaxWidth], w);
            p.Load(ref gates, hidden, 4, j, n, 0);
            p.Load(ref c, hidden, 1, j, n, 4);
            Lstm(ref p[0], ref p[4], ref p[5], w);
            p.Store(ref c, hidden, 1, j, n, 4);
            p.Store(ref m, hidden, 1, j, n, 5);
        }
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
        {
            Padded p = Padded.Gru(stackalloc float[7 * Padded.MaxWidth], TOps.Width, ref x, ref hh, ref h, hidden, j);
            GruResetAfter(ref p[0], ref p[3], ref p[6], TOps.Width);
            p.Store(ref h, hidden, 1, j, hidden - j, 6);
        }
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
        {
            int w = TOps.Width, n = hidden - j;
            Padded p = new(stackalloc float[6 * Padded.MaxWidth], w);
            p.Load(ref x, hidden, 2, j, n, 0);
            p.Load(ref hh, hidden, 2, j, n, 2);
            p.Load(ref h, hidden, 1, j, n, 4);
            GruResetBeforeGates(ref p[0], ref p[2], ref p[4], ref p[5], w);
            p.Store(ref resetHidden, hidden, 1, j, n, 5);
            p.Store(ref Unsafe.Add(ref x, hidden), hidden, 1, j, n, 1); // z over x_z
        }
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
        {
            Padded p = Padded.Gru(stackalloc float[7 * Padded.MaxWidth], TOps.Width, ref x, ref hh, ref h, hidden, j);
            GruResetBeforeUpdate(ref p[0], ref p[3], ref p[6], TOps.Width);
            p.Store(ref h, hidden, 1, j, hidden - j, 6);
        }
    }

    /// <summary>y ← σ(x), element-wise over <paramref name="length"/> floats (x and y may be the same buffer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sigmoid(ref float x, ref float y, int length, int start = 0)
    {
        int j = start;
        for (; j + TOps.Width <= length; j += TOps.Width)
            TOps.Store(Activation<TOps, TVector>.Sigmoid(TOps.Load(ref x, (uint)j)), ref y, (uint)j);
        if (TOps.Width > 1 && j < length)
        {
            Padded p = new(stackalloc float[Padded.MaxWidth], TOps.Width);
            p.Load(ref x, length, 1, j, length - j, 0);
            Sigmoid(ref p[0], ref p[0], TOps.Width);
            p.Store(ref y, length, 1, j, length - j, 0);
        }
    }

    /// <summary>y ← tanh(x), element-wise over <paramref name="length"/> floats (x and y may be the same buffer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tanh(ref float x, ref float y, int length, int start = 0)
    {
        int j = start;
        for (; j + TOps.Width <= length; j += TOps.Width)
            TOps.Store(Activation<TOps, TVector>.Tanh(TOps.Load(ref x, (uint)j)), ref y, (uint)j);
        if (TOps.Width > 1 && j < length)
        {
            Padded p = new(stackalloc float[Padded.MaxWidth], TOps.Width);
            p.Load(ref x, length, 1, j, length - j, 0);
            Tanh(ref p[0], ref p[0], TOps.Width);
            p.Store(ref y, length, 1, j, length - j, 0);
        }
    }

    /// <summary>y ← max(0, x), element-wise over <paramref name="length"/> floats (x and y may be the same buffer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Relu(ref float x, ref float y, int length, int start = 0)
    {
        int j = start;
        for (; j + TOps.Width <= length; j += TOps.Width)
            TOps.Store(TOps.Max(TOps.Zero, TOps.Load(ref x, (uint)j)), ref y, (uint)j);
        if (TOps.Width > 1 && j < length)
        {
            Padded p = new(stackalloc float[Padded.MaxWidth], TOps.Width);
            p.Load(ref x, length, 1, j, length - j, 0);
            Relu(ref p[0], ref p[0], TOps.Width);
            p.Store(ref y, length, 1, j, length - j, 0);
        }
    }

    /// <summary>
    /// The last, partial vector of each of several buffers, copied into whole zero-padded vectors on the stack: vector
    /// k of the block holds elements [j, j + n) of segment k (segments <c>stride</c> floats apart), the rest zeros,
    /// which every activation maps to a finite value that is never stored back.
    /// </summary>
    private readonly ref struct Padded
    {
        /// <summary>The widest vector, in floats (AVX-512).</summary>
        public const int MaxWidth = 16;

        private readonly Span<float> _block;
        private readonly int _width;

        public Padded(Span<float> block, int width)
        {
            block.Clear();
            _block = block;
            _width = width;
        }

        /// <summary>A GRU update's tail: x's three gates in vectors 0–2, hh's in 3–5, h in 6.</summary>
        public static Padded Gru(Span<float> block, int width, ref float x, ref float hh, ref float h, int hidden, int j)
        {
            Padded p = new(block, width);
            p.Load(ref x, hidden, 3, j, hidden - j, 0);
            p.Load(ref hh, hidden, 3, j, hidden - j, 3);
            p.Load(ref h, hidden, 1, j, hidden - j, 6);
            return p;
        }

        /// <summary>Vector <paramref name="vector"/> of the block.</summary>
        public ref float this[int vector] => ref _block[vector * _width];

        /// <summary>Vectors first .. first + segments − 1 ← elements [j, j + n) of each segment of <paramref name="source"/>.</summary>
        public void Load(ref float source, int stride, int segments, int j, int n, int first)
        {
            for (int k = 0; k < segments; k++)
            {
                ref float from = ref Unsafe.Add(ref source, k * stride + j);
                for (int i = 0; i < n; i++)
                    _block[(first + k) * _width + i] = Unsafe.Add(ref from, i);
            }
        }

        /// <summary>Elements [j, j + n) of each segment of <paramref name="destination"/> ← vectors first .. first + segments − 1.</summary>
        public void Store(ref float destination, int stride, int segments, int j, int n, int first)
        {
            for (int k = 0; k < segments; k++)
            {
                ref float to = ref Unsafe.Add(ref destination, k * stride + j);
                for (int i = 0; i < n; i++)
                    Unsafe.Add(ref to, i) = _block[(first + k) * _width + i];
            }
        }
    }
}
