using FastRnn.Graph;

namespace FastRnn.Import;

/// <summary>
/// The lattice of the graph importer: what it knows about one ONNX value while it walks the nodes. A value is either
/// known (its contents are folded at convert time: initializers, constants, all shape arithmetic once the caller has
/// fixed the dynamic inputs), computed (a value of the FastRnn graph being built, with a fixed shape), or the output
/// of an operator FastRnn cannot run (reported once, and everything downstream of it is skipped).
/// </summary>
internal abstract record Lowered;

/// <summary>Contents known at convert time.</summary>
internal sealed record Known(ConstTensor Tensor) : Lowered;

/// <summary>A value the FastRnn graph computes at run time: its index in the graph and its fixed shape.</summary>
internal sealed record Computed(int Value, GraphElementType Type, int[] Shape) : Lowered
{
    public long[] LongShape => Shape.Select(d => (long)d).ToArray();

    public int Rank => Shape.Length;
}

/// <summary>Downstream of an operator FastRnn cannot run; already listed.</summary>
internal sealed record Unrunnable : Lowered;
