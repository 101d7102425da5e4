using FastRnn.Layers;

namespace FastRnn.Import;

/// <summary>
/// Recognises the state dict of a plain PyTorch <c>nn.LSTM</c>, <c>nn.GRU</c>, <c>nn.RNN</c>, <c>nn.LSTMCell</c>,
/// <c>nn.GRUCell</c> or <c>nn.RNNCell</c> and infers its configuration from the tensor names and shapes alone.
/// </summary>
/// <remarks>
/// <para>Inference, with G the gate count and H_out = P with a projection, else H:</para>
/// <list type="bullet">
/// <item><c>weight_hh_l0</c> is (G·H, H_out). Without <c>weight_hr_l0</c>, H = its columns and G = rows / columns:
/// 4 is an LSTM, 3 a GRU, 1 an RNN (no other ratio is valid, so there is no ambiguity). With <c>weight_hr_l0</c>
/// (P, H) the model is an LSTM with <c>proj_size</c> P.</item>
/// <item>I = the columns of <c>weight_ih_l0</c>; layers = 1 + the largest k in <c>_l{k}</c>; bidirectional if any
/// name ends in <c>_reverse</c>; biases if any <c>bias_*</c> is present. Names without <c>_l{k}</c> are a cell,
/// imported as a one-layer unidirectional model.</item>
/// <item>Every tensor the configuration implies must then be present with exactly PyTorch's shape, and no other may
/// be: a missing layer, a shape that differs between layers or mixed kinds is an error naming the tensor.</item>
/// </list>
/// <para>Names may share a module prefix (<c>encoder.rnn.weight_ih_l0</c>), which is stripped. Tensors of several
/// modules (say <c>encoder.rnn.*</c> and <c>fc.*</c>) are an error listing them, unless
/// <see cref="ImportOptions.Prefix"/> selects one. The weights do not record an RNN's nonlinearity or a GRU's form:
/// tanh and reset-after (the only form <c>nn.GRU</c> has) unless <see cref="ImportOptions.Nonlinearity"/> or
/// <see cref="ImportOptions.GruResetAfter"/> say otherwise.</para>
/// </remarks>
public static partial class PyTorchStateDictImporter
{
    /// <summary>Infers the configuration of the recurrent module in <paramref name="tensors"/> and returns it with its parameters under canonical names.</summary>
    /// <param name="tensors">State-dict tensors (name, shape, float32 data), e.g. from <see cref="SafetensorsFile.ReadAll"/>.</param>
    /// <param name="options">Prefix, nonlinearity and GRU form; <see cref="ImportOptions.Keras"/> is ignored.</param>
    /// <returns>The configuration and exactly the tensors <see cref="RnnModel.ParameterNames"/> lists for it.</returns>
    /// <exception cref="ImportException">The tensors are not one consistent recurrent module; the message names the tensor.</exception>
    /// <exception cref="ArgumentException">An option does not apply to the model the input holds (say a nonlinearity for an LSTM, or any option for ONNX).</exception>
    public static ImportedModel Import(IEnumerable<KeyValuePair<string, TensorData>> tensors, ImportOptions? options = null)
    {
        options ??= ImportOptions.Default;
        List<KeyValuePair<string, TensorData>> all = NamedTensors.ToList(tensors, "state dict");
        if (all.Count == 0)
            throw ImportErrors.Inconsistent("there are no tensors to import");
        List<(string Name, string Original, TensorData Tensor)> selected = NamedTensors.UnderPrefix(all, options.Prefix, ".", ModuleOf);

        if (!selected.Any(t => IsParameterName(ParameterOf(t.Name))) && selected.FirstOrDefault(t => KerasImporter.Split(t.Name).Role == "recurrent_kernel") is { Original: { } keras })
            throw ImportErrors.UnexpectedTensor(keras, "it looks like Keras layout (kernel, recurrent_kernel, bias), not a PyTorch state dict; import with the Keras option (--keras)");

        // One module: every name is "<module>.<parameter>" with the same module (possibly empty).
        string[] modules = selected.Select(t => ModuleOf(t.Name)).Distinct(StringComparer.Ordinal).ToArray();
        if (modules.Length > 1)
        {
            string example = selected.Where(t => IsParameterName(ParameterOf(t.Name))).Select(t => ModuleOf(t.Name)).FirstOrDefault() ?? modules[0];
            string prefix = options.Prefix?.TrimEnd('.') ?? "";
            string Show(string m) => Join(prefix, m) is { Length: > 0 } path ? path : "(top level)";
            throw ImportErrors.SeveralModules(modules.Select(Show), Show(example));
        }
        string module = string.IsNullOrEmpty(options.Prefix) ? modules[0] : Join(options.Prefix.TrimEnd('.'), modules[0]);
        var parameters = new StateDictParameters(module);
        foreach ((string name, _, TensorData tensor) in selected)
            parameters.Add(ParameterOf(name), tensor);
        return Infer(parameters, options);
    }

