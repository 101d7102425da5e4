using System.Globalization;
using FastRnn.Format;
using FastRnn.Import;

namespace FastRnn.Cli.Commands;

/// <summary>
/// <c>fastrnn convert model.onnx -o model.frnn [--fix NAME=VALUE] [--shape NAME=D0xD1…] [--state IN=OUT]</c> for a
/// whole ONNX graph: the graph importer (<see cref="OnnxGraphImporter"/>), then the .frnn graph model.
/// </summary>
internal static class GraphConvert
{
    public static int Run(CliContext context, FileInfo input, FileInfo output, string[] fix, string[] shape, string[] state)
    {
        if (!input.Exists)
            throw CliErrors.Missing("input", input);
        if (output.Directory is { Exists: false } directory)
            throw new DirectoryNotFoundException($"--output: the directory {directory} does not exist");
        var options = new GraphImportOptions
        {
            Fixed = fix.Select(f => Pair("--fix", f, "NAME=VALUE")).ToDictionary(p => p.Name, p => Numbers("--fix", p.Name, p.Value)),
            Shapes = shape.Select(s => Pair("--shape", s, "NAME=D0xD1x…")).ToDictionary(p => p.Name, p => Dims(p.Name, p.Value)),
            States = state.Select(s => Pair("--state", s, "INPUT=OUTPUT")).ToList(),
        };
        GraphImportResult result = OnnxGraphImporter.Import(input.FullName, options);
        result.Model.Save(output.FullName);

        long parameters, bytes;
        using (FrnnFile file = ModelFiles.Open(output))
        {
            parameters = file.Tensors.Sum(t => t.ElementCount);
            bytes = new FileInfo(output.FullName).Length;
        }
        string inputs = string.Join(", ", result.Model.Inputs.Select(i => $"{i.Name} {i.ShapeText}"));
        string outputs = string.Join(", ", result.Model.Outputs.Select(o => $"{o.Name} {o.ShapeText}"));
        context.Out.WriteLine($"wrote {output}: graph of {result.Model.DescribePlan().Count} nodes; inputs {inputs}; outputs {outputs}; {parameters:N0} parameters, {bytes:N0} bytes");
        foreach (string note in result.Notes)
            context.Out.WriteLine($"  {note}");
        return ExitCodes.Success;
    }

    private static (string Name, string Value) Pair(string option, string text, string form)
    {
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == text.Length - 1)
            throw CliErrors.Usage($"{option} {text}: expected {form}");
        return (text[..eq], text[(eq + 1)..]);
    }

    private static double[] Numbers(string option, string name, string text)
        => text.Split(',').Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d
            : throw CliErrors.Usage($"{option} {name}={text}: '{v}' is not a number")).ToArray();

    private static int[] Dims(string name, string text)
        => text.Split('x').Select(v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int d) && d > 0 ? d
            : throw CliErrors.Usage($"--shape {name}={text}: '{v}' is not a positive dimension (write e.g. 1x576)")).ToArray();
}
