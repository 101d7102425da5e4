using FastRnn.Runtime;

namespace FastRnn.Layers;

/// <summary>
/// The architecture of a recurrent stack, with PyTorch's meaning for every field
/// (<c>nn.LSTM(input_size, hidden_size, num_layers, bias, bidirectional=…, proj_size=…)</c>).
/// </summary>
/// <remarks>
/// A single cell (<c>nn.LSTMCell</c>, <c>nn.GRUCell</c>, <c>nn.RNNCell</c>) is the one-layer, unidirectional case.
/// </remarks>
public sealed record RnnConfig
{
    /// <summary>Largest size accepted for any dimension; keeps every derived buffer size far from overflow.</summary>
    public const int MaxDimension = 1 << 16;

    /// <summary>Largest layer count accepted.</summary>
    public const int MaxLayers = 64;

    /// <summary>Cell type.</summary>
    public required RecurrentKind Kind { get; init; }

    /// <summary>Features per time step of the input, I.</summary>
    public required int InputSize { get; init; }

    /// <summary>Hidden (and, for LSTM, cell) state size per direction, H.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>Stacked layers, L.</summary>
    public int NumLayers { get; init; } = 1;

    /// <summary>Whether each layer also runs backwards in time (D = 2).</summary>
    public bool Bidirectional { get; init; }

    /// <summary>LSTM only: size P of the projected hidden state (0 = no projection).</summary>
    public int ProjSize { get; init; }

    /// <summary>Whether the layers have the <c>bias_ih</c>/<c>bias_hh</c> vectors.</summary>
    public bool HasBias { get; init; } = true;

    /// <summary>
    /// GRU only: true for PyTorch's "reset after" form, <c>n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))</c>;
    /// false for the original "reset before" form, <c>n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)</c>.
    /// </summary>
    public bool GruResetAfter { get; init; } = true;

    /// <summary>RNN only: tanh or relu.</summary>
    public RnnNonlinearity Nonlinearity { get; init; } = RnnNonlinearity.Tanh;

    /// <summary>D: 2 if bidirectional, else 1.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>H_out: the size of h, P with a projection, else H.</summary>
    public int OutputHiddenSize => ProjSize > 0 ? ProjSize : HiddenSize;

    /// <summary>Gates stacked in the weight matrices: 4 (LSTM), 3 (GRU), 1 (RNN).</summary>
    public int GateCount => Kind switch { RecurrentKind.Lstm => 4, RecurrentKind.Gru => 3, _ => 1 };

    /// <summary>Features per time step of the output, D · H_out.</summary>
    public int OutputSize => Directions * OutputHiddenSize;

    /// <summary>Input width of layer <paramref name="layer"/>: I for layer 0, D · H_out above.</summary>
    public int LayerInputSize(int layer) => layer == 0 ? InputSize : OutputSize;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field that is out of range.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Kind))
            throw Errors.InvalidConfig(nameof(Kind), Kind, "must be Lstm, Gru or Rnn");
        if (InputSize < 1 || InputSize > MaxDimension)
            throw Errors.InvalidConfig(nameof(InputSize), InputSize, $"must be in 1..{MaxDimension}");
        if (HiddenSize < 1 || HiddenSize > MaxDimension)
            throw Errors.InvalidConfig(nameof(HiddenSize), HiddenSize, $"must be in 1..{MaxDimension}");
        if (NumLayers < 1 || NumLayers > MaxLayers)
            throw Errors.InvalidConfig(nameof(NumLayers), NumLayers, $"must be in 1..{MaxLayers}");
        if (ProjSize < 0 || (ProjSize > 0 && Kind != RecurrentKind.Lstm))
            throw Errors.InvalidConfig(nameof(ProjSize), ProjSize, "must be 0, or positive for an LSTM");
        if (ProjSize >= HiddenSize && ProjSize > 0)
            throw Errors.InvalidConfig(nameof(ProjSize), ProjSize, $"must be smaller than HiddenSize ({HiddenSize}), as in PyTorch");
        if (!Enum.IsDefined(Nonlinearity))
            throw Errors.InvalidConfig(nameof(Nonlinearity), Nonlinearity, "must be Tanh or Relu");
    }
}
