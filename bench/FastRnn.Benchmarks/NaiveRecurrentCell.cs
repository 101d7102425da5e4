using FastRnn.Layers;

namespace FastRnn.Benchmarks;

/// <summary>
/// The LSTM or GRU step a user would write by hand: row-major weights, one scalar dot product per gate row, and
/// <see cref="Math.Exp"/> for the activations. The comparison point that shows what packing and SIMD buy.
/// </summary>
/// <remarks>PyTorch semantics (LSTM i, f, g, o; GRU r, z, n, "reset after"), batch 1. Buffers are allocated once.</remarks>
internal sealed class NaiveRecurrentCell
{
    private readonly RecurrentWeights _w;
    private readonly float[] _gx; // W_ih x + b_ih, (G·H)
    private readonly float[] _gh; // W_hh h + b_hh, (G·H)
    private readonly float[] _h;  // (H)
    private readonly float[] _c;  // (H), LSTM only

    public NaiveRecurrentCell(RecurrentWeights weights)
    {
        _w = weights;
        int rows = weights.GateCount * weights.HiddenSize;
        _gx = new float[rows];
        _gh = new float[rows];
        _h = new float[weights.HiddenSize];
        _c = new float[weights.HiddenSize];
    }

    public void Reset()
    {
        Array.Clear(_h);
        Array.Clear(_c);
    }

    /// <summary>One step: <paramref name="input"/> (I) in, the new hidden state (H) out.</summary>
    public void Step(ReadOnlySpan<float> input, Span<float> output)
    {
        int hs = _w.HiddenSize;
        Project(_w.WeightIh, _w.BiasIh, input, _w.InputSize, _gx);
        Project(_w.WeightHh, _w.BiasHh, _h, hs, _gh);

        if (_w.Kind == RecurrentKind.Lstm)
        {
            for (int j = 0; j < hs; j++)
            {
                double i = Sigmoid(_gx[j] + _gh[j]);
                double f = Sigmoid(_gx[hs + j] + _gh[hs + j]);
                double g = Math.Tanh(_gx[2 * hs + j] + _gh[2 * hs + j]);
                double o = Sigmoid(_gx[3 * hs + j] + _gh[3 * hs + j]);
                double c = f * _c[j] + i * g;
                _c[j] = (float)c;
                _h[j] = (float)(o * Math.Tanh(c));
            }
        }
        else
        {
            for (int j = 0; j < hs; j++)
            {
                double r = Sigmoid(_gx[j] + _gh[j]);
                double z = Sigmoid(_gx[hs + j] + _gh[hs + j]);
                double n = Math.Tanh(_gx[2 * hs + j] + r * _gh[2 * hs + j]);
                _h[j] = (float)((1 - z) * n + z * _h[j]);
            }
        }
        _h.CopyTo(output);
    }

    private static void Project(float[] weights, float[] bias, ReadOnlySpan<float> x, int cols, float[] y)
    {
        for (int r = 0; r < y.Length; r++)
        {
            float sum = bias[r];
            int row = r * cols;
            for (int k = 0; k < cols; k++)
                sum += weights[row + k] * x[k];
            y[r] = sum;
        }
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
}
