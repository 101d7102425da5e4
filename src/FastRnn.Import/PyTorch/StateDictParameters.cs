using System.Diagnostics.CodeAnalysis;

namespace FastRnn.Import;

/// <summary>
/// The recurrent parameters of one module, under canonical layer names (<c>weight_ih_l0</c>; a cell's
/// <c>weight_ih</c> becomes <c>weight_ih_l0</c>), with what the names alone tell: layers, directions, biases.
/// </summary>
internal sealed class StateDictParameters(string module)
{
    private readonly Dictionary<string, TensorData> _tensors = new(StringComparer.Ordinal);
    private bool? _cell;

    public IEnumerable<string> Names => _tensors.Keys;

    public bool IsCell => _cell == true;

    public int MaxLayer { get; private set; }

    public bool HasReverse { get; private set; }

    public bool HasBias { get; private set; }

    /// <summary>Adds <paramref name="parameter"/>, the name with the module stripped.</summary>
    public void Add(string parameter, TensorData tensor)
    {
        if (!PyTorchStateDictImporter.TryParseParameter(parameter, out RecurrentParameterRole role, out int layer, out int direction, out bool cell))
        {
            string original = Original(parameter);
            string why = KerasImporter.Split(parameter).Role is "kernel" or "recurrent_kernel"
                ? "it looks like Keras layout (kernel, recurrent_kernel, bias); import with the Keras option (--keras)"
                : "it is not a parameter of nn.LSTM, nn.GRU, nn.RNN or their cells (weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, weight_hr_l{k}, …_reverse)";
            throw ImportErrors.UnexpectedTensor(original, why);
        }
        if (_cell is { } known && known != cell)
            throw ImportErrors.Inconsistent($"tensor '{Original(parameter)}' mixes a cell's names (weight_ih) with a layer stack's (weight_ih_l0) in one module");
        _cell = cell;
        MaxLayer = Math.Max(MaxLayer, layer);
        HasReverse |= direction == 1;
        HasBias |= role is RecurrentParameterRole.InputBias or RecurrentParameterRole.RecurrentBias;
        _tensors.Add(cell ? RecurrentParameterSchema.Name(role, 0, 0) : parameter, tensor);
    }

    public bool TryGet(string name, [NotNullWhen(true)] out TensorData? tensor) => _tensors.TryGetValue(name, out tensor);

    public TensorData Required(string name, string why)
        => _tensors.TryGetValue(name, out TensorData? t) ? t : throw ImportErrors.MissingTensor(Display(name), why);

    /// <summary>The name as the file spells it: module prefix, and no <c>_l0</c> for a cell.</summary>
    public string Display(string canonical)
        => Original(IsCell && canonical.EndsWith("_l0", StringComparison.Ordinal) ? canonical[..^3] : canonical);

    private string Original(string parameter) => module.Length == 0 ? parameter : module + "." + parameter;
}
