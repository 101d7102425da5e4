using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FastRnn.Format;

namespace FastRnn.Cli.Commands;

/// <summary><c>fastrnn inspect &lt;model.frnn&gt; [--json]</c>: metadata, every tensor, checksum status.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "The .frnn file to describe." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var command = new Command("inspect", "Show a model file's architecture, tensors and checksum status.") { model, json };
        command.SetAction(parse => CliErrors.Run(() => Inspect(parse.GetValue(model)!, parse.GetValue(json))));
        return command;
    }

    private static int Inspect(FileInfo path, bool json)
    {
        // Open validates the structure and the CRC-32C checksum before returning: reaching the output means both passed.
        using var file = FrnnFile.Open(path.FullName);
        if (json)
        {
            var document = new
            {
                file = path.Name,
                format_version = file.FormatVersion,
                checksum = "verified",
                metadata = file.Metadata.ToDictionary(m => m.Key, m => m.Value),
                tensors = file.Tensors.Select(t => new { name = t.Name, dtype = t.DType.ToString().ToLowerInvariant(), shape = t.Shape, bytes = t.ByteLength }),
            };
            Console.WriteLine(JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Success;
        }

        Console.WriteLine($"{path.Name}: .frnn format version {file.FormatVersion}, checksum verified (CRC-32C)");
        Console.WriteLine("metadata:");
        foreach (var (key, value) in file.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
            Console.WriteLine($"  {key,-28} {Format(value)}");
        Console.WriteLine($"tensors ({file.Tensors.Count}):");
        long total = 0;
        foreach (FrnnTensorInfo t in file.Tensors)
        {
            Console.WriteLine($"  {t.Name,-28} {t.DType.ToString().ToLowerInvariant(),-8} ({string.Join(", ", t.Shape)}){"",-4} {t.ByteLength,12:N0} bytes");
            total += t.ByteLength;
        }
        Console.WriteLine($"  {"total",-28} {"",-8} {total,18:N0} bytes");
        return ExitCodes.Success;
    }

    private static string Format(object value) => value switch
    {
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        System.Collections.IEnumerable list => $"[{string.Join(", ", list.Cast<object>().Select(Format))}]",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
