using FastRnn.Graph;
using FastRnn.Import;

namespace FastRnn.Cli.Commands;

/// <summary>
/// <c>fastrnn run model.frnn --in NAME=x.npy … --out NAME=y.npy …</c> for a graph model: float32 or int64 inputs by
/// name, float32 outputs by name. State inputs not given start at zero.
/// </summary>
internal static class GraphRun
{
    public static int Run(CliContext context, FileInfo path, string[] ins, string[] outs, bool recurrentOptions)
    {
        if (recurrentOptions)
            throw CliErrors.Usage($"{path.Name} is a graph model: name its inputs and outputs with --in NAME=x.npy and --out NAME=y.npy (--input, --output, --h0 and --c0 are for recurrent models)");
        GraphModel model = Load(path);
        if (outs.Length == 0)
            throw CliErrors.Usage($"name at least one output with --out NAME=y.npy (outputs: {string.Join(", ", model.Outputs.Select(o => o.Name))})");
        using GraphSession session = model.CreateSession();
        var given = new HashSet<string>(StringComparer.Ordinal);
        foreach (string spec in ins)
        {
            (string name, FileInfo file) = Spec("--in", spec);
            int index = Index("--in", name, model.Inputs);
            GraphTensorInfo info = model.Inputs[index];
            if (!file.Exists)
                throw CliErrors.Missing($"--in {name}", file);
            int[] shape;
            try
            {
                if (info.ElementType == GraphElementType.Int64)
                {
                    (shape, long[] ids) = NpyInt64Array.Read(file.FullName);
                    CheckShape(name, shape, info);
                    session.SetInput(index, ids);
                }
                else
                {
                    TensorData x = NpyArray.Read(file.FullName);
                    shape = x.Shape;
                    CheckShape(name, shape, info);
                    session.SetInput(index, x.Data);
                }
            }
            catch (ImportException e)
            {
                throw CliErrors.BadData($"--in {name}: {e.Message}", e);
            }
            given.Add(name);
        }
        string[] missing = model.Inputs.Select(i => i.Name).Where(n => !given.Contains(n) && model.States.All(s => s.Input != n)).ToArray();
        if (missing.Length > 0)
            throw CliErrors.Usage($"give every input with --in NAME=x.npy; missing: {string.Join(", ", missing)}");
        session.Run();

        var written = new List<string>();
        foreach (string spec in outs)
        {
            (string name, FileInfo file) = Spec("--out", spec);
            GraphTensorInfo info = model.Outputs[Index("--out", name, model.Outputs)];
            NpyArray.Write(file.FullName, info.Shape.ToArray(), session.Output(name));
            written.Add($"{name} {info.ShapeText} to {file}");
        }
        context.Out.WriteLine($"ran the graph; wrote {string.Join(", ", written)}");
        return ExitCodes.Success;
    }

    /// <summary>Whether <paramref name="path"/> is an existing, valid .frnn graph model (anything else goes the recurrent way, which reports what is wrong).</summary>
    public static bool IsGraphFile(FileInfo path)
    {
        if (!path.Exists)
            return false;
        try
        {
            using var file = FastRnn.Format.FrnnFile.Open(path.FullName);
            return GraphModel.IsGraph(file);
        }
        catch (FastRnn.Format.FrnnFormatException)
        {
            return false;
        }
    }

    /// <summary>Loads a graph model named on the command line; every refusal names the file.</summary>
    public static GraphModel Load(FileInfo path)
    {
        if (!path.Exists)
            throw CliErrors.Missing("model", path);
        try
        {
            return GraphModel.Load(path.FullName);
        }
        catch (FastRnn.Format.FrnnFormatException e)
        {
            throw CliErrors.BadData($"{path}: {e.Message}", e);
        }
    }

    private static void CheckShape(string name, int[] shape, GraphTensorInfo info)
    {
        if (!shape.AsSpan().SequenceEqual(info.Shape.ToArray()))
            throw CliErrors.BadData($"--in {name}: the array has shape [{string.Join(", ", shape)}]; the model takes {info.ShapeText}");
    }

    private static (string Name, FileInfo File) Spec(string option, string text)
    {
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == text.Length - 1)
            throw CliErrors.Usage($"{option} {text}: expected NAME=file.npy");
        return (text[..eq], new FileInfo(text[(eq + 1)..]));
    }

    private static int Index(string option, string name, IReadOnlyList<GraphTensorInfo> values)
    {
        for (int i = 0; i < values.Count; i++)
        {
            if (values[i].Name == name)
                return i;
        }
        throw CliErrors.Usage($"{option} {name}: the model has no such {(option == "--in" ? "input" : "output")} ({string.Join(", ", values.Select(v => $"{v.Name} {v.ShapeText}"))})");
    }
}
