using System.Globalization;

namespace FastRnn;

/// <summary>The activation functions ONNX allows in its LSTM, GRU and RNN operators.</summary>
public enum RnnActivationKind
{
    /// <summary>1 / (1 + e^−x).</summary>
    Sigmoid = 1,

    /// <summary>tanh(x).</summary>
    Tanh = 2,

    /// <summary>max(0, x).</summary>
    Relu = 3,

    /// <summary>α·x + β.</summary>
    Affine = 4,

    /// <summary>x if x ≥ 0, else α·x.</summary>
    LeakyRelu = 5,

    /// <summary>x if x ≥ α, else 0.</summary>
    ThresholdedRelu = 6,

    /// <summary>α·tanh(β·x).</summary>
    ScaledTanh = 7,

    /// <summary>min(max(α·x + β, 0), 1).</summary>
    HardSigmoid = 8,

    /// <summary>x if x ≥ 0, else α·(e^x − 1).</summary>
    Elu = 9,

    /// <summary>x / (1 + |x|).</summary>
    Softsign = 10,

    /// <summary>log(1 + e^x).</summary>
    Softplus = 11,
}

/// <summary>An activation function with its parameters (ONNX <c>activations</c>, <c>activation_alpha/beta</c>).</summary>
/// <param name="Kind">The function.</param>
/// <param name="Alpha">α, for the kinds that take it.</param>
/// <param name="Beta">β, for the kinds that take it.</param>
public readonly record struct RnnActivation(RnnActivationKind Kind, float Alpha = 0f, float Beta = 0f)
{
    /// <summary>σ, the default gate activation.</summary>
    public static RnnActivation Sigmoid => new(RnnActivationKind.Sigmoid);

    /// <summary>tanh, the default candidate and output activation.</summary>
    public static RnnActivation Tanh => new(RnnActivationKind.Tanh);

    /// <summary>The text form stored in .frnn metadata: <c>kind</c> or <c>kind:alpha:beta</c>.</summary>
    public override string ToString() => Alpha == 0f && Beta == 0f
        ? Kind.ToString().ToLowerInvariant()
        : string.Create(CultureInfo.InvariantCulture, $"{Kind.ToString().ToLowerInvariant()}:{Alpha:R}:{Beta:R}");

    /// <summary>Parses <see cref="ToString"/>'s form; false for anything else.</summary>
    public static bool TryParse(string text, out RnnActivation activation)
    {
        activation = default;
        string[] parts = text.Split(':');
        if (parts.Length is not (1 or 3)
            || !Enum.TryParse(parts[0], ignoreCase: true, out RnnActivationKind kind)
            || !Enum.IsDefined(kind)
            || int.TryParse(parts[0], out _))
        {
            return false;
        }
        float alpha = 0f, beta = 0f;
        if (parts.Length == 3
            && !(float.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out alpha)
                 && float.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out beta)))
        {
            return false;
        }
        activation = new RnnActivation(kind, alpha, beta);
        return true;
    }
}
