using FastRnn.Format;
using FastRnn.Graph;
using FastRnn.Cli.Reporting;

namespace FastRnn.Cli.Commands;

/// <summary><c>fastrnn inspect</c> of a graph model: inputs, outputs, state pairs, and the compiled plan node by node.</summary>
internal static class GraphInspect
{
    public static int Write(TextWriter output, FileInfo path, FrnnFile file, bool json)
    {
        GraphModel model;
        try
        {
            model = GraphModel.Load(file);
        }
        catch (FrnnFormatException e)
        {
            throw CliErrors.BadData($"{path}: {e.Message}", e);
        }
        long parameters = file.Tensors.Sum(t => t.ElementCount);
        if (json)
        {
            CliJson.Write(output, new Dictionary<string, object?>
            {
                ["file"] = path.Name,
                ["format_version"] = file.FormatVersion,
                ["checksum"] = "verified",
                ["architecture"] = "graph",
                ["inputs"] = model.Inputs.Select(Info).ToList(),
                ["outputs"] = model.Outputs.Select(Info).ToList(),
                ["states"] = model.States.Select(s => new Dictionary<string, object> { ["input"] = s.Input, ["output"] = s.Output }).ToList(),
                ["plan"] = model.DescribePlan().ToArray(),
                ["arena_floats"] = model.ArenaLength,
                ["parameters"] = parameters,
            });
            return ExitCodes.Success;
        }
        output.WriteLine($"{path.Name}: .frnn format version {file.FormatVersion}, checksum verified (CRC-32C)");
        output.WriteLine($"graph model: {parameters:N0} parameters in {file.Tensors.Count} constants");
        foreach (GraphTensorInfo i in model.Inputs)
            output.WriteLine($"  input  {i.Name} {i.ElementType.ToString().ToLowerInvariant()} {i.ShapeText}");
        foreach (GraphTensorInfo o in model.Outputs)
            output.WriteLine($"  output {o.Name} {o.ShapeText}");
        foreach (GraphStatePair s in model.States)
            output.WriteLine($"  state  {s.Output} -> {s.Input} on the next call");
        output.WriteLine($"plan: {model.DescribePlan().Count} nodes, one arena of {model.ArenaLength:N0} floats ({model.ArenaLength * 4L:N0} bytes) shared by liveness");
        output.WriteLine("   #  operator     node  -> output shape@arena offset  kernel");
        foreach (string line in model.DescribePlan())
            output.WriteLine(line);
        return ExitCodes.Success;
    }

    private static Dictionary<string, object> Info(GraphTensorInfo t) => new()
    {
        ["name"] = t.Name,
        ["dtype"] = t.ElementType.ToString().ToLowerInvariant(),
        ["shape"] = t.Shape.ToArray(),
    };
}
