using FastRnn.Layers;

namespace FastRnn.Import;

/// <summary>
/// Choices an importer cannot make from the weights alone. Everything else (kind, sizes, layers, directions,
/// projection, bias) is inferred from the tensor names and shapes.
/// </summary>
public sealed record ImportOptions
{
    /// <summary>No prefix, PyTorch layout, inferred or default choices everywhere.</summary>
    public static ImportOptions Default { get; } = new();

    /// <summary>
    /// Selects the tensors under one module path and strips it, e.g. <c>encoder.rnn</c> for
    /// <c>encoder.rnn.weight_ih_l0</c> (PyTorch) or <c>encoder</c> for <c>encoder/lstm/kernel</c> (Keras).
    /// A trailing separator is optional. Needed when a file holds more than one module.
    /// </summary>
    public string? Prefix { get; init; }

    /// <summary>
    /// The activation of a plain RNN (PyTorch <c>nonlinearity</c>, Keras SimpleRNN <c>activation</c>), which the
    /// weights do not record. Null means tanh, the default of both frameworks. Only valid for an RNN.
    /// </summary>
    public RnnNonlinearity? Nonlinearity { get; init; }

    /// <summary>
    /// The GRU form (<see cref="RnnConfig.GruResetAfter"/>), which PyTorch weights do not record. Null means: PyTorch,
    /// reset after (the only form <c>nn.GRU</c> has); Keras, read from the bias shape ((2, 3U) after, (3U) before) or
    /// reset after when there is no bias. Only valid for a GRU; contradicting a Keras bias shape is an error.
    /// </summary>
    public bool? GruResetAfter { get; init; }

    /// <summary>
    /// Read the weights in Keras layout (<c>kernel</c>, <c>recurrent_kernel</c>, <c>bias</c>) instead of a PyTorch
    /// state dict. See <see cref="KerasImporter"/>.
    /// </summary>
    public bool Keras { get; init; }
}
