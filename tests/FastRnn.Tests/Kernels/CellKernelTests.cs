using FastRnn.Kernels;

namespace FastRnn.Tests.Kernels;

/// <summary>
/// The fused activations and state updates of every supported variant against plain double-precision formulas,
/// over every hidden size 1..70 (so each vector tail is hit) and over inputs that saturate.
/// </summary>
public class CellKernelTests
{
    private const double ActivationTolerance = 4e-7;

    public static IEnumerable<object[]> Variants() => KernelSelector.Supported.Select(isa => new object[] { isa });

    [Theory]
    [MemberData(nameof(Variants))]
    public void Tanh_IsWithinStatedErrorOfDouble_FromMinus90To90(KernelIsa isa)
    {
        float[] x = Sweep(-90f, 90f, 100_003);
        var y = new float[x.Length];
        KernelSelector.Get(isa).Tanh(x, y);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(Math.Tanh(x[i]) - y[i]) <= ActivationTolerance, $"{isa} tanh({x[i]}) = {y[i]}, expected {Math.Tanh(x[i])}");
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Activations_AtTheExtremes_SaturateAndKeepNaN(KernelIsa isa)
    {
        float[] x = [float.NegativeInfinity, -1e30f, -88.5f, 0f, -0f, 1e-30f, 88.5f, 1e30f, float.PositiveInfinity, float.NaN, 3f, -3f, 0.5f, -0.5f, 40f, -40f, 1f];
        var y = new float[x.Length];
        KernelSelector.Get(isa).Tanh(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            if (float.IsNaN(x[i]))
                Assert.True(float.IsNaN(y[i]), $"{isa} tanh(NaN) = {y[i]}");
            else
                Assert.True(Math.Abs(Math.Tanh(x[i]) - y[i]) <= ActivationTolerance, $"{isa} tanh({x[i]}) = {y[i]}");
        }

        // Sigmoid through the LSTM update with c = 0, g = +inf (tanh 1) and o = +inf (σ 1): c' = σ(i), m = tanh(σ(i)).
        int n = x.Length;
        var gates = new float[4 * n];
        for (int j = 0; j < n; j++)
        {
            gates[j] = x[j];
            gates[n + j] = 0f;
            gates[2 * n + j] = float.PositiveInfinity;
            gates[3 * n + j] = float.PositiveInfinity;
        }
        var c = new float[n];
        var m = new float[n];
        KernelSelector.Get(isa).Lstm(gates, c, m);
        for (int j = 0; j < n; j++)
        {
            double expected = 1 / (1 + Math.Exp(-(double)x[j]));
            if (float.IsNaN(x[j]))
                Assert.True(float.IsNaN(c[j]), $"{isa} sigmoid(NaN) = {c[j]}");
            else
                Assert.True(Math.Abs(expected - c[j]) <= ActivationTolerance, $"{isa} sigmoid({x[j]}) = {c[j]}, expected {expected}");
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Lstm_MatchesDoubleFormula_ForEveryHiddenSizeUpTo70(KernelIsa isa)
    {
        var random = new Random(5);
        for (int h = 1; h <= 70; h++)
        {
            float[] gates = Random(random, 4 * h, 4f), c = Random(random, h, 2f);
            float[] c0 = (float[])c.Clone();
            var m = new float[h];
            KernelSelector.Get(isa).Lstm((float[])gates.Clone(), c, m);
            for (int j = 0; j < h; j++)
            {
                double i = Sigmoid(gates[j]), f = Sigmoid(gates[h + j]), g = Math.Tanh(gates[2 * h + j]), o = Sigmoid(gates[3 * h + j]);
                double cNew = f * c0[j] + i * g;
                Assert.True(Math.Abs(cNew - c[j]) <= 1e-6, $"{isa} H={h} c[{j}] = {c[j]}, expected {cNew}");
                Assert.True(Math.Abs(o * Math.Tanh(cNew) - m[j]) <= 1e-6, $"{isa} H={h} m[{j}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Gru_BothForms_MatchDoubleFormulas_ForEveryHiddenSizeUpTo70(KernelIsa isa)
    {
        var random = new Random(6);
        for (int h = 1; h <= 70; h++)
        {
            float[] x = Random(random, 3 * h, 4f), hh = Random(random, 3 * h, 4f), state = Random(random, h, 1f);

            var after = (float[])state.Clone();
            KernelSelector.Get(isa).GruResetAfter(x, hh, after);

            // Reset before: the caller computes h_n = W_hn (r ⊙ h) between the halves; any value will do here.
            float[] xb = (float[])x.Clone(), before = (float[])state.Clone();
            var resetHidden = new float[h];
            KernelSelector.Get(isa).GruResetBeforeGates(xb, hh, before, resetHidden);
            KernelSelector.Get(isa).GruResetBeforeUpdate(xb, hh, before);

            for (int j = 0; j < h; j++)
            {
                double r = Sigmoid(x[j] + (double)hh[j]), z = Sigmoid(x[h + j] + (double)hh[h + j]);
                double n = Math.Tanh(x[2 * h + j] + r * hh[2 * h + j]);
                Assert.True(Math.Abs(n + z * (state[j] - n) - after[j]) <= 1e-6, $"{isa} H={h} reset-after h[{j}]");

                Assert.True(Math.Abs(r * state[j] - resetHidden[j]) <= 1e-6, $"{isa} H={h} r⊙h[{j}]");
                double nb = Math.Tanh(x[2 * h + j] + (double)hh[2 * h + j]);
                Assert.True(Math.Abs(nb + z * (state[j] - nb) - before[j]) <= 1e-6, $"{isa} H={h} reset-before h[{j}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Relu_ClampsNegativesAndKeepsPositives(KernelIsa isa)
    {
        var random = new Random(8);
        for (int n = 1; n <= 70; n++)
        {
            float[] x = Random(random, n, 5f);
            var y = new float[n];
            KernelSelector.Get(isa).Relu(x, y);
            for (int j = 0; j < n; j++)
                Assert.Equal(Math.Max(0f, x[j]), y[j]);
        }
    }

    [Fact]
    public void Lstm_WithTooShortGateBuffer_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => KernelSelector.Default.Lstm(new float[4 * 5 - 1], new float[5], new float[5]));
        Assert.Contains("hidden size 5", e.Message);
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static float[] Sweep(float from, float to, int count)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++)
            x[i] = from + (to - from) * i / (count - 1);
        return x;
    }

    private static float[] Random(Random random, int length, float scale)
    {
        var v = new float[length];
        for (int i = 0; i < length; i++)
            v[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        return v;
    }
}
