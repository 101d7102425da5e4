using System.CommandLine;
using FastRnn.Cli.Reporting;
using FastRnn.Decoding;
using FastRnn.Format;
using FastRnn.Import;
using FastRnn.Layers;

namespace FastRnn.Cli.Commands;

/// <summary>
/// <c>fastrnn convert &lt;weights&gt; -o &lt;model.frnn&gt; [--config &lt;config.json&gt;]</c>: imports a PyTorch state dict or
/// Keras-layout weights (.safetensors, .npz) through <see cref="ModelConverter"/> and writes an .frnn file; with
/// <c>--config</c>, a seq2seq state dict (<see cref="ModelConverter.ConvertSeq2Seq"/>).
/// </summary>
internal static class ConvertCommand
{
    /// <summary>Inputs from this size on get a progress bar (on a terminal); smaller ones convert before a bar could be read.</summary>
    internal const long LargeModelBytes = 16L << 20;

    public static Command Create(CliContext context)
    {
        var input = new Argument<FileInfo>("input") { Description = "The model to import: .pt, .safetensors or .npz (PyTorch state dict, or Keras layout with --keras), or an .onnx graph." };
        var output = new Option<FileInfo>("--output", "-o") { Description = "The .frnn file to write (replaced only once complete).", Required = true };
        var config = new Option<FileInfo?>("--config")
        {
            Description = "Convert a seq2seq state dict with this JSON config: architecture, vocabularies, and which state-dict tensors are which (docs/seq2seq.md).",
        };
        var keras = new Option<bool>("--keras") { Description = "Read Keras layout (kernel, recurrent_kernel, bias) instead of a PyTorch state dict." };
        var prefix = new Option<string?>("--prefix") { Description = "Import only the module under this name, e.g. encoder.rnn (PyTorch) or encoder (Keras)." };
        var nonlinearity = new Option<string?>("--nonlinearity") { Description = "A plain RNN's activation, which weights do not record (default tanh, said on stderr); an ONNX graph records it." };
        nonlinearity.AcceptOnlyFromAmong("tanh", "relu");
        var resetBefore = new Option<bool>("--gru-reset-before")
        {
            Description = "A GRU in the original reset-before form (Keras reset_after=False, ONNX linear_before_reset=0); PyTorch's nn.GRU is reset-after.",
        };
        var fix = new Option<string[]>("--fix") { Description = "ONNX graph: replace input NAME by a constant, e.g. --fix sr=16000.", AllowMultipleArgumentsPerToken = false };
        var shape = new Option<string[]>("--shape") { Description = "ONNX graph: fix the shape of input NAME, e.g. --shape input=1x576." };
        var state = new Option<string[]>("--state") { Description = "ONNX graph: output OUT feeds input IN on the next call, e.g. --state state=stateN (default: NAME/NAMEN pairs)." };
        Option<string> weights = QuantizeCommand.WeightsOption(required: false);
        var command = new Command("convert", "Import PyTorch or Keras weights (.pt, .safetensors, .npz; a seq2seq state dict with --config) or an ONNX model (.onnx) and write an .frnn model file.")
        {
            input, output, config, keras, prefix, nonlinearity, resetBefore, fix, shape, state, weights,
        };
        command.SetAction(parse => CliErrors.Run(context, () =>
        {
            WeightPrecision precision = QuantizeCommand.Parse(parse.GetValue(weights));
            int result = Import();
            if (result == ExitCodes.Success && precision != WeightPrecision.Float32)
            {
                FileInfo written = parse.GetValue(output)!;
                QuantizeCommand.Rewrite(written, written, precision);
                context.Out.WriteLine($"stored its weight matrices as {parse.GetValue(weights)}: {new FileInfo(written.FullName).Length:N0} bytes");
            }
            return result;

            int Import()
            {
                string[] graphOptions = [.. parse.GetValue(fix) ?? [], .. parse.GetValue(shape) ?? [], .. parse.GetValue(state) ?? []];
                FileInfo source = parse.GetValue(input)!;
                bool onnx = source.Extension.Equals(".onnx", StringComparison.OrdinalIgnoreCase);
                if (graphOptions.Length > 0 && !onnx)
                    throw CliErrors.Usage("--fix, --shape and --state apply to ONNX models");
                // A whole graph (a head, a front-end, shape arithmetic the stack importer does not follow) converts as a graph model.
                if (onnx && source.Exists && (graphOptions.Length > 0 || OnnxGraphImporter.NeedsGraph(source.FullName)))
                    return GraphConvert.Run(context, source, parse.GetValue(output)!, parse.GetValue(fix) ?? [], parse.GetValue(shape) ?? [], parse.GetValue(state) ?? []);
                if (parse.GetValue(config) is { } configFile)
                {
                    // The config describes everything; the options of a single recurrent layer do not apply.
                    foreach ((string name, bool given) in new[]
                    {
                        ("--keras", parse.GetValue(keras)), ("--prefix", parse.GetValue(prefix) is not null),
                        ("--nonlinearity", parse.GetValue(nonlinearity) is not null), ("--gru-reset-before", parse.GetValue(resetBefore)),
                    })
                    {
                        if (given)
                            throw CliErrors.Usage($"{name} does not apply with --config: the config describes the whole seq2seq model (a PyTorch state dict)");
                    }
                    return ConvertSeq2Seq(context, parse.GetValue(input)!, parse.GetValue(output)!, configFile);
                }
                var options = new ImportOptions
                {
                    Keras = parse.GetValue(keras),
                    Prefix = parse.GetValue(prefix),
                    Nonlinearity = parse.GetValue(nonlinearity) switch
                    {
                        null => null,
                        "relu" => RnnNonlinearity.Relu,
                        _ => RnnNonlinearity.Tanh,
                    },
                    GruResetAfter = parse.GetValue(resetBefore) ? false : null,
                };
                return Convert(context, parse.GetValue(input)!, parse.GetValue(output)!, options);
            }
        }));
        return command;
    }

