using FastRnn.Layers;

namespace FastRnn.Import;

/// <summary>
/// Converts the weights of Keras <c>LSTM</c>, <c>GRU</c> and <c>SimpleRNN</c> layers ("Keras layout") to a FastRnn
/// model with PyTorch's names and layout.
/// </summary>
/// <remarks>
/// <para><b>Names.</b> Each tensor name is <c>[layer path][/ or .]role[:index]</c> with role <c>kernel</c>,
/// <c>recurrent_kernel</c> or <c>bias</c>, e.g. <c>lstm/kernel</c>, <c>lstm/lstm_cell/recurrent_kernel:0</c> or a
/// bare <c>kernel</c>. The layer path groups the three tensors of one layer. Every layer path present must belong to
/// a recurrent layer (have a <c>recurrent_kernel</c>); to import from a file that also holds other layers (say
/// <c>dense/kernel</c>), select the recurrent ones with <see cref="ImportOptions.Prefix"/>, which keeps only names
/// under that path and strips it. Several recurrent layers form a stack in the order their first tensor appears in
/// the file (the data order of a safetensors file, the entry order of an .npz); they must be of one kind and size.</para>
/// <para><b>Conversion</b> (U units, G gates): <c>kernel</c> (I, G·U) and <c>recurrent_kernel</c> (U, G·U) are
/// transposed to PyTorch's <c>weight_ih</c> (G·U, I) and <c>weight_hh</c> (G·U, U). LSTM gates i, f, c, o are
/// PyTorch's i, f, g, o; the single bias (4U) becomes <c>bias_ih</c>, with <c>bias_hh</c> zero. GRU gates z, r, h
/// are reordered to PyTorch's r, z, n; both frameworks compute h' = z⊙h + (1 − z)⊙h̃, so z keeps its meaning. A GRU
/// bias (2, 3U) is <c>reset_after=True</c> (rows: input bias, recurrent bias → <c>bias_ih</c>, <c>bias_hh</c>); a bias
/// (3U) is <c>reset_after=False</c>, the original "reset before" form, with <c>bias_hh</c> zero. Without a bias the
/// GRU form cannot be seen: reset-after (the Keras default) unless <see cref="ImportOptions.GruResetAfter"/> says
/// otherwise. SimpleRNN: one bias (U); tanh unless <see cref="ImportOptions.Nonlinearity"/> is relu.</para>
/// <para><b>Not representable.</b> Only the sigmoid recurrent activation (the default since Keras 2.3 / TF 2) and
/// tanh activation are supported: a layer trained with <c>recurrent_activation='hard_sigmoid'</c> (the Keras 1 and
/// early Keras 2 default) imports without error but computes different numbers, since the weights do not record the
/// activation. <c>Bidirectional</c> wrappers, peepholes and <c>go_backwards</c> are not supported.</para>
/// </remarks>
public static class KerasImporter
{
    private static readonly char[] Separators = ['/', '.'];

    /// <summary>Infers the stack in <paramref name="tensors"/> and converts it to PyTorch layout.</summary>
    /// <param name="tensors">Keras-layout tensors in file order, e.g. from <see cref="NpzFile.Read"/>.</param>
    /// <param name="options">Prefix, SimpleRNN activation, GRU form when there is no bias.</param>
    /// <returns>The configuration and its parameters under PyTorch's state-dict names.</returns>
    /// <exception cref="ImportException">The tensors are not a consistent stack of Keras recurrent layers; the message names the tensor.</exception>
    /// <exception cref="ArgumentException">An option does not apply to the model the input holds (say a nonlinearity for an LSTM, or any option for ONNX).</exception>
    public static ImportedModel Import(IEnumerable<KeyValuePair<string, TensorData>> tensors, ImportOptions? options = null)
    {
        options ??= ImportOptions.Default;
        List<KeyValuePair<string, TensorData>> all = NamedTensors.ToList(tensors, "Keras weights");
        if (all.Count == 0)
            throw ImportErrors.Inconsistent("there are no tensors to import");
        var layers = new List<KerasLayerWeights>();
        foreach ((string name, string original, TensorData tensor) in NamedTensors.UnderPrefix(all, options.Prefix, Separators, n => Split(n).Layer))
        {
            (string layer, string role) = Split(name);
            KerasLayerWeights? weights = layers.Find(l => l.Path == layer);
            if (weights is null)
            {
                string selectedPrefix = original[..(original.Length - name.Length)]; // "encoder/" or ""
                string display = layer.Length == 0 ? selectedPrefix.TrimEnd(Separators) : selectedPrefix + layer;
                layers.Add(weights = new KerasLayerWeights(layer, display.Length == 0 ? "(top level)" : display));
            }
            weights.Add(role, original, tensor);
        }

        List<KerasLayerShape> shapes = layers.Select(l => KerasLayerShape.Infer(l)).ToList();
        KerasLayerShape first = shapes[0];
        for (int k = 1; k < shapes.Count; k++)
            shapes[k].CheckStackedOn(first, shapes[k - 1], layers[k]);

        if (options.Nonlinearity is { } nl && first.Kind != RecurrentKind.Rnn)
            throw ImportErrors.OptionNotApplicable("nonlinearity", nl.ToString().ToLowerInvariant(), $"Keras {first.LayerType}, not a SimpleRNN");
        if (options.GruResetAfter is { } ra && first.Kind != RecurrentKind.Gru)
            throw ImportErrors.OptionNotApplicable("GRU reset_after", ra ? "true" : "false", $"Keras {first.LayerType}, not a GRU");
        if (options.GruResetAfter is { } wanted && first.ResetAfter is { } found && wanted != found)
            throw ImportErrors.Inconsistent(
                $"option GRU reset_after = {(wanted ? "true" : "false")} contradicts tensor '{layers[0].BiasName}': its shape {layers[0].Bias!.ShapeText} means reset_after={(found ? "True" : "False")}");

        RnnConfig config;
        try
        {
            config = new RnnConfig
            {
                Kind = first.Kind,
                InputSize = first.Input,
                HiddenSize = first.Units,
                NumLayers = layers.Count,
                HasBias = first.HasBias,
                GruResetAfter = first.ResetAfter ?? options.GruResetAfter ?? true,
                Nonlinearity = options.Nonlinearity ?? RnnNonlinearity.Tanh,
            };
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw ImportErrors.InvalidModel(e);
        }

        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (int k = 0; k < layers.Count; k++)
            KerasConversion.AddLayer(result, k, layers[k], shapes[k]);
        return new ImportedModel(config, result);
    }

    /// <summary>"lstm/lstm_cell/kernel:0" → ("lstm/lstm_cell", "kernel"); the index suffix is dropped.</summary>
    internal static (string Layer, string Role) Split(string name)
    {
        string bare = name;
        int colon = bare.LastIndexOf(':');
        if (colon >= 0 && colon < bare.Length - 1 && bare.AsSpan(colon + 1).IndexOfAnyExceptInRange('0', '9') < 0)
            bare = bare[..colon];
        int sep = bare.LastIndexOfAny(Separators);
        return sep < 0 ? ("", bare) : (bare[..sep], bare[(sep + 1)..]);
    }
}
