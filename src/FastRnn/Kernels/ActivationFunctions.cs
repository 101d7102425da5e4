using FastRnn.Layers;

namespace FastRnn.Kernels;

/// <summary>
/// Any ONNX recurrent activation over a span, with optional clipping of its input: the element-wise core of the
/// general cell path (<see cref="GeneralCellMath"/>).
/// </summary>
/// <remarks>
/// σ and tanh go through the same vectorised code as the fast path; the rarer functions are plain loops over
/// <c>MathF</c>, since models that use them are rare and small.
/// </remarks>
internal static class ActivationFunctions
{
    /// <summary>x ← f(clip(x)); <paramref name="clip"/> 0 means no clipping.</summary>
    public static void Apply(RnnActivation f, Span<float> x, float clip)
    {
        if (clip > 0f)
        {
            for (int i = 0; i < x.Length; i++)
                x[i] = Math.Clamp(x[i], -clip, clip);
        }

        float a = f.Alpha, b = f.Beta;
        switch (f.Kind)
        {
            case RnnActivationKind.Sigmoid:
                CellKernels.Sigmoid(x, x);
                break;
            case RnnActivationKind.Tanh:
                CellKernels.Tanh(x, x);
                break;
            case RnnActivationKind.Relu:
                CellKernels.Relu(x, x);
                break;
            case RnnActivationKind.Affine:
                for (int i = 0; i < x.Length; i++)
                    x[i] = (a * x[i]) + b;
                break;
            case RnnActivationKind.LeakyRelu:
                for (int i = 0; i < x.Length; i++)
                    x[i] = x[i] >= 0f ? x[i] : a * x[i];
                break;
            case RnnActivationKind.ThresholdedRelu:
                for (int i = 0; i < x.Length; i++)
                    x[i] = x[i] > a ? x[i] : 0f;
                break;
            case RnnActivationKind.ScaledTanh:
                for (int i = 0; i < x.Length; i++)
                    x[i] = a * MathF.Tanh(b * x[i]);
                break;
            case RnnActivationKind.HardSigmoid:
                for (int i = 0; i < x.Length; i++)
                    x[i] = Math.Clamp((a * x[i]) + b, 0f, 1f);
                break;
            case RnnActivationKind.Elu:
                for (int i = 0; i < x.Length; i++)
                    x[i] = x[i] >= 0f ? x[i] : a * (MathF.Exp(x[i]) - 1f);
                break;
            case RnnActivationKind.Softsign:
                for (int i = 0; i < x.Length; i++)
                    x[i] = x[i] / (1f + MathF.Abs(x[i]));
                break;
            case RnnActivationKind.Softplus:
                // log(1 + e^x) without overflow: for large x it is x itself to float precision.
                for (int i = 0; i < x.Length; i++)
                    x[i] = x[i] > 30f ? x[i] : MathF.Log(1f + MathF.Exp(x[i]));
                break;
            default:
                throw new NotSupportedException($"activation {f.Kind} is not implemented");
        }
    }
}
