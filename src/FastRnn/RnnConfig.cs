using FastRnn.Runtime;

namespace FastRnn;

/// <summary>
/// The architecture of a recurrent stack, with PyTorch's meaning for every field
/// (<c>nn.LSTM(input_size, hidden_size, num_layers, bias, bidirectional=…, proj_size=…)</c>).
/// </summary>
/// <remarks>
/// A single cell (<c>nn.LSTMCell</c>, <c>nn.GRUCell</c>, <c>nn.RNNCell</c>) is the one-layer, unidirectional case.
/// <para>The ONNX operators add <see cref="Clip"/>, <see cref="Activations"/>, <see cref="Peepholes"/>,
/// <see cref="InputForget"/> and <see cref="Reverse"/>; with their defaults a model runs the fused fast path, otherwise
/// a general element-wise path with the same matrix kernels.</para>
/// </remarks>
public sealed record RnnConfig
{
    /// <summary>Largest size accepted for any dimension; keeps every derived buffer size far from overflow.</summary>
    public const int MaxDimension = 1 << 16;

    /// <summary>Largest number of streams a session runs, and so of <see cref="SequenceLengths"/>.</summary>
    public const int MaxBatchSize = 1 << 16;

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

    /// <summary>
    /// ONNX <c>clip</c>: when positive, the input of every gate and candidate activation is clamped to [−Clip, Clip]
    /// (as ONNX Runtime does, an LSTM's output activation h(c) is not clipped). 0 = no clipping.
    /// </summary>
    public float Clip { get; init; }

    /// <summary>
    /// ONNX <c>activations</c>, for each direction in turn: LSTM f, g, h (gates, candidate, output); GRU f, g; RNN f.
    /// Null means PyTorch's functions (σ, tanh, tanh; σ, tanh; <see cref="Nonlinearity"/>).
    /// </summary>
    public IReadOnlyList<RnnActivation>? Activations { get; init; }

    /// <summary>
    /// LSTM only, ONNX peepholes: <c>i += P_i ⊙ c_{t−1}</c>, <c>f += P_f ⊙ c_{t−1}</c>, <c>o += P_o ⊙ c_t</c>, with a
    /// tensor <c>peephole_l{k}</c> of shape (3, H) holding P_i, P_f, P_o in that order.
    /// </summary>
    public bool Peepholes { get; init; }

    /// <summary>LSTM only, ONNX <c>input_forget</c>: the forget gate is coupled to the input gate, f = 1 − i.</summary>
    public bool InputForget { get; init; }

    /// <summary>ONNX <c>direction="reverse"</c>: a unidirectional model that reads the sequence from its end.</summary>
    public bool Reverse { get; init; }

    /// <summary>
    /// ONNX constant <c>sequence_lens</c>: stream b of a run uses its first <c>SequenceLengths[b]</c> steps, as with
    /// <see cref="RnnSession.Run(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{int})"/>. They apply to every
    /// <see cref="RnnSession.Run(ReadOnlySpan{float}, Span{float})"/> (lengths passed to a run replace them) and fix the
    /// batch size of a session to their count, or to any size when there is one length, which then applies to every
    /// stream. <see cref="RnnSession.Step"/> advances every stream regardless: a step has no notion of a sequence's end.
    /// Null means every stream runs the whole input.
    /// </summary>
    public IReadOnlyList<int>? SequenceLengths { get; init; }

    /// <summary>Activation functions per direction: 3 (LSTM), 2 (GRU), 1 (RNN).</summary>
    public int ActivationsPerDirection => Kind switch { RecurrentKind.Lstm => 3, RecurrentKind.Gru => 2, _ => 1 };

    /// <summary>Whether any ONNX-only feature is in use, which selects the general element-wise path.</summary>
    internal bool UsesGeneralCells => Clip != 0f || Activations is not null || Peepholes || InputForget;

    /// <summary>The activations of <paramref name="direction"/>, defaults filled in.</summary>
    internal RnnActivation[] DirectionActivations(int direction)
    {
        int n = ActivationsPerDirection;
        if (Activations is { } given)
            return Enumerable.Range(direction * n, n).Select(i => given[i]).ToArray();
        return Kind switch
        {
            RecurrentKind.Lstm => [RnnActivation.Sigmoid, RnnActivation.Tanh, RnnActivation.Tanh],
            RecurrentKind.Gru => [RnnActivation.Sigmoid, RnnActivation.Tanh],
            _ => [Nonlinearity == RnnNonlinearity.Relu ? new RnnActivation(RnnActivationKind.Relu) : RnnActivation.Tanh],
        };
    }

    /// <summary>Field-by-field equality, with <see cref="Activations"/> and <see cref="SequenceLengths"/> compared element by element.</summary>
    public bool Equals(RnnConfig? other)
        => other is not null
           && Kind == other.Kind && InputSize == other.InputSize && HiddenSize == other.HiddenSize
           && NumLayers == other.NumLayers && Bidirectional == other.Bidirectional && ProjSize == other.ProjSize
           && HasBias == other.HasBias && GruResetAfter == other.GruResetAfter && Nonlinearity == other.Nonlinearity
           && Clip.Equals(other.Clip) && Peepholes == other.Peepholes && InputForget == other.InputForget
           && Reverse == other.Reverse
           && (Activations ?? []).SequenceEqual(other.Activations ?? [])
           && (Activations is null) == (other.Activations is null)
           && (SequenceLengths ?? []).SequenceEqual(other.SequenceLengths ?? [])
           && (SequenceLengths is null) == (other.SequenceLengths is null);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, InputSize, HiddenSize, NumLayers, Bidirectional, ProjSize, HasBias, Activations?.Count);

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
        if (!(Clip >= 0f) || float.IsInfinity(Clip))
            throw Errors.InvalidConfig(nameof(Clip), Clip, "must be 0 (none) or a positive finite threshold");
        if ((Peepholes || InputForget) && Kind != RecurrentKind.Lstm)
            throw Errors.InvalidConfig(Peepholes ? nameof(Peepholes) : nameof(InputForget), true, "applies to LSTM only");
        if (Reverse && Bidirectional)
            throw Errors.InvalidConfig(nameof(Reverse), true, "a bidirectional model already runs both ways; Reverse is for one backward direction");
        if (SequenceLengths is { } lengths && (lengths.Count is < 1 or > MaxBatchSize || lengths.Any(n => n < 0)))
            throw Errors.InvalidConfig(nameof(SequenceLengths), $"{lengths.Count} lengths [{string.Join(", ", lengths.Take(8))}{(lengths.Count > 8 ? ", …" : "")}]", $"needs 1..{MaxBatchSize} lengths, none negative");
        if (Activations is { } activations)
        {
            int expected = Directions * ActivationsPerDirection;
            if (activations.Count != expected)
                throw Errors.InvalidConfig(nameof(Activations), $"{activations.Count} functions", $"a {Kind} with {Directions} direction(s) needs {expected}");
            foreach (RnnActivation a in activations)
            {
                if (!Enum.IsDefined(a.Kind) || !float.IsFinite(a.Alpha) || !float.IsFinite(a.Beta))
                    throw Errors.InvalidConfig(nameof(Activations), a, "unknown function or non-finite alpha/beta");
            }
            if (Kind == RecurrentKind.Rnn && Nonlinearity != RnnNonlinearity.Tanh)
                throw Errors.InvalidConfig(nameof(Nonlinearity), Nonlinearity, "leave it at Tanh when Activations are given; they take precedence");
        }
    }
}
