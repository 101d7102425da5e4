using System.CommandLine;
using FastRnn.Cli.Reporting;
using FastRnn.Kernels;
using FastRnn.Layers;

namespace FastRnn.Cli.Commands;

/// <summary>
/// <c>fastrnn bench &lt;model.frnn&gt;</c>: median latency of one batch-B <c>Step</c>, per-step latency of a T-step
/// <c>Run</c>, and bytes allocated per step; with <c>--threads N</c>, N sessions on N threads at once; with <c>--intra-threads N</c>, N threads inside each session. Also the model's load time.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Argument<FileInfo>("model") { Description = "The .frnn model to measure." };
        var batch = new Option<int>("--batch", "-b") { Description = "Streams per session, B.", DefaultValueFactory = _ => 1 };
        var seqLen = new Option<int>("--seq-len", "-t") { Description = "Steps per Run, T.", DefaultValueFactory = _ => 100 };
        var steps = new Option<int>("--steps", "-n") { Description = "Timed Step calls; Run is repeated for about as many steps (at least 5 runs).", DefaultValueFactory = _ => 1000 };
        var threads = new Option<int>("--threads") { Description = "Sessions measured at once, one per thread (a session is single-threaded).", DefaultValueFactory = _ => 1 };
        var intraThreads = new Option<int>("--intra-threads") { Description = "Intra-op threads of each session, counting its caller: they split every large product (results identical to one thread).", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var command = new Command("bench", "Measure step latency, sequence throughput and allocations of a model on this machine.")
        {
            model, batch, seqLen, steps, threads, intraThreads, json,
        };
        command.SetAction(parse => CliErrors.Run(context, () => Bench(
            context, parse.GetValue(model)!,
            new BenchSettings(parse.GetValue(batch), parse.GetValue(seqLen), parse.GetValue(steps), parse.GetValue(threads), parse.GetValue(intraThreads)),
            parse.GetValue(json))));
        return command;
    }

    private static int Bench(CliContext context, FileInfo file, BenchSettings settings, bool json)
    {
        settings.Validate();
        // The load is timed as a user pays it: open, validate, checksum and repack the weights, on as many threads as
        // each session gets (a user who gives a session two cores can give its load two as well).
        var loadOptions = new ModelLoadOptions { Threads = Math.Min(settings.IntraThreads, ModelLoadOptions.MaxThreads) };
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        RnnModel model = ModelFiles.Load(file, loadOptions);
        double loadMilliseconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        BenchResult result = BenchRunner.Run(model, settings) with { LoadMilliseconds = loadMilliseconds, LoadThreads = loadOptions.Threads };
        if (json)
            WriteJson(context.Out, file, model.Config, settings, result);
        else
            WriteText(context.Out, file, model.Config, settings, result);
        return ExitCodes.Success;
    }

    private static void WriteJson(TextWriter output, FileInfo file, RnnConfig config, BenchSettings s, BenchResult r)
    {
        var model = ModelSummary.ToJson(config);
        model["file"] = file.Name;
        CliJson.Write(output, new Dictionary<string, object?>
        {
            ["model"] = model,
            ["kernel"] = KernelSelector.Active.ToString().ToLowerInvariant(),
            ["batch"] = s.Batch,
            ["seq_len"] = s.SeqLen,
            ["steps"] = s.Steps,
            ["runs"] = s.Runs,
            ["threads"] = s.Threads,
            ["intra_threads"] = s.IntraThreads,
            ["load_ms"] = r.LoadMilliseconds,
            ["load_threads"] = r.LoadThreads,
            ["step_us_median"] = r.StepMicroseconds,
            ["seq_step_us_median"] = r.SeqStepMicroseconds,
            ["allocated_bytes_per_step"] = r.AllocatedBytesPerStep,
            ["step_stream_steps_per_s"] = r.StepThroughput,
            ["seq_stream_steps_per_s"] = r.SeqThroughput,
            ["step_note"] = r.StepMicroseconds is null ? "not applicable: a bidirectional model has no Step (its backward direction needs the future)" : null,
            ["per_thread"] = r.PerThread.Select(t => new Dictionary<string, object?>
            {
                ["step_us_median"] = t.StepMicroseconds,
                ["seq_step_us_median"] = t.SeqStepMicroseconds,
                ["allocated_bytes_per_step"] = t.AllocatedBytesPerStep,
            }).ToList(),
        });
    }

    private static void WriteText(TextWriter output, FileInfo file, RnnConfig config, BenchSettings s, BenchResult r)
    {
        output.WriteLine($"model    {file.Name}: {ModelSummary.Describe(config)}");
        output.WriteLine($"kernel   {KernelSelector.Active.ToString().ToLowerInvariant()}; batch {s.Batch}; {s.Threads} thread(s), one session each, {s.IntraThreads} intra-op thread(s) per session");
        output.WriteLine($"load     {r.LoadMilliseconds:F2} ms to load and repack the model ({r.LoadThreads} thread(s))");
        output.WriteLine(r.StepMicroseconds is { } step
            ? $"step     median {step:F2} µs per Step of {s.Batch} stream(s) ({s.Steps} timed steps{PerThread(r, t => t.StepMicroseconds)})"
            : "step     not applicable: a bidirectional model has no Step (its backward direction needs the future)");
        output.WriteLine($"run      median {r.SeqStepMicroseconds:F2} µs per step of a {s.SeqLen}-step Run ({s.Runs} timed runs{PerThread(r, t => t.SeqStepMicroseconds)})");
        string stepRate = r.StepThroughput is { } rate ? $"Step {rate:N0}, " : "";
        output.WriteLine($"rate     {stepRate}Run {r.SeqThroughput:N0} stream-steps/s over all threads (wall clock)");
        output.WriteLine($"memory   {r.AllocatedBytesPerStep:0.##} bytes allocated per step (timed loops, every thread)");
    }

    private static string PerThread(BenchResult r, Func<ThreadResult, double?> value)
        => r.PerThread.Count == 1 ? "" : $"; per thread: {string.Join(", ", r.PerThread.Select(t => $"{value(t):F2}"))}";
}
