using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace FastRnn;

/// <summary>
/// The tensors of a recurrent stack for one <see cref="RnnConfig"/>, written down once: PyTorch's state-dict name,
/// row-major shape, layer, direction and role of each. The model builder, the .frnn reader and writer and every
/// importer read names and shapes from here.
/// </summary>
/// <remarks>
/// For every layer k and direction d (the backward one with the suffix <c>_reverse</c>), in PyTorch's
/// <c>state_dict()</c> order, with G the gate count (<see cref="RnnConfig.GateCount"/>):
/// <c>weight_ih_l{k}</c> (G·H, I or D·H_out), <c>weight_hh_l{k}</c> (G·H, H_out), with biases <c>bias_ih_l{k}</c>
/// and <c>bias_hh_l{k}</c> (G·H), with a projection <c>weight_hr_l{k}</c> (P, H), and with ONNX peepholes
/// <c>peephole_l{k}</c> (3, H). Gate blocks are stacked in PyTorch's order (<see cref="GateOrder.PyTorch"/>).
/// <para>A model may also carry a default initial state (an ONNX graph's constant <c>initial_h</c> / <c>initial_c</c>):
/// <see cref="InitialHiddenName"/> (L·D, B₀, H_out) and <see cref="InitialCellName"/> (L·D, B₀, H, LSTM only), which
/// are optional and not among <see cref="Parameters"/>.</para>
/// </remarks>
public sealed class RecurrentParameterSchema
{
    private readonly RecurrentParameter[] _parameters;
    private readonly Dictionary<string, RecurrentParameter> _byName;

    /// <summary>The optional default initial hidden state, (L·D, B₀, H_out).</summary>
    public const string InitialHiddenName = "initial_h";

    /// <summary>The optional default initial cell state of an LSTM, (L·D, B₀, H).</summary>
    public const string InitialCellName = "initial_c";

    /// <summary>Describes the tensors of <paramref name="config"/>.</summary>
    /// <exception cref="ArgumentException">The configuration is invalid; the message names the field.</exception>
    public RecurrentParameterSchema(RnnConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        int gates = config.GateCount * config.HiddenSize;
        var parameters = new List<RecurrentParameter>();
        for (int layer = 0; layer < config.NumLayers; layer++)
        {
            for (int d = 0; d < config.Directions; d++)
            {
                parameters.Add(new(RecurrentParameterRole.InputWeights, layer, d, [gates, config.LayerInputSize(layer)]));
                parameters.Add(new(RecurrentParameterRole.RecurrentWeights, layer, d, [gates, config.OutputHiddenSize]));
                if (config.HasBias)
                {
                    parameters.Add(new(RecurrentParameterRole.InputBias, layer, d, [gates]));
                    parameters.Add(new(RecurrentParameterRole.RecurrentBias, layer, d, [gates]));
                }
                if (config.ProjSize > 0)
                    parameters.Add(new(RecurrentParameterRole.Projection, layer, d, [config.ProjSize, config.HiddenSize]));
                if (config.Peepholes)
                    parameters.Add(new(RecurrentParameterRole.Peepholes, layer, d, [3, config.HiddenSize]));
            }
        }
        _parameters = [.. parameters];
        _byName = _parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
    }

    /// <summary>The configuration described.</summary>
    public RnnConfig Config { get; }

    /// <summary>Every tensor the configuration has, in PyTorch's <c>state_dict()</c> order.</summary>
    public IReadOnlyList<RecurrentParameter> Parameters => _parameters;

    /// <summary>The parameter named <paramref name="name"/>, if the configuration has one.</summary>
    public bool TryGet(string name, [NotNullWhen(true)] out RecurrentParameter? parameter) => _byName.TryGetValue(name, out parameter);

    /// <summary>The <paramref name="role"/> tensor of (<paramref name="layer"/>, <paramref name="direction"/>).</summary>
    /// <exception cref="ArgumentException">The configuration has no such tensor (say a bias when it has none).</exception>
    public RecurrentParameter Get(RecurrentParameterRole role, int layer, int direction)
        => _byName.TryGetValue(Name(role, layer, direction), out RecurrentParameter? p)
            ? p
            : throw new ArgumentException($"a model of this configuration has no tensor {Name(role, layer, direction)}", nameof(role));

    /// <summary>Whether <paramref name="name"/> is an initial-state tensor this configuration can carry.</summary>
    public bool IsInitialState(string name)
        => name == InitialHiddenName || (name == InitialCellName && Config.Kind == RecurrentKind.Lstm);

    /// <summary>PyTorch's name for a tensor, e.g. <c>weight_hh_l1_reverse</c>.</summary>
    public static string Name(RecurrentParameterRole role, int layer, int direction)
        => direction == 0 ? $"{Stem(role)}_l{layer}" : $"{Stem(role)}_l{layer}_reverse";

    /// <summary>The name without layer and direction: <c>weight_ih</c>, <c>weight_hh</c>, <c>bias_ih</c>, <c>bias_hh</c>, <c>weight_hr</c>, <c>peephole</c>.</summary>
    public static string Stem(RecurrentParameterRole role) => role switch
    {
        RecurrentParameterRole.InputWeights => "weight_ih",
        RecurrentParameterRole.RecurrentWeights => "weight_hh",
        RecurrentParameterRole.InputBias => "bias_ih",
        RecurrentParameterRole.RecurrentBias => "bias_hh",
        RecurrentParameterRole.Projection => "weight_hr",
        RecurrentParameterRole.Peepholes => "peephole",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "not a recurrent parameter role"),
    };

    /// <summary>The role whose <see cref="Stem"/> is <paramref name="stem"/> (a cell's bare name, such as <c>nn.LSTMCell</c>'s <c>weight_ih</c>).</summary>
    public static bool TryParseStem(ReadOnlySpan<char> stem, out RecurrentParameterRole role)
    {
        foreach (RecurrentParameterRole r in Enum.GetValues<RecurrentParameterRole>())
        {
            if (stem.SequenceEqual(Stem(r)))
            {
                role = r;
                return true;
            }
        }
        role = default;
        return false;
    }

    /// <summary>
    /// Reads a layer's name, <c>{stem}_l{k}</c> or <c>{stem}_l{k}_reverse</c>, with k written as PyTorch writes it
    /// (no leading zeros, at most six digits, so that a large k is reported as a missing layer rather than overflow).
    /// </summary>
    public static bool TryParseName(string name, out RecurrentParameterRole role, out int layer, out int direction)
    {
        ArgumentNullException.ThrowIfNull(name);
        (role, layer, direction) = (default, 0, 0);
        ReadOnlySpan<char> rest = name;
        if (rest.EndsWith("_reverse", StringComparison.Ordinal))
        {
            rest = rest[..^"_reverse".Length];
            direction = 1;
        }
        int at = rest.LastIndexOf("_l", StringComparison.Ordinal);
        if (at < 0 || !TryParseStem(rest[..at], out role))
            return false;
        ReadOnlySpan<char> digits = rest[(at + 2)..];
        if (digits.Length is 0 or > 6 || (digits.Length > 1 && digits[0] == '0') || digits.IndexOfAnyExceptInRange('0', '9') >= 0)
            return false;
        layer = int.Parse(digits, CultureInfo.InvariantCulture);
        return true;
    }
}
