namespace FastRnn.Import;

/// <summary>What one axis of an ONNX graph input or output holds, in FastRnn's terms.</summary>
public enum OnnxAxis
{
    /// <summary>T, the time steps.</summary>
    Time = 1,

    /// <summary>B, the independent streams.</summary>
    Batch = 2,

    /// <summary>The features of a step: I for the input sequence, D·H for the output sequence (forward half first).</summary>
    Features = 3,

    /// <summary>D, the directions of an output sequence kept on an axis of their own (ONNX <c>Y</c>).</summary>
    Directions = 4,

    /// <summary>H, the hidden units of one direction.</summary>
    Hidden = 5,

    /// <summary>The L·D state slots, layer-major (PyTorch's <c>h_n</c> first axis; ONNX <c>Y_h</c>'s D for one layer).</summary>
    States = 6,

    /// <summary>An axis of size 1 that carries nothing (added by Unsqueeze, or left where a size-1 axis was kept).</summary>
    One = 7,
}
