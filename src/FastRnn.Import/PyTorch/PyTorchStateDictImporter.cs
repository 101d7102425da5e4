using System.Text.RegularExpressions;
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

        if (!selected.Any(t => ParameterPattern().IsMatch(ParameterOf(t.Name))) && selected.FirstOrDefault(t => KerasImporter.Split(t.Name).Role == "recurrent_kernel") is { Original: { } keras })
            throw ImportErrors.UnexpectedTensor(keras, "it looks like Keras layout (kernel, recurrent_kernel, bias), not a PyTorch state dict; import with the Keras option (--keras)");

        // One module: every name is "<module>.<parameter>" with the same module (possibly empty).
        string[] modules = selected.Select(t => ModuleOf(t.Name)).Distinct(StringComparer.Ordinal).ToArray();
        if (modules.Length > 1)
        {
            string example = selected.Where(t => ParameterPattern().IsMatch(ParameterOf(t.Name))).Select(t => ModuleOf(t.Name)).FirstOrDefault() ?? modules[0];
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
        foreach (string name in RnnModel.ParameterNames(config))
        {
            (int[] shape, string why) = ExpectedShape(name, config, model);
            TensorData t = p.Required(name, $"a {model}{(config.HasBias ? " and biases" : "")} has it");
            if (!t.Shape.AsSpan().SequenceEqual(shape))
                throw ImportErrors.TensorShape(p.Display(name), t.Shape, shape, why);
            result.Add(name, t.Data);
        }
        foreach (string name in p.Names)
        {
            if (!result.ContainsKey(name))
            {
                string why = name.StartsWith("weight_hr", StringComparison.Ordinal)
                    ? "weight_hr_l0 is absent, so the model has no projection"
                    : $"a {model} has no such parameter";
                throw ImportErrors.UnexpectedTensor(p.Display(name), why);
            }
        }
        return result;
    }

    private static (int[] Shape, string Why) ExpectedShape(string name, RnnConfig c, string model)
    {
        int layer = int.Parse(Regex.Match(name, @"_l(\d+)").Groups[1].ValueSpan, provider: System.Globalization.CultureInfo.InvariantCulture);
        int gh = c.GateCount * c.HiddenSize;
        string g = $"{c.GateCount}·H";
        return name[..9] switch
        {
            "weight_ih" when layer == 0 => ([gh, c.InputSize], $"= ({g}, I) for a {model}"),
            "weight_ih" => ([gh, c.OutputSize], $"= ({g}, D·H_out) for layer {layer} of a {model}"),
            "weight_hh" => ([gh, c.OutputHiddenSize], $"= ({g}, H_out), as weight_hh_l0 implies for a {model}"),
            "weight_hr" => ([c.ProjSize, c.HiddenSize], $"= (P, H) for a {model}"),
            _ => ([gh], $"= ({g},) for a {model}"),
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

    /// <summary>weight_ih, weight_hh, bias_ih, bias_hh, weight_hr; with _l{k} and optionally _reverse for a stack, bare for a cell.</summary>
    [GeneratedRegex(@"^(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)(?:_l(0|[1-9][0-9]{0,5})(_reverse)?)?$")]
    internal static partial Regex ParameterPattern();
}
