namespace FastRnn.Import;

/// <summary>What an ONNX graph input or output carries.</summary>
public enum OnnxValueRole
{
    /// <summary>A sequence: the input X (T, B, I) or an output Y (T, B, D·H), in whatever axis order the graph uses.</summary>
    Sequence = 1,

    /// <summary>ONNX <c>sequence_lens</c>: int32 (or int64), one length per stream, (B).</summary>
    SequenceLengths = 2,

    /// <summary>Hidden state: an initial state input or a final state output (PyTorch <c>h0</c>/<c>h_n</c>, ONNX <c>initial_h</c>/<c>Y_h</c>).</summary>
    Hidden = 3,

    /// <summary>LSTM cell state: an initial state input or a final state output (PyTorch <c>c0</c>/<c>c_n</c>, ONNX <c>initial_c</c>/<c>Y_c</c>).</summary>
    Cell = 4,
}
