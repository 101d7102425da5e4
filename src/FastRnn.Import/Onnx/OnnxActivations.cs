using FastRnn.Layers;
using Onnx;

namespace FastRnn.Import;

/// <summary>
/// Turns a node's <c>activations</c>, <c>activation_alpha</c> and <c>activation_beta</c> into one
/// <see cref="RnnActivation"/> per function, with α and β resolved the way ONNX Runtime's CPU kernels resolve them,
/// since that is where an ONNX model's numbers come from in practice (checked against ONNX Runtime 1.31 by the
/// activation fixtures of the tests).
/// </summary>
/// <remarks>
/// <para>α values are consumed in order by the functions that take an α (Affine, LeakyRelu, ThresholdedRelu,
/// ScaledTanh, HardSigmoid, Elu), β values by those that take a β (Affine, ScaledTanh, HardSigmoid), as the spec
/// says. A function whose value is not in the list gets ONNX Runtime's default: LeakyRelu α = 0.01, HardSigmoid
/// α = 0.2 and β = 0.5, Elu α = 1, and <b>0 for every other</b> (Affine α = β = 0, ThresholdedRelu α = 0,
/// ScaledTanh α = β = 0), where the spec's text points at the standalone operators' defaults (Affine α = 1,
/// ThresholdedRelu α = 1).</para>
/// <para>Names: LSTM and GRU match them case-insensitively; ONNX Runtime's RNN refuses any spelling but the spec's,
/// and so does this. A unidirectional RNN may list two functions (the schema's default is Tanh, Tanh) and uses the
/// first.</para>
/// </remarks>
internal static class OnnxActivations
{
    private static readonly Dictionary<string, (RnnActivationKind Kind, bool Alpha, bool Beta)> Functions =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["Sigmoid"] = (RnnActivationKind.Sigmoid, false, false),
            ["Tanh"] = (RnnActivationKind.Tanh, false, false),
            ["Relu"] = (RnnActivationKind.Relu, false, false),
            ["Affine"] = (RnnActivationKind.Affine, true, true),
            ["LeakyRelu"] = (RnnActivationKind.LeakyRelu, true, false),
            ["ThresholdedRelu"] = (RnnActivationKind.ThresholdedRelu, true, false),
            ["ScaledTanh"] = (RnnActivationKind.ScaledTanh, true, true),
            ["HardSigmoid"] = (RnnActivationKind.HardSigmoid, true, true),
            ["Elu"] = (RnnActivationKind.Elu, true, false),
            ["Softsign"] = (RnnActivationKind.Softsign, false, false),
            ["Softplus"] = (RnnActivationKind.Softplus, false, false),
        };

    /// <summary>The functions of every direction in turn (LSTM f, g, h; GRU f, g; RNN f), or null for the defaults.</summary>
    public static RnnActivation[]? Read(string source, NodeProto node, OnnxAttributes attributes, RecurrentKind kind, int directions)
    {
        string[]? names = attributes.Strings("activations");
        float[] alphas = attributes.Floats("activation_alpha") ?? [];
        float[] betas = attributes.Floats("activation_beta") ?? [];
        if (names is null)
            return null; // the defaults take no α or β, so any given are unused, as in ONNX Runtime
        int perDirection = kind switch { RecurrentKind.Lstm => 3, RecurrentKind.Gru => 2, _ => 1 };
        if (kind == RecurrentKind.Rnn && directions == 1 && names.Length == 2)
            names = names[..1];
        if (names.Length != perDirection * directions)
        {
            string roles = kind switch { RecurrentKind.Lstm => "f, g, h", RecurrentKind.Gru => "f, g", _ => "f" };
            throw OnnxErrors.Attribute(source, node, "activations", Quote(names),
                $"{perDirection * directions} functions ({roles} for each of {directions} direction{(directions == 2 ? "s" : "")})");
        }
        bool exact = kind == RecurrentKind.Rnn;
        int a = 0, b = 0;
        var result = new RnnActivation[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            (RnnActivationKind function, bool takesAlpha, bool takesBeta) = Lookup(source, node, names[i], exact);
            (float defaultAlpha, float defaultBeta) = function switch
            {
                RnnActivationKind.LeakyRelu => (0.01f, 0f),
                RnnActivationKind.HardSigmoid => (0.2f, 0.5f),
                RnnActivationKind.Elu => (1f, 0f),
                _ => (0f, 0f),
            };
            float alpha = takesAlpha ? a < alphas.Length ? alphas[a++] : defaultAlpha : 0f;
            float beta = takesBeta ? b < betas.Length ? betas[b++] : defaultBeta : 0f;
            result[i] = new RnnActivation(function, alpha, beta);
        }
        return result;
    }

    private static (RnnActivationKind, bool, bool) Lookup(string source, NodeProto node, string name, bool exact)
    {
        if (Functions.TryGetValue(name, out var f) && (!exact || Functions.Keys.Contains(name, StringComparer.Ordinal)))
            return f;
        string known = string.Join(", ", Functions.Keys);
        string hint = Functions.ContainsKey(name) ? "; ONNX Runtime's RNN accepts only these spellings" : "";
        throw OnnxErrors.Node(source, node, $"has activation '{name}'; expected one of {known}{hint}");
    }

    private static string Quote(IEnumerable<string> names) => "[" + string.Join(", ", names.Select(n => $"\"{n}\"")) + "]";
}
