using FastRnn.Layers;

namespace FastRnn.Tests.Reference;

/// <summary>
/// A plain double-precision implementation of the recurrent equations (PyTorch's, plus the ONNX extras: activation
/// functions, clip, peepholes, input_forget, reverse, sequence lengths), written from SEMANTICS.md and ONNX Runtime's
/// documented order of operations, one element at a time. It shares no code with the engine, and its default path is
/// itself checked against the PyTorch fixtures.
/// </summary>
internal static class ReferenceRnn
{
    /// <summary>Runs (T, B, I) from h0/c0 (or zeros); returns y (T, B, D·H_out), hn, cn in PyTorch layouts.</summary>
    public static (double[] Y, double[] Hn, double[] Cn) Run(
        RnnConfig c, IReadOnlyDictionary<string, float[]> p, float[] x, int steps, int batch, float[]? h0 = null, float[]? c0 = null, int[]? lengths = null)
    {
        int hs = c.HiddenSize, hOut = c.OutputHiddenSize, dirs = c.Directions, width = dirs * hOut, g = c.GateCount;
        double[] layerIn = x.Select(v => (double)v).ToArray();
        int inWidth = c.InputSize;
        var hn = new double[c.NumLayers * dirs * batch * hOut];
        var cn = new double[c.Kind == RecurrentKind.Lstm ? c.NumLayers * dirs * batch * hs : 0];
        double[] y = [];
        for (int layer = 0; layer < c.NumLayers; layer++)
        {
            y = new double[steps * batch * width];
            for (int d = 0; d < dirs; d++)
            {
                string sfx = $"_l{layer}" + (d == 1 ? "_reverse" : "");
                float[] wih = p["weight_ih" + sfx], whh = p["weight_hh" + sfx];
                float[] bih = c.HasBias ? p["bias_ih" + sfx] : new float[g * hs], bhh = c.HasBias ? p["bias_hh" + sfx] : new float[g * hs];
                float[]? whr = c.ProjSize > 0 ? p["weight_hr" + sfx] : null;
                float[]? peep = c.Peepholes ? p["peephole" + sfx] : null;
                RnnActivation[] acts = Activations(c, d);
                int stateIndex = layer * dirs + d;
                for (int b = 0; b < batch; b++)
                {
                    var h = new double[hOut];
                    var cell = new double[hs];
                    if (h0 is not null)
                        for (int j = 0; j < hOut; j++) h[j] = h0[(stateIndex * batch + b) * hOut + j];
                    if (c0 is not null && c0.Length > 0)
                        for (int j = 0; j < hs; j++) cell[j] = c0[(stateIndex * batch + b) * hs + j];
                    int len = lengths?[b] ?? steps;
                    bool backward = d == 1 || c.Reverse;
                    for (int s = 0; s < len; s++)
                    {
                        int t = backward ? len - 1 - s : s;
                        double[] xt = new double[inWidth];
                        Array.Copy(layerIn, (t * batch + b) * inWidth, xt, 0, inWidth);
                        double[] gx = Affine(wih, bih, xt, g * hs), gh;
                        if (c.Kind == RecurrentKind.Lstm)
                        {
                            gh = Affine(whh, bhh, h, g * hs);
                            var m = new double[hs];
                            for (int j = 0; j < hs; j++)
                            {
                                double pi = gx[j] + gh[j], pf = gx[hs + j] + gh[hs + j], pg = gx[2 * hs + j] + gh[2 * hs + j], po = gx[3 * hs + j] + gh[3 * hs + j];
                                if (peep is not null) { pi += peep[j] * cell[j]; pf += peep[hs + j] * cell[j]; }
                                double i = Act(acts[0], pi, c.Clip);
                                double f = c.InputForget ? 1 - i : Act(acts[0], pf, c.Clip);
                                double cand = Act(acts[1], pg, c.Clip);
                                cell[j] = f * cell[j] + i * cand;
                                if (peep is not null) po += peep[2 * hs + j] * cell[j];
                                double o = Act(acts[0], po, c.Clip);
                                m[j] = o * Act(acts[2], cell[j], 0f); // ONNX Runtime does not clip the input of h()
                            }
                            h = whr is null ? m : Affine(whr, new float[hOut], m, hOut);
                        }
                        else if (c.Kind == RecurrentKind.Gru)
                        {
                            gh = Affine(whh, bhh, h, g * hs);
                            var r = new double[hs];
                            var z = new double[hs];
                            for (int j = 0; j < hs; j++)
                            {
                                r[j] = Act(acts[0], gx[j] + gh[j], c.Clip);
                                z[j] = Act(acts[0], gx[hs + j] + gh[hs + j], c.Clip);
                            }
                            double[] hn2;
                            if (c.GruResetAfter)
                            {
                                hn2 = new double[hs];
                                for (int j = 0; j < hs; j++) hn2[j] = r[j] * gh[2 * hs + j];
                            }
                            else
                            {
                                var rh = new double[hs];
                                for (int j = 0; j < hs; j++) rh[j] = r[j] * h[j];
                                hn2 = new double[hs];
                                for (int j = 0; j < hs; j++)
                                {
                                    double sum = bhh[2 * hs + j];
                                    for (int k = 0; k < hs; k++) sum += (double)whh[(2 * hs + j) * hs + k] * rh[k];
                                    hn2[j] = sum;
                                }
                            }
                            var next = new double[hs];
                            for (int j = 0; j < hs; j++)
                            {
                                double n = Act(acts[1], gx[2 * hs + j] + hn2[j], c.Clip);
                                next[j] = (1 - z[j]) * n + z[j] * h[j];
                            }
                            h = next;
                        }
                        else
                        {
                            gh = Affine(whh, bhh, h, hs);
                            var next = new double[hs];
                            for (int j = 0; j < hs; j++) next[j] = Act(acts[0], gx[j] + gh[j], c.Clip);
                            h = next;
                        }
                        Array.Copy(h, 0, y, (t * batch + b) * width + d * hOut, hOut);
                    }
                    Array.Copy(h, 0, hn, (stateIndex * batch + b) * hOut, hOut);
                    if (cn.Length > 0)
                        Array.Copy(cell, 0, cn, (stateIndex * batch + b) * hs, hs);
                }
            }
            layerIn = y;
            inWidth = width;
        }
        return (y, hn, cn);
    }

