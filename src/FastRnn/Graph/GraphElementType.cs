namespace FastRnn.Graph;

/// <summary>Element type of a graph input, output or intermediate value.</summary>
public enum GraphElementType
{
    /// <summary>32-bit IEEE float: every computed value.</summary>
    Float32,

    /// <summary>64-bit signed integer: token ids and other indices a graph input carries.</summary>
    Int64,
}
