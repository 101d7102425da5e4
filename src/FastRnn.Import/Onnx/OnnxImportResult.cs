using FastRnn.Layers;

namespace FastRnn.Import;

/// <summary>
/// What <see cref="OnnxImporter"/> reads from an ONNX graph: the model, and what a caller needs to run it the way the
/// graph runs: which graph input is the sequence (and in which axis order), where the initial states and sequence
/// lengths come from, and how each graph output maps onto a session's output and states.
/// </summary>
/// <remarks>
/// A graph input is runtime data; an initializer is part of the model. So <c>initial_h</c>, <c>initial_c</c> and
/// <c>sequence_lens</c> are either graph inputs (<see cref="InitialHiddenInput"/>, …: the caller supplies them each run)
/// or constants, or absent (zero states, full-length sequences). Constants are part of <see cref="Model"/>: its
/// default initial state (tensors <c>initial_h</c>, <c>initial_c</c>, which a session starts from) and its
/// <see cref="RnnConfig.SequenceLengths"/>; they are also given here (<see cref="InitialHidden"/>, …).
/// </remarks>
public sealed record OnnxImportResult
{
    /// <summary>The configuration and weights under PyTorch's names, with the graph's constant initial state and sequence lengths, ready for <see cref="RnnModel.FromPyTorch"/>.</summary>
    public required ImportedModel Model { get; init; }

    /// <summary>The recurrent nodes' <c>layout</c> attribute: 0 (time-major X, Y, states) or 1 (batch-major).</summary>
    public required int Layout { get; init; }

    /// <summary>Every graph input (initializers excluded), in graph order: the sequence, and any states and lengths.</summary>
    public required IReadOnlyList<OnnxGraphValue> Inputs { get; init; }

    /// <summary>Every graph output in graph order.</summary>
    public required IReadOnlyList<OnnxGraphValue> Outputs { get; init; }

    /// <summary>The graph input that holds the input sequence.</summary>
    public OnnxGraphValue Input => Inputs.First(i => i.Role == OnnxValueRole.Sequence);

    /// <summary>The graph input that holds <c>sequence_lens</c>, or null.</summary>
    public OnnxGraphValue? SequenceLengthsInput => Inputs.FirstOrDefault(i => i.Role == OnnxValueRole.SequenceLengths);

    /// <summary>The graph input that holds the initial hidden state of every layer, or null.</summary>
    public OnnxGraphValue? InitialHiddenInput => Inputs.FirstOrDefault(i => i.Role == OnnxValueRole.Hidden);

    /// <summary>The graph input that holds the initial cell state of every layer (LSTM), or null.</summary>
    public OnnxGraphValue? InitialCellInput => Inputs.FirstOrDefault(i => i.Role == OnnxValueRole.Cell);

    /// <summary>Constant sequence lengths (an initializer), (B); null when they are an input or absent.</summary>
    public int[]? SequenceLengths { get; init; }

    /// <summary>A constant initial hidden state (initializers), in FastRnn's layout (L·D, B, H); zero for layers without one; null when it is an input or zero.</summary>
    public float[]? InitialHidden { get; init; }

    /// <summary>A constant initial cell state (initializers), (L·D, B, H), as <see cref="InitialHidden"/>.</summary>
    public float[]? InitialCell { get; init; }

    /// <summary>The batch size the constants above fix, or null when none does.</summary>
    public int? BatchSize { get; init; }
}
