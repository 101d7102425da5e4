using System.CommandLine;
using FastRnn.Cli.Reporting;
using FastRnn.Import;
using FastRnn.Layers;

namespace FastRnn.Cli.Commands;

/// <summary>
/// <c>fastrnn run &lt;model.frnn&gt; --input x.npy --output y.npy</c>: one forward pass over a whole sequence, with
/// PyTorch's shapes: x (T, B, I) or (T, I), or (B, T, I) with <c>--batch-first</c>; y (T, B, D·H_out) in x's layout;
/// h0/hn (L·D, B, H_out); c0/cn (L·D, B, H). With <c>--onnx-layout 0|1</c>, ONNX's shapes instead (<see cref="SequenceLayout"/>,
/// <see cref="StateShapes"/>); with <c>--sequence-lengths</c>, ONNX's <c>sequence_lens</c> (B) as int32 or int64.
/// </summary>
internal static class RunCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Argument<FileInfo>("model") { Description = "The .frnn model to run." };
        var input = new Option<FileInfo>("--input", "-i") { Description = "x: float32 .npy, (T, B, I), (T, I) for one stream, or (B, T, I) with --batch-first." };
        var output = new Option<FileInfo>("--output", "-o") { Description = "y: float32 .npy to write, (T, B, D·H_out) in the layout of x." };
        var graphIn = new Option<string[]>("--in") { Description = "Graph models: input NAME from a float32 or int64 .npy, NAME=x.npy (repeatable)." };
        var graphOut = new Option<string[]>("--out") { Description = "Graph models: write output NAME to a float32 .npy, NAME=y.npy (repeatable)." };
        var h0 = new Option<FileInfo?>("--h0") { Description = "Initial hidden state, (L·D, B, H_out); (L·D, H_out) also accepted for a 2-D x. Default zeros." };
        var c0 = new Option<FileInfo?>("--c0") { Description = "LSTM initial cell state, (L·D, B, H); (L·D, H) also accepted for a 2-D x. Default zeros." };
        var hn = new Option<FileInfo?>("--hn") { Description = "Write the final hidden state, (L·D, B, H_out), or (L·D, H_out) for a 2-D x." };
        var cn = new Option<FileInfo?>("--cn") { Description = "LSTM: write the final cell state, (L·D, B, H), or (L·D, H) for a 2-D x." };
        var batchFirst = new Option<bool>("--batch-first") { Description = "x and y are (B, T, ·), as with PyTorch's batch_first=True; states keep (L·D, B, ·)." };
        var lengths = new Option<FileInfo?>("--sequence-lengths")
        {
            Description = "Per-stream lengths, int32 or int64 .npy of shape (B): stream b uses its first lengths[b] steps (ONNX sequence_lens); "
                + "later outputs are zero and hn/cn are each stream's state at its own end. Replaces lengths the model holds.",
        };
        var onnxLayout = new Option<int?>("--onnx-layout")
        {
            Description = "Read and write ONNX's shapes: layout 0 x (T, B, I), y (T, D, B, H_out), states (L·D, B, ·); "
                + "layout 1 x (B, T, I), y (B, T, D, H_out), states (B, L·D, ·).",
        };
        onnxLayout.AcceptOnlyFromAmong("0", "1");
        var command = new Command("run", "Run a model over a whole sequence: .npy in, .npy out, with PyTorch's (or ONNX's) shape conventions; graph models by named inputs and outputs.")
        {
            model, input, output, h0, c0, hn, cn, batchFirst, lengths, onnxLayout, graphIn, graphOut,
        };
        command.SetAction(parse => CliErrors.Run(context, () => GraphRun.IsGraphFile(parse.GetValue(model)!)
            ? GraphRun.Run(context, parse.GetValue(model)!, parse.GetValue(graphIn) ?? [], parse.GetValue(graphOut) ?? [],
                parse.GetValue(input) is not null || parse.GetValue(output) is not null || parse.GetValue(h0) is not null || parse.GetValue(c0) is not null)
            : (parse.GetValue(graphIn) ?? []).Length + (parse.GetValue(graphOut) ?? []).Length > 0
                ? throw CliErrors.Usage("--in and --out are for graph models; a recurrent model takes --input and --output")
                : Run(context, new RunRequest(
                    parse.GetValue(model)!,
                    parse.GetValue(input) ?? throw CliErrors.Usage("Option '--input' is required."),
                    parse.GetValue(output) ?? throw CliErrors.Usage("Option '--output' is required."),
                    parse.GetValue(h0), parse.GetValue(c0), parse.GetValue(hn), parse.GetValue(cn), parse.GetValue(batchFirst),
                    parse.GetValue(lengths), parse.GetValue(onnxLayout)))));
        return command;
    }

    private sealed record RunRequest(FileInfo Model, FileInfo Input, FileInfo Output, FileInfo? H0, FileInfo? C0, FileInfo? Hn, FileInfo? Cn, bool BatchFirst,
        FileInfo? SequenceLengths, int? OnnxLayout);

    private static int Run(CliContext context, RunRequest r)
    {
        CheckDistinctOutputs(r);
        if (r.OnnxLayout is not null && r.BatchFirst)
            throw CliErrors.Usage("--batch-first and --onnx-layout both say how x is laid out; give one (ONNX layout 1 is batch-major)");
        RnnModel model = ModelFiles.Load(r.Model);
        RnnConfig c = model.Config;
        if (c.Kind != RecurrentKind.Lstm && (r.C0 is not null || r.Cn is not null))
            throw CliErrors.Usage($"{(r.C0 is not null ? "--c0" : "--cn")}: a {c.Kind.ToString().ToUpperInvariant()} has no cell state; --c0 and --cn are for LSTMs");

        TensorData x = ReadArray("--input", r.Input);
        SequenceLayout layout = SequenceLayout.Of(x.Shape, c, r.BatchFirst, r.OnnxLayout);
        var states = new StateShapes(c, layout.Batch, layout.Unbatched, r.OnnxLayout);
        float[]? h0 = r.H0 is null ? null : states.CheckHidden("--h0", ReadArray("--h0", r.H0));
        float[]? c0 = r.C0 is null ? null : states.CheckCell("--c0", ReadArray("--c0", r.C0));
        int[]? lengths = r.SequenceLengths is null ? null : ReadLengths(r.SequenceLengths, layout);
        if (lengths is null && c.SequenceLengths is { } constant && constant.Max() > layout.Steps)
            throw CliErrors.BadData($"--input: {layout.Steps} steps, but the model's constant sequence lengths reach {constant.Max()}; give a longer x or --sequence-lengths");

        long outputLength = (long)layout.Steps * layout.Batch * c.OutputSize;
        if (outputLength > Array.MaxLength)
            throw CliErrors.BadData($"--input: shape {Shapes.Format(x.Shape)} would give an output of {outputLength:N0} floats, more than fit in one array");
        using RnnSession session = CreateSession(model, layout);
        if (h0 is not null || c0 is not null)
            session.SetState(h0 ?? session.HiddenState.ToArray(), c0 ?? session.CellState.ToArray()); // the other from the model's initial state

        var y = new float[outputLength];
        if (lengths is null)
            session.Run(layout.ToTimeMajor(x.Data), y); // with the model's own sequence lengths, if it has any
        else
            session.Run(layout.ToTimeMajor(x.Data), y, lengths);
        var hFinal = new float[session.HiddenStateLength];
        var cFinal = new float[session.CellStateLength];
        session.GetState(hFinal, cFinal);

        var written = new List<string>();
        Write("--output", r.Output, layout.OutputShape(c), layout.FromTimeMajor(y, c), written);
        if (r.Hn is not null)
            Write("--hn", r.Hn, states.Hidden, states.FromEngine(hFinal), written);
        if (r.Cn is not null)
            Write("--cn", r.Cn, states.Cell, states.FromEngine(cFinal), written);
        context.Out.WriteLine($"ran {layout.Steps} step(s) of {layout.Batch} stream(s); wrote {string.Join(", ", written)}");
        return ExitCodes.Success;
    }

    private static void CheckDistinctOutputs(RunRequest r)
    {
        var outputs = new (string Option, FileInfo? File)[] { ("--output", r.Output), ("--hn", r.Hn), ("--cn", r.Cn) }
            .Where(o => o.File is not null).ToArray();
        for (int i = 0; i < outputs.Length; i++)
        {
            for (int j = i + 1; j < outputs.Length; j++)
            {
                if (string.Equals(outputs[i].File!.FullName, outputs[j].File!.FullName, StringComparison.Ordinal))
                    throw CliErrors.Usage($"{outputs[i].Option} and {outputs[j].Option} name the same file, {outputs[i].File}");
            }
        }
    }

    private static RnnSession CreateSession(RnnModel model, SequenceLayout layout)
    {
        try
        {
            // One piece: the whole sequence is known, and a bidirectional model needs it at once anyway.
            return model.CreateSession(layout.Batch, maxSequenceLength: layout.Steps);
        }
        catch (ArgumentException e)
        {
            throw CliErrors.BadData($"--input: {layout.Steps} steps of {layout.Batch} streams: {e.Message}", e);
        }
    }

    /// <summary>The lengths in <paramref name="file"/>: (B) int32 or int64, each in 0..T.</summary>
    private static int[] ReadLengths(FileInfo file, SequenceLayout layout)
    {
        const string option = "--sequence-lengths";
        if (!file.Exists)
            throw CliErrors.Missing(option, file);
        (int[] shape, int[] lengths) = Read(option, () => NpyIntegerArray.ReadInt32(file.FullName));
        if (shape.Length != 1 || shape[0] != layout.Batch)
            throw CliErrors.BadData($"{option}: shape {Shapes.Format(shape)} expected ({layout.Batch}) = (B), one length per stream of --input");
        int bad = Array.FindIndex(lengths, n => n < 0 || n > layout.Steps);
        if (bad >= 0)
            throw CliErrors.BadData($"{option}: stream {bad} has length {lengths[bad]}; expected 0..{layout.Steps} (T of --input)");
        return lengths;
    }

    private static T Read<T>(string option, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (ImportException e)
        {
            throw CliErrors.BadData($"{option}: {e.Message}", e);
        }
    }

    /// <summary>Reads a float32 C-order .npy array; every refusal names the option and the file.</summary>
    internal static TensorData ReadArray(string option, FileInfo file)
    {
        if (!file.Exists)
            throw CliErrors.Missing(option, file);
        return Read(option, () => NpyArray.Read(file.FullName));
    }

    private static void Write(string option, FileInfo file, int[] shape, float[] data, List<string> written)
    {
        try
        {
            NpyArray.Write(file.FullName, shape, data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{option}: cannot write {file}: {e.Message}", e);
        }
        written.Add($"{file} {Shapes.Format(shape)}");
    }
}
