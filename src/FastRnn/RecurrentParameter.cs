namespace FastRnn;

/// <summary>
/// One tensor of a recurrent stack as <see cref="RecurrentParameterSchema"/> describes it: its PyTorch state-dict
/// name (<c>weight_ih_l1_reverse</c>), its row-major shape, and which layer, direction and role it belongs to.
/// </summary>
public sealed class RecurrentParameter
{
    private readonly int[] _shape;

    internal RecurrentParameter(RecurrentParameterRole role, int layer, int direction, int[] shape)
    {
        Role = role;
        Layer = layer;
        Direction = direction;
        Name = RecurrentParameterSchema.Name(role, layer, direction);
        _shape = shape;
    }

    /// <summary>PyTorch's state-dict name, e.g. <c>weight_hh_l0</c> or <c>bias_ih_l1_reverse</c>.</summary>
    public string Name { get; }

    /// <summary>What the tensor is.</summary>
    public RecurrentParameterRole Role { get; }

    /// <summary>The layer k, from 0 at the input.</summary>
    public int Layer { get; }

    /// <summary>0 for the forward direction, 1 for the backward (<c>_reverse</c>) one.</summary>
    public int Direction { get; }

    /// <summary>PyTorch's shape, row-major.</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>The number of floats, the product of <see cref="Shape"/> (a long: G·H by D·H_out can pass 2³¹ at the largest sizes a configuration allows).</summary>
    public long ElementCount => _shape.Aggregate(1L, (a, b) => a * b);

    internal ReadOnlySpan<int> Dimensions => _shape;

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({string.Join(", ", _shape)})";
}