    private static RnnActivation[] Activations(RnnConfig c, int d)
    {
        int n = c.ActivationsPerDirection;
        if (c.Activations is { } given)
            return given.Skip(d * n).Take(n).ToArray();
        return c.Kind switch
        {
            RecurrentKind.Lstm => [RnnActivation.Sigmoid, RnnActivation.Tanh, RnnActivation.Tanh],
            RecurrentKind.Gru => [RnnActivation.Sigmoid, RnnActivation.Tanh],
            _ => [c.Nonlinearity == RnnNonlinearity.Relu ? new RnnActivation(RnnActivationKind.Relu) : RnnActivation.Tanh],
        };
    }

    private static double[] Affine(float[] w, float[] bias, double[] x, int rows)
    {
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double sum = bias[r];
            for (int k = 0; k < x.Length; k++) sum += (double)w[r * x.Length + k] * x[k];
            y[r] = sum;
        }
        return y;
    }

    public static double Act(RnnActivation f, double x, float clip)
    {
        if (clip > 0) x = Math.Clamp(x, -clip, clip);
        double a = f.Alpha, b = f.Beta;
        return f.Kind switch
        {
            RnnActivationKind.Sigmoid => 1 / (1 + Math.Exp(-x)),
            RnnActivationKind.Tanh => Math.Tanh(x),
            RnnActivationKind.Relu => Math.Max(0, x),
            RnnActivationKind.Affine => a * x + b,
            RnnActivationKind.LeakyRelu => x >= 0 ? x : a * x,
            RnnActivationKind.ThresholdedRelu => x > a ? x : 0,
            RnnActivationKind.ScaledTanh => a * Math.Tanh(b * x),
            RnnActivationKind.HardSigmoid => Math.Clamp(a * x + b, 0, 1),
            RnnActivationKind.Elu => x >= 0 ? x : a * (Math.Exp(x) - 1),
            RnnActivationKind.Softsign => x / (1 + Math.Abs(x)),
            RnnActivationKind.Softplus => Math.Log(1 + Math.Exp(x)),
            _ => throw new NotSupportedException(f.Kind.ToString()),
        };
    }
}
