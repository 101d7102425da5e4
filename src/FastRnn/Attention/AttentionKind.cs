namespace FastRnn.Attention;

/// <summary>How a decoder state is scored against the encoder outputs (docs/seq2seq.md).</summary>
public enum AttentionKind
{
    /// <summary>Additive, PyTorch-tutorial form: e = v·tanh(W_q q + b_q + W_k k + b_k) + b_v.</summary>
    Bahdanau = 1,

    /// <summary>Additive, TensorFlow Addons <c>normalize=True</c>: e = g·(v/‖v‖)·tanh(W_q q + W_k k + b).</summary>
    BahdanauNormalized = 2,

    /// <summary>Additive, OpenNMT "mlp": e = v·tanh(W_q q + b_q + W_k k).</summary>
    Mlp = 3,

    /// <summary>Multiplicative, Luong "dot": e = q·k.</summary>
    Dot = 4,

    /// <summary>Multiplicative, Luong "general": e = q·(W_a k).</summary>
    General = 5,
}
