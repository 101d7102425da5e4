using System.CommandLine;
using FastRnn.Format;

namespace FastRnn.Cli.Commands;

/// <summary>
/// <c>fastrnn quantize &lt;in.frnn&gt; -o &lt;out.frnn&gt; --weights bf16|int8</c>: rewrites a model with its large weight
/// matrices in bfloat16 or int8 (<see cref="FrnnQuantizer"/> says which); <c>convert --weights</c> does the same
/// after importing.
/// </summary>
internal static class QuantizeCommand
{
    public static Command Create(CliContext context)
    {
        var input = new Argument<FileInfo>("input") { Description = "The .frnn model to convert." };
        var output = new Option<FileInfo>("--output", "-o") { Description = "The .frnn file to write (replaced only once complete).", Required = true };
        Option<string> weights = WeightsOption(required: true);
        var command = new Command("quantize", "Rewrite an .frnn model's weight matrices in bfloat16 or int8 (per-row scales).") { input, output, weights };
        command.SetAction(parse => CliErrors.Run(context, () =>
        {
            FileInfo source = parse.GetValue(input)!;
            if (!source.Exists)
                throw CliErrors.Missing("input", source);
            Rewrite(source, parse.GetValue(output)!, Parse(parse.GetValue(weights)));
            Report(context, parse.GetValue(output)!);
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>The <c>--weights fp32|bf16|int8</c> option shared with <c>convert</c>.</summary>
    public static Option<string> WeightsOption(bool required)
    {
        var option = new Option<string>("--weights")
        {
            Description = "How to store the weight matrices: fp32, bf16 or int8 (embeddings, attention and small matrices stay fp32).",
            Required = required,
        };
        option.AcceptOnlyFromAmong("fp32", "bf16", "int8");
        return option;
    }

    public static WeightPrecision Parse(string? value) => value switch
    {
        "bf16" => WeightPrecision.BFloat16,
        "int8" => WeightPrecision.Int8,
        _ => WeightPrecision.Float32,
    };

    /// <summary>Converts <paramref name="input"/> into <paramref name="output"/> (which may be the same file) via a temporary file.</summary>
    public static void Rewrite(FileInfo input, FileInfo output, WeightPrecision weights)
    {
        if (output.Directory is { Exists: false } directory)
            throw new DirectoryNotFoundException($"--output: the directory {directory} does not exist");
        string temporary = output.FullName + ".tmp";
        using (FrnnFile file = FrnnFile.Open(input.FullName))
            FrnnQuantizer.Convert(file, weights).Save(temporary);
        File.Move(temporary, output.FullName, overwrite: true);
    }

    private static void Report(CliContext context, FileInfo output)
    {
        using FrnnFile file = FrnnFile.Open(output.FullName);
        string dtypes = string.Join(", ", file.Tensors.GroupBy(t => t.DType).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"));
        context.Out.WriteLine($"wrote {output}: tensors {dtypes}; {new FileInfo(output.FullName).Length:N0} bytes");
    }
}
