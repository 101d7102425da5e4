namespace FastRnn.Tests.Graph;

/// <summary>
/// Plain double-precision definitions of the graph operators, one element at a time from the ONNX operator
/// specification, sharing no code with the engine: the scalar twins the kernels are checked against.
/// </summary>
internal static class GraphReference
{
    public static int Count(int[] shape) => shape.Aggregate(1, (p, d) => p * d);

    public static int[] Unravel(int flat, int[] shape)
    {
        var index = new int[shape.Length];
        for (int k = shape.Length - 1; k >= 0; k--)
        {
            index[k] = flat % shape[k];
            flat /= shape[k];
        }
        return index;
    }

    public static int Ravel(int[] index, int[] shape)
    {
        int flat = 0;
        for (int k = 0; k < shape.Length; k++)
            flat = flat * shape[k] + index[k];
        return flat;
    }

    /// <summary>y[…, n] = Σ_k x[…, k] · w[n, k] + b[n].</summary>
    public static double[] Linear(float[] x, float[] w, float[]? b, int n, int k)
    {
        int rows = x.Length / k;
        var y = new double[rows * n];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < n; o++)
            {
                double s = b?[o] ?? 0;
                for (int i = 0; i < k; i++)
                    s += (double)x[r * k + i] * w[o * k + i];
                y[r * n + o] = s;
            }
        return y;
    }

    public static double[] Conv1d(float[] x, int batch, int channels, int length, float[] w, int outChannels, int kernel, float[]? b,
        int stride, int padBegin, int padEnd, int dilation, int groups)
    {
        int outLength = (length + padBegin + padEnd - dilation * (kernel - 1) - 1) / stride + 1;
        int cg = channels / groups, og = outChannels / groups;
        var y = new double[batch * outChannels * outLength];
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < outChannels; o++)
                for (int t = 0; t < outLength; t++)
                {
                    double s = b?[o] ?? 0;
                    int g = o / og;
                    for (int c = 0; c < cg; c++)
                        for (int k = 0; k < kernel; k++)
                        {
                            int at = t * stride - padBegin + k * dilation;
                            if (at >= 0 && at < length)
                                s += (double)x[(n * channels + g * cg + c) * length + at] * w[(o * cg + c) * kernel + k];
                        }
                    y[(n * outChannels + o) * outLength + t] = s;
                }
        return y;
    }

    public static double Unary(string op, double x, double alpha = 0) => op switch
    {
        "relu" => Math.Max(x, 0),
        "sigmoid" => 1 / (1 + Math.Exp(-x)),
        "tanh" => Math.Tanh(x),
        "leaky_relu" => x >= 0 ? x : alpha * x,
        "softplus" => Math.Log(1 + Math.Exp(x)),
        "sqrt" => Math.Sqrt(x),
        "abs" => Math.Abs(x),
        "exp" => Math.Exp(x),
        "log" => Math.Log(x),
        "neg" => -x,
        "erf" => Erf(x),
        "gelu" => 0.5 * x * (1 + Erf(x / Math.Sqrt(2))),
        _ => throw new ArgumentException(op),
    };

    // erf by its Maclaurin series (|x| < 3) and the asymptotic continued fraction beyond: independent of the engine's fit.
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (ax > 5)
            return Math.Sign(x);
        double sum = 0, term = ax;
        for (int n = 0; n < 200; n++)
        {
            sum += term / (2 * n + 1);
            term *= -ax * ax / (n + 1);
        }
        return Math.Sign(x) * 2 / Math.Sqrt(Math.PI) * sum;
    }

    public static double Binary(string op, double a, double b) => op switch
    {
        "add" => a + b,
        "sub" => a - b,
        "mul" => a * b,
        "div" => a / b,
        "pow" => Math.Pow(a, b),
        _ => throw new ArgumentException(op),
    };

    /// <summary>NumPy broadcasting, one output element at a time.</summary>
    public static double[] Broadcast(float[] a, int[] sa, float[] b, int[] sb, int[] shape, Func<double, double, double> f)
    {
        var y = new double[Count(shape)];
        for (int i = 0; i < y.Length; i++)
        {
            int[] index = Unravel(i, shape);
            y[i] = f(a[Ravel(Project(index, sa), sa)], b[Ravel(Project(index, sb), sb)]);
        }
        return y;
    }

    private static int[] Project(int[] index, int[] shape)
    {
        int shift = index.Length - shape.Length;
        return shape.Select((d, k) => d == 1 ? 0 : index[k + shift]).ToArray();
    }

    public static double[] Softmax(float[] x, int[] shape, int axis, bool log)
    {
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int[] index = Unravel(i, shape);
            double max = double.NegativeInfinity, sum = 0;
            for (int k = 0; k < shape[axis]; k++)
            {
                index[axis] = k;
                max = Math.Max(max, x[Ravel(index, shape)]);
            }
            for (int k = 0; k < shape[axis]; k++)
            {
                index[axis] = k;
                sum += Math.Exp(x[Ravel(index, shape)] - max);
            }
            y[i] = log ? x[i] - max - Math.Log(sum) : Math.Exp(x[i] - max) / sum;
        }
        return y;
    }

    public static double[] LayerNorm(float[] x, int size, float[] scale, float[] bias, double epsilon)
    {
        var y = new double[x.Length];
        for (int r = 0; r < x.Length / size; r++)
        {
            double mean = 0, variance = 0;
            for (int i = 0; i < size; i++)
                mean += x[r * size + i];
            mean /= size;
            for (int i = 0; i < size; i++)
                variance += (x[r * size + i] - mean) * (x[r * size + i] - mean);
            variance /= size;
            for (int i = 0; i < size; i++)
                y[r * size + i] = (x[r * size + i] - mean) / Math.Sqrt(variance + epsilon) * scale[i] + bias[i];
        }
        return y;
    }

    /// <summary>Reduction over <paramref name="axes"/>; the result keeps the reduced axes as 1.</summary>
    public static double[] Reduce(float[] x, int[] shape, int[] axes, string op)
    {
        int[] outShape = shape.Select((d, k) => axes.Contains(k) ? 1 : d).ToArray();
        var y = new double[Count(outShape)];
        var n = new int[y.Length];
        if (op == "max")
            Array.Fill(y, double.NegativeInfinity);
        for (int i = 0; i < x.Length; i++)
        {
            int[] index = Unravel(i, shape);
            int o = Ravel(index.Select((v, k) => axes.Contains(k) ? 0 : v).ToArray(), outShape);
            y[o] = op == "max" ? Math.Max(y[o], x[i]) : y[o] + x[i];
            n[o]++;
        }
        return op == "mean" ? y.Select((v, i) => v / n[i]).ToArray() : y;
    }

    /// <summary>ONNX Pad: pads = begins then ends; mode constant, reflect or edge.</summary>
    public static double[] Pad(float[] x, int[] shape, int[] pads, string mode, double value)
    {
        int rank = shape.Length;
        int[] outShape = shape.Select((d, k) => d + pads[k] + pads[k + rank]).ToArray();
        var y = new double[Count(outShape)];
        for (int i = 0; i < y.Length; i++)
        {
            int[] index = Unravel(i, outShape);
            bool outside = false;
            for (int k = 0; k < rank; k++)
            {
                int j = index[k] - pads[k];
                if (j < 0 || j >= shape[k])
                {
                    if (mode == "constant")
                        outside = true;
                    else if (mode == "edge")
                        j = Math.Clamp(j, 0, shape[k] - 1);
                    else
                        j = j < 0 ? -j : 2 * (shape[k] - 1) - j;
                }
                index[k] = j;
            }
            y[i] = outside ? value : x[Ravel(index, shape)];
        }
        return y;
    }

    /// <summary>y[index] = x[starts + index · steps].</summary>
    public static double[] Slice(float[] x, int[] shape, int[] starts, int[] steps, int[] outShape)
    {
        var y = new double[Count(outShape)];
        for (int i = 0; i < y.Length; i++)
        {
            int[] index = Unravel(i, outShape);
            y[i] = x[Ravel(index.Select((v, k) => starts[k] + v * steps[k]).ToArray(), shape)];
        }
        return y;
    }

    public static double[] Transpose(float[] x, int[] shape, int[] perm)
    {
        int[] outShape = perm.Select(p => shape[p]).ToArray();
        var y = new double[x.Length];
        for (int i = 0; i < y.Length; i++)
        {
            int[] index = Unravel(i, outShape);
            var from = new int[shape.Length];
            for (int k = 0; k < perm.Length; k++)
                from[perm[k]] = index[k];
            y[i] = x[Ravel(from, shape)];
        }
        return y;
    }
}
