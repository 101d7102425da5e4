namespace FastRnn;

/// <summary>What one tensor of a recurrent layer is, named after PyTorch's state-dict stems.</summary>
public enum RecurrentParameterRole
{
    /// <summary><c>weight_ih</c>, W_ih: (G·H, I) in layer 0, (G·H, D·H_out) above.</summary>
    InputWeights = 1,

    /// <summary><c>weight_hh</c>, W_hh: (G·H, H_out).</summary>
    RecurrentWeights = 2,

    /// <summary><c>bias_ih</c>, b_ih: (G·H); only with biases.</summary>
    InputBias = 3,

    /// <summary><c>bias_hh</c>, b_hh: (G·H); only with biases.</summary>
    RecurrentBias = 4,

    /// <summary><c>weight_hr</c>, an LSTM's projection W_hr: (P, H); only with <c>proj_size</c>.</summary>
    Projection = 5,

    /// <summary><c>peephole</c>, an ONNX LSTM's peephole weights P_i, P_f, P_o: (3, H); only with peepholes.</summary>
    Peepholes = 6,
}
