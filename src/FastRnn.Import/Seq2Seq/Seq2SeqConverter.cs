using FastRnn.Decoding;
using FastRnn.Format;

namespace FastRnn.Import;

/// <summary>
/// The config branch of <see cref="ModelConverter"/>: a PyTorch seq2seq state dict (.safetensors or .npz) plus a JSON
/// config → a seq2seq .frnn file, loaded once with <see cref="Seq2SeqModel.Load(FrnnFile)"/> before it is written.
/// </summary>
internal static class Seq2SeqConverter
{
    public static Seq2SeqConfig Convert(string inputPath, string configPath, string outputPath, IProgress<double>? progress)
    {
        // The config first: its mistakes are reported before any weights are read.
        Seq2SeqConversionConfig config = Seq2SeqConversionConfig.Load(configPath);
        (List<KeyValuePair<string, TensorData>> tensors, List<string> names) = ReadStateDict(inputPath, config, progress);

        Seq2SeqConfig result;
        FrnnWriter writer;
        try
        {
            (result, writer) = Seq2SeqStateDictImporter.Build(config, new TensorMapping(config, tensors, names));
        }
        catch (ImportException e) when (LooksLikeOneRecurrentModule(names))
        {
            throw Seq2SeqErrors.Model($"{e.Message} (the file holds only the parameters of a recurrent layer: a plain LSTM, GRU or RNN converts without --config)");
        }
        catch (ArgumentException e)
        {
            // FrnnWriter: a token that is not valid UTF-16 (a lone surrogate from a JSON escape).
            throw Seq2SeqErrors.Config(configPath, e.Message);
        }
        progress?.Report(0.85);

        byte[] bytes = writer.ToArray();
        try
        {
            using FrnnFile file = FrnnFile.Parse(bytes);
            _ = Seq2SeqModel.Load(file);
        }
        catch (Exception e) when (e is FrnnFormatException or ArgumentException)
        {
            throw Seq2SeqErrors.DoesNotLoad(e);
        }
        progress?.Report(0.95);
        writer.Save(outputPath);
        progress?.Report(1.0);
        return result;
    }

    /// <summary>Every tensor not ignored, as float32, in file order; and every name in the file.</summary>
    private static (List<KeyValuePair<string, TensorData>> Tensors, List<string> Names) ReadStateDict(string path, Seq2SeqConversionConfig config, IProgress<double>? progress)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        Scaled? reading = progress is null ? null : new Scaled(progress, 0, 0.8);
        switch (extension)
        {
            case ".safetensors":
                using (SafetensorsFile file = SafetensorsFile.Open(path))
                {
                    SafetensorsTensorInfo[] selected = file.Tensors.Where(t => !config.IsIgnored(t.Name)).ToArray();
                    if (selected.FirstOrDefault(t => !SafetensorsDType.IsFloat(t.DType)) is { } other)
                    {
                        throw ImportErrors.Tensor(path, other.Name,
                            $"has dtype {other.DType}, which no seq2seq tensor has; if it is not part of the model, list it or its module under 'ignore' in {config.File}");
                    }
                    var list = new List<KeyValuePair<string, TensorData>>(selected.Length);
                    foreach (SafetensorsTensorInfo t in selected)
                    {
                        list.Add(new(t.Name, file.ReadTensor(t.Name)));
                        reading?.Report((double)list.Count / selected.Length);
                    }
                    return (list, file.Tensors.Select(t => t.Name).ToList());
                }
            case ".npz":
                (IReadOnlyList<KeyValuePair<string, TensorData>> arrays, List<string> names) = NpzFile.ReadSelected(path, name => !config.IsIgnored(name), reading);
                return (arrays.ToList(), names);
            case ".onnx":
                throw ImportErrors.UnsupportedFile(path, "a seq2seq config maps the tensors of a state dict (.safetensors or .npz); an ONNX graph is not one");
            case ".pt" or ".pth" or ".bin" or ".ckpt":
                (IReadOnlyList<KeyValuePair<string, TensorData>> tensors, List<string> all) = TorchFile.ReadSelected(path, name => !config.IsIgnored(name), reading,
                    $"if it is not part of the model, list it or its module under 'ignore' in {config.File}");
                return (tensors.ToList(), all);
            default:
                throw ImportErrors.UnsupportedFile(path, $"unknown file type '{extension}'; expected .safetensors or .npz");
        }
    }

    /// <summary>Whether every name is a recurrent-layer parameter (weight_ih_l0, …) of one module.</summary>
    private static bool LooksLikeOneRecurrentModule(List<string> names)
        => names.Count > 0
           && names.All(n => PyTorchStateDictImporter.IsParameterName(n[(n.LastIndexOf('.') + 1)..]))
           && names.Select(PyTorchStateDictImporter.ModuleOf).Distinct(StringComparer.Ordinal).Count() == 1;

    private sealed class Scaled(IProgress<double> inner, double from, double to) : IProgress<double>
    {
        public void Report(double value) => inner.Report(from + (to - from) * value);
    }
}