    private static int ConvertSeq2Seq(CliContext context, FileInfo input, FileInfo output, FileInfo configFile)
    {
        if (IsOnnx(input))
            throw CliErrors.Usage("--config applies to a PyTorch state dict (.safetensors or .npz); an ONNX graph converts without it");
        if (!input.Exists)
            throw CliErrors.Missing("input", input);
        if (!configFile.Exists)
            throw CliErrors.Missing("--config", configFile);
        if (output.Directory is { Exists: false } directory)
            throw new DirectoryNotFoundException($"--output: the directory {directory} does not exist");
        Seq2SeqConfig config;
        using (ProgressBar? bar = context.ErrorIsTerminal && input.Length >= LargeModelBytes ? new ProgressBar(context.Error, $"converting {input.Name}") : null)
            config = ModelConverter.ConvertSeq2Seq(input.FullName, configFile.FullName, output.FullName, bar);

        long parameters, bytes;
        using (FrnnFile file = ModelFiles.Open(output))
        {
            parameters = file.Tensors.Sum(t => t.ElementCount);
            bytes = new FileInfo(output.FullName).Length;
        }
        context.Out.WriteLine($"wrote {output}: seq2seq, {ModelSummary.Describe(config)}; {parameters:N0} parameters, {bytes:N0} bytes");
        return ExitCodes.Success;
    }

    private static bool IsOnnx(FileInfo file) => file.Extension.Equals(".onnx", StringComparison.OrdinalIgnoreCase);

    private static int Convert(CliContext context, FileInfo input, FileInfo output, ImportOptions options)
    {
        if (!input.Exists)
            throw CliErrors.Missing("input", input);
        if (output.Directory is { Exists: false } directory)
            throw new DirectoryNotFoundException($"--output: the directory {directory} does not exist");
        RnnConfig config;
        using (ProgressBar? bar = context.ErrorIsTerminal && input.Length >= LargeModelBytes ? new ProgressBar(context.Error, $"converting {input.Name}") : null)
            config = ModelConverter.Convert(input.FullName, output.FullName, options, bar);

        // Reopening the result checks what was written (structure and checksum) and gives the sizes to report.
        long parameters, bytes;
        using (FrnnFile file = ModelFiles.Open(output))
        {
            parameters = file.Tensors.Sum(t => t.ElementCount);
            bytes = new FileInfo(output.FullName).Length;
        }
        context.Out.WriteLine($"wrote {output}: {ModelSummary.Describe(config)}; {parameters:N0} parameters, {bytes:N0} bytes");
        if (config.Kind == RecurrentKind.Rnn && options.Nonlinearity is null && !IsOnnx(input))
            context.Error.WriteLine($"{CliErrors.WarningPrefix}{input.Name}: assumed the RNN's nonlinearity is tanh, which weights do not record; convert with --nonlinearity relu if it was trained with ReLU");
        return ExitCodes.Success;
    }
}
