using FastRnn.Layers;

namespace FastRnn.Import;

/// <summary>
/// Imports a weights file and writes it as an .frnn file. The reader is chosen by extension:
/// <c>.safetensors</c> (<see cref="SafetensorsFile"/>), <c>.npz</c> (<see cref="NpzFile"/>) or <c>.pt</c> / <c>.pth</c>
/// (<see cref="TorchFile"/>, which refuses any pickle that names more than tensors and containers); the tensors are
/// then read as a PyTorch state dict (<see cref="PyTorchStateDictImporter"/>) or, with
/// <see cref="ImportOptions.Keras"/>, in Keras layout (<see cref="KerasImporter"/>). An <c>.onnx</c> model goes to
/// <see cref="OnnxImporter"/>. A seq2seq state dict converts with a JSON config through <see cref="ConvertSeq2Seq"/>.
/// </summary>
public static class ModelConverter
{
    /// <summary>Reads <paramref name="inputPath"/> and infers the model it holds.</summary>
    /// <param name="inputPath">A .safetensors, .npz, .pt (torch.save) or .onnx file.</param>
    /// <param name="options">Prefix, layout and the choices the weights do not record; null for the defaults (required for ONNX).</param>
    /// <param name="progress">Receives the fraction done, 0 to 1.</param>
    /// <returns>The configuration and the tensors under PyTorch's names, ready for <see cref="RnnModel.FromPyTorch"/>.</returns>
    /// <exception cref="ImportException">The file cannot be read or does not hold one recurrent model; the message says why.</exception>
    /// <exception cref="ArgumentException">An option does not apply to the model the input holds (say a nonlinearity for an LSTM, or any option for ONNX).</exception>
    public static ImportedModel Convert(string inputPath, ImportOptions? options = null, IProgress<double>? progress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(inputPath);
        options ??= ImportOptions.Default;
        if (Path.GetExtension(inputPath).Equals(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            // Constant initial states and sequence lengths are part of the imported model; graph inputs stay runtime data.
            ImportedModel onnx = OnnxImporter.Import(inputPath, options).Model;
            progress?.Report(0.9);
            return onnx;
        }
        IReadOnlyList<KeyValuePair<string, TensorData>> tensors = ReadTensors(inputPath, options, Scaled(progress, 0, 0.8));
        ImportedModel model = options.Keras ? KerasImporter.Import(tensors, options) : PyTorchStateDictImporter.Import(tensors, options);
        progress?.Report(0.9);
        return model;
    }

    /// <summary>
    /// Reads <paramref name="inputPath"/>, infers the model and writes it to <paramref name="outputPath"/> as an .frnn
    /// file (through <see cref="RnnModel.Save(RnnConfig, IReadOnlyDictionary{string, float[]}, string)"/>, which
    /// checks the model once more and replaces the target only when the file is complete).
    /// </summary>
    /// <param name="inputPath">A .safetensors, .npz, .pt (torch.save) or .onnx file.</param>
    /// <param name="outputPath">The .frnn file to write.</param>
    /// <param name="options">Prefix, layout and the choices the weights do not record.</param>
    /// <param name="progress">Receives the fraction done, 0 to 1.</param>
    /// <returns>The configuration that was written.</returns>
    /// <exception cref="ImportException">The input cannot be read or does not hold one recurrent model.</exception>
    /// <exception cref="ArgumentException">An option does not apply to the model the input holds (say a nonlinearity for an LSTM, or any option for ONNX).</exception>
    public static RnnConfig Convert(string inputPath, string outputPath, ImportOptions options, IProgress<double>? progress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        ArgumentNullException.ThrowIfNull(options);
        ImportedModel model = Convert(inputPath, options, progress);
        try
        {
            RnnModel.Save(model.Config, model.Tensors, outputPath);
        }
        catch (ArgumentException e)
        {
            throw ImportErrors.InvalidModel(e);
        }
        progress?.Report(1.0);
        return model.Config;
    }

    /// <summary>
    /// Converts a PyTorch seq2seq state dict (.safetensors or .npz) to a seq2seq .frnn file (docs/seq2seq.md) with a
    /// JSON config that gives the architecture, the vocabularies and the mapping from the .frnn tensor names to the
    /// state dict's (docs/seq2seq.md, "Converting a PyTorch seq2seq model"). Sizes the config leaves out are inferred
    /// from the tensor shapes; every other tensor shape, the vocabulary sizes and the unused tensors are checked, and
    /// the result is loaded with <see cref="Decoding.Seq2SeqModel.Load(Format.FrnnFile)"/> before
    /// <paramref name="outputPath"/> is replaced.
    /// </summary>
    /// <param name="inputPath">A .safetensors or .npz state dict.</param>
    /// <param name="configPath">The JSON config; vocabulary files it names are relative to its folder.</param>
    /// <param name="outputPath">The .frnn file to write (replaced only once complete).</param>
    /// <param name="progress">Receives the fraction done, 0 to 1.</param>
    /// <returns>The architecture that was written.</returns>
    /// <exception cref="ImportException">The config is not valid (the message names the key), or the state dict does
    /// not match it (the message names the .frnn tensor and the state-dict tensor).</exception>
    public static Decoding.Seq2SeqConfig ConvertSeq2Seq(string inputPath, string configPath, string outputPath, IProgress<double>? progress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(inputPath);
        ArgumentException.ThrowIfNullOrEmpty(configPath);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        return Seq2SeqConverter.Convert(inputPath, configPath, outputPath, progress);
    }

    /// <summary>
    /// The tensors of a .safetensors, .npz or .pt file as float32, in file order; with a prefix, only those under it, so
    /// tensors of other modules (say an int64 <c>num_batches_tracked</c>) are never decoded.
    /// </summary>
    internal static IReadOnlyList<KeyValuePair<string, TensorData>> ReadTensors(string path, ImportOptions options, IProgress<double>? progress)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        string separators = options.Keras ? "/." : ".";
        string prefix = (options.Prefix ?? "").TrimEnd(separators.ToCharArray());
        Func<string, bool> include = prefix.Length == 0 ? _ => true : name => NamedTensors.IsUnder(name, prefix, separators);
        Func<string, string> moduleOf = options.Keras ? name => KerasImporter.Split(name).Layer : PyTorchStateDictImporter.ModuleOf;
        List<string> names;
        IReadOnlyList<KeyValuePair<string, TensorData>> tensors;
        switch (extension)
        {
            case ".safetensors":
                using (SafetensorsFile file = SafetensorsFile.Open(path))
                {
                    names = file.Tensors.Select(t => t.Name).ToList();
                    SafetensorsTensorInfo[] selected = file.Tensors.Where(t => include(t.Name)).ToArray();
                    if (selected.FirstOrDefault(t => !SafetensorsDType.IsFloat(t.DType)) is { } other)
                    {
                        throw ImportErrors.Tensor(path, other.Name, $"has dtype {other.DType}, which no recurrent layer has; "
                            + (prefix.Length == 0 ? "if it belongs to another module, select the recurrent one with --prefix (ImportOptions.Prefix)" : "only F32, F16, BF16 and F64 can be read as float32"));
                    }
                    var list = new List<KeyValuePair<string, TensorData>>(selected.Length);
                    foreach (SafetensorsTensorInfo t in selected)
                    {
                        list.Add(new(t.Name, file.ReadTensor(t.Name)));
                        progress?.Report((double)list.Count / selected.Length);
                    }
                    tensors = list;
                }
                break;
            case ".npz":
                (tensors, names) = NpzFile.ReadSelected(path, include, progress);
                break;
            case ".onnx":
                throw ImportErrors.UnsupportedFile(path, "an ONNX model is a graph, not a set of named tensors; import it with OnnxImporter");
            case ".pt" or ".pth" or ".bin" or ".ckpt":
                (tensors, names) = TorchFile.ReadSelected(path, include, progress,
                    prefix.Length == 0 ? "if it belongs to another module, select the recurrent one with --prefix (ImportOptions.Prefix)" : "only float32, float16, bfloat16 and float64 can be read as float32");
                break;
            default:
                throw ImportErrors.UnsupportedFile(path, $"unknown file type '{extension}'; expected .safetensors, .npz or .pt");
        }
        if (tensors.Count == 0 && names.Count > 0)
            throw NamedTensors.PrefixNotFound(options.Prefix!, names, moduleOf);
        return tensors;
    }

    private static Progress? Scaled(IProgress<double>? progress, double from, double to)
        => progress is null ? null : new Progress(progress, from, to);

    // Synchronous (unlike System.Progress<T>, which posts to a synchronization context).
    private sealed class Progress(IProgress<double> inner, double from, double to) : IProgress<double>
    {
        public void Report(double value) => inner.Report(from + (to - from) * value);
    }
}
