using System.Numerics.Tensors;

namespace FastRnn.Kernels;

/// <summary>Softmax and log-softmax in place, shifted by the maximum so large scores cannot overflow.</summary>
internal static class Softmax
{
    /// <summary>x ← exp(x − max) / Σ exp(x − max).</summary>
    public static void InPlace(Span<float> x)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, x);
        TensorPrimitives.Divide(x, TensorPrimitives.Sum(x), x);
    }

    /// <summary>x ← x − max − log Σ exp(x − max), using <paramref name="scratch"/> (same length) for the exponentials.</summary>
    public static void LogInPlace(Span<float> x, Span<float> scratch)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, scratch);
        TensorPrimitives.Subtract(x, MathF.Log(TensorPrimitives.Sum(scratch)), x);
    }
}
