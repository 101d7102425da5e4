namespace FastRnn;

/// <summary>The recurrent cell a model is built from.</summary>
public enum RecurrentKind
{
    /// <summary>Long short-term memory (PyTorch <c>nn.LSTM</c>, gate order i, f, g, o).</summary>
    Lstm = 1,

    /// <summary>Gated recurrent unit (PyTorch <c>nn.GRU</c>, gate order r, z, n).</summary>
    Gru = 2,

    /// <summary>Elman RNN (PyTorch <c>nn.RNN</c>) with tanh or relu.</summary>
    Rnn = 3,
}

/// <summary>The nonlinearity of a plain <see cref="RecurrentKind.Rnn"/>.</summary>
public enum RnnNonlinearity
{
    /// <summary>h' = tanh(…), PyTorch's default.</summary>
    Tanh = 1,

    /// <summary>h' = max(0, …).</summary>
    Relu = 2,
}
