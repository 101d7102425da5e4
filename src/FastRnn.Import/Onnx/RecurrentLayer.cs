using FastRnn.Layers;
using Onnx;

namespace FastRnn.Import;

/// <summary>One LSTM, GRU or RNN node of the graph, its attributes resolved and its weights read; one layer of the stack.</summary>
internal sealed class RecurrentLayer
{
    public required NodeProto Node { get; init; }

    public required RecurrentKind Kind { get; init; }

    /// <summary>ONNX <c>direction</c>: forward, reverse or bidirectional.</summary>
    public required string Direction { get; init; }

    public int Directions => Direction == "bidirectional" ? 2 : 1;

    public required int Layout { get; init; }

    public required int HiddenSize { get; init; }

    public required int InputSize { get; init; }

    /// <summary>ONNX <c>clip</c>, 0 when absent.</summary>
    public required float Clip { get; init; }

    /// <summary>The functions of every direction in turn, or null for the operator's defaults.</summary>
    public required RnnActivation[]? Activations { get; init; }

    public required bool InputForget { get; init; }

    public required bool LinearBeforeReset { get; init; }

    /// <summary>W (D, G·H, I), ONNX gate order.</summary>
    public required float[] W { get; init; }

    /// <summary>R (D, G·H, H), ONNX gate order.</summary>
    public required float[] R { get; init; }

    /// <summary>B (D, 2·G·H) = [Wb ; Rb] per direction, or null.</summary>
    public required float[]? B { get; init; }

    /// <summary>P (D, 3·H), peepholes in ONNX order i, o, f, or null.</summary>
    public required float[]? P { get; init; }

    public required LengthsSource Lengths { get; init; }

    public required StateSource InitialHidden { get; init; }

    public required StateSource InitialCell { get; init; }
}

/// <summary>Where a node's <c>sequence_lens</c> comes from.</summary>
internal abstract record LengthsSource
{
    public sealed record None : LengthsSource;

    public sealed record Constant(int[] Lengths) : LengthsSource;

    public sealed record Input(string Name) : LengthsSource;
}

/// <summary>Where a node's <c>initial_h</c> or <c>initial_c</c> comes from.</summary>
internal abstract record StateSource
{
    public sealed record Zero : StateSource;

    /// <summary>An initializer, already in FastRnn's order (D, B, H).</summary>
    public sealed record Constant(float[] Values, int Batch) : StateSource;

    /// <summary>Slots [<paramref name="SlotStart"/>, +D) of the graph input's state axis, or the whole input when it has no such axis.</summary>
    public sealed record Input(string Name, long SlotStart, bool HasStateAxis) : StateSource;
}
