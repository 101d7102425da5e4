using System.CommandLine;
using System.Globalization;
using FastRnn.Cli.Reporting;
using FastRnn.Format;

namespace FastRnn.Cli.Commands;

/// <summary>
/// <c>fastrnn inspect &lt;model.frnn&gt; [--json]</c>: architecture, metadata, every tensor, checksum status, for every
/// kind of model the engine loads (a recurrent stack, a seq2seq model, a language model).
/// </summary>
internal static class InspectCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Argument<FileInfo>("model") { Description = "The .frnn file to describe." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var command = new Command("inspect", "Show a model file's architecture, tensors and checksum status.") { model, json };
        command.SetAction(parse => CliErrors.Run(context, () => Inspect(context.Out, parse.GetValue(model)!, parse.GetValue(json))));
        return command;
    }

    private static int Inspect(TextWriter output, FileInfo path, bool json)
    {
        // Open validates the structure and the CRC-32C checksum before returning: reaching the output means both passed.
        using FrnnFile file = ModelFiles.Open(path);
        if (FastRnn.Graph.GraphModel.IsGraph(file))
            return GraphInspect.Write(output, path, file, json);
        ModelDescription model = ModelFiles.Describe(path, file);
        long totalBytes = file.Tensors.Sum(t => t.ByteLength);
        if (json)
        {
            CliJson.Write(output, new Dictionary<string, object?>
            {
                ["file"] = path.Name,
                ["format_version"] = file.FormatVersion,
                ["checksum"] = "verified",
                ["checksum_algorithm"] = "crc32c",
                ["model"] = model.Kind,
                ["architecture"] = model.Json,
                ["metadata"] = file.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal).ToDictionary(m => m.Key, m => m.Value),
                ["tensors"] = file.Tensors.Select(t => new Dictionary<string, object>
                {
                    ["name"] = t.Name,
                    ["dtype"] = t.DType.ToString().ToLowerInvariant(),
                    ["shape"] = t.Shape,
                    ["bytes"] = t.ByteLength,
                }).ToList(),
                ["parameters"] = file.Tensors.Sum(t => t.ElementCount),
                ["tensor_bytes"] = totalBytes,
                ["file_bytes"] = path.Length,
            });
            return ExitCodes.Success;
        }

        output.WriteLine($"{path.Name}: .frnn format version {file.FormatVersion}, {path.Length:N0} bytes, checksum verified (CRC-32C)");
        output.WriteLine($"architecture: {model.Text}");
        output.WriteLine("metadata:");
        foreach (var (key, value) in file.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
            output.WriteLine($"  {key,-28} {Format(value)}");
        output.WriteLine($"tensors ({file.Tensors.Count}):");
        foreach (FrnnTensorInfo t in file.Tensors)
            output.WriteLine($"  {t.Name,-28} {t.DType.ToString().ToLowerInvariant(),-8} {Shapes.Format(t.Shape),-14} {t.ByteLength,12:N0} bytes");
        output.WriteLine($"  {"total",-28} {"",-8} {"",-14} {totalBytes,12:N0} bytes");
        return ExitCodes.Success;
    }

    private static string Format(object value) => value switch
    {
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        System.Collections.IEnumerable list => $"[{string.Join(", ", list.Cast<object>().Select(Format))}]",
        _ => System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