    private static ImportedModel Infer(StateDictParameters p, ImportOptions options)
    {
        TensorData hh = p.Required("weight_hh_l0", "every recurrent module has it");
        Matrix(p, "weight_hh_l0", hh);
        int rows = hh.Shape[0], cols = hh.Shape[1];
        int hidden, proj = 0, gates;
        if (p.TryGet("weight_hr_l0", out TensorData? hr))
        {
            Matrix(p, "weight_hr_l0", hr);
            proj = hr.Shape[0];
            hidden = hr.Shape[1];
            if (hidden == 0 || rows != 4 * hidden || cols != proj)
                throw ImportErrors.TensorShape(p.Display("weight_hh_l0"), hh.Shape, [4 * hidden, proj],
                    $"= (4·H, P): weight_hr_l0 {hr.ShapeText} makes this an LSTM with proj_size P = {proj} and H = {hidden}");
            gates = 4;
        }
        else
        {
            hidden = cols;
            gates = hidden == 0 || rows % hidden != 0 ? 0 : rows / hidden;
            if (gates is not (1 or 3 or 4))
                throw ImportErrors.TensorRank(p.Display("weight_hh_l0"), hh.Shape,
                    "(G·H, H) with G = 4 (LSTM), 3 (GRU) or 1 (RNN): the rows must be 4, 3 or 1 times the columns");
        }
        RecurrentKind kind = gates switch { 4 => RecurrentKind.Lstm, 3 => RecurrentKind.Gru, _ => RecurrentKind.Rnn };

        TensorData ih = p.Required("weight_ih_l0", "every recurrent module has it");
        Matrix(p, "weight_ih_l0", ih);
        if (options.Nonlinearity is { } nl && kind != RecurrentKind.Rnn)
            throw ImportErrors.OptionNotApplicable("nonlinearity", nl.ToString().ToLowerInvariant(), $"{kind.ToString().ToUpperInvariant()}, not an RNN");
        if (options.GruResetAfter is { } ra && kind != RecurrentKind.Gru)
            throw ImportErrors.OptionNotApplicable("GRU reset_after", ra ? "true" : "false", $"{kind.ToString().ToUpperInvariant()}, not a GRU");

        RnnConfig config;
        try
        {
            config = new RnnConfig
            {
                Kind = kind,
                InputSize = ih.Shape[1],
                HiddenSize = hidden,
                NumLayers = p.MaxLayer + 1,
                Bidirectional = p.HasReverse,
                ProjSize = proj,
                HasBias = p.HasBias,
                GruResetAfter = options.GruResetAfter ?? true,
                Nonlinearity = options.Nonlinearity ?? RnnNonlinearity.Tanh,
            };
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw ImportErrors.InvalidModel(e);
        }
        if (p.IsCell && kind == RecurrentKind.Lstm && proj > 0)
            throw ImportErrors.UnexpectedTensor(p.Display("weight_hr_l0"), "nn.LSTMCell has no projection");

        return new ImportedModel(config, Collect(p, config));
    }

    /// <summary>Requires every parameter <paramref name="config"/> implies, with PyTorch's shape, and nothing else.</summary>
    private static Dictionary<string, float[]> Collect(StateDictParameters p, RnnConfig config)
    {
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        string model = NamedTensors.Describe(config);
        foreach (RecurrentParameter parameter in new RecurrentParameterSchema(config).Parameters)
        {
            TensorData t = p.Required(parameter.Name, $"a {model}{(config.HasBias ? " and biases" : "")} has it");
            if (!t.Shape.SequenceEqual(parameter.Shape))
                throw ImportErrors.TensorShape(p.Display(parameter.Name), t.Shape, [.. parameter.Shape], WhyShape(parameter, config, model));
            result.Add(parameter.Name, t.Data);
        }
        foreach (string name in p.Names)
        {
            if (!result.ContainsKey(name))
            {
                string why = TryParseParameter(name, out RecurrentParameterRole role, out _, out _, out _) && role == RecurrentParameterRole.Projection
                    ? "weight_hr_l0 is absent, so the model has no projection"
                    : $"a {model} has no such parameter";
                throw ImportErrors.UnexpectedTensor(p.Display(name), why);
            }
        }
        return result;
    }

    /// <summary>The shape the schema gives, in symbols, for an error message.</summary>
    private static string WhyShape(RecurrentParameter parameter, RnnConfig c, string model)
    {
        string g = $"{c.GateCount}·H";
        return parameter.Role switch
        {
            RecurrentParameterRole.InputWeights when parameter.Layer == 0 => $"= ({g}, I) for a {model}",
            RecurrentParameterRole.InputWeights => $"= ({g}, D·H_out) for layer {parameter.Layer} of a {model}",
            RecurrentParameterRole.RecurrentWeights => $"= ({g}, H_out), as weight_hh_l0 implies for a {model}",
            RecurrentParameterRole.Projection => $"= (P, H) for a {model}",
            _ => $"= ({g},) for a {model}",
        };
    }

    private static void Matrix(StateDictParameters p, string name, TensorData t)
    {
        if (t.Shape.Length != 2)
            throw ImportErrors.TensorRank(p.Display(name), t.Shape, "a matrix (2 dimensions)");
    }

    internal static string ModuleOf(string name) => name.LastIndexOf('.') is int i and >= 0 ? name[..i] : "";

    private static string ParameterOf(string name) => name[(name.LastIndexOf('.') + 1)..];

    private static string Join(string a, string b) => a.Length == 0 ? b : b.Length == 0 ? a : a + "." + b;

    /// <summary>
    /// Reads a parameter name of <c>nn.LSTM</c>, <c>nn.GRU</c>, <c>nn.RNN</c> (<c>weight_ih_l{k}</c>, …, optionally
    /// <c>_reverse</c>) or of their cells (the bare stem, <paramref name="cell"/> true): the schema's names without
    /// peepholes, which PyTorch does not have.
    /// </summary>
    internal static bool TryParseParameter(string parameter, out RecurrentParameterRole role, out int layer, out int direction, out bool cell)
    {
        (layer, direction) = (0, 0);
        cell = RecurrentParameterSchema.TryParseStem(parameter, out role);
        bool known = cell || RecurrentParameterSchema.TryParseName(parameter, out role, out layer, out direction);
        return known && role != RecurrentParameterRole.Peepholes;
    }

    internal static bool IsParameterName(string parameter) => TryParseParameter(parameter, out _, out _, out _, out _);
}
