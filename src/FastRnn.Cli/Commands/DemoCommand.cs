using System.CommandLine;
using System.Diagnostics;
using FastRnn.Kernels;
using FastRnn.Layers;

namespace FastRnn.Cli.Commands;

/// <summary>
/// <c>fastrnn demo</c>: streams a signal through the shipped next-sample predictor one sample at a time and reports
/// what it predicted, how fast, and how many bytes the stream allocated.
/// </summary>
internal static class DemoCommand
{
    private const string DefaultModel = "sine-lstm.frnn";

    public static Command Create(CliContext context)
    {
        var model = new Option<FileInfo?>("--model") { Description = $"Model file (default: weights/{DefaultModel})." };
        var steps = new Option<int>("--steps") { Description = "Samples to stream.", DefaultValueFactory = _ => 2000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the demo signal's noise.", DefaultValueFactory = _ => 7 };
        var command = new Command("demo", "Stream a noisy signal through the shipped LSTM sample by sample, predicting the next sample.")
        {
            model, steps, seed,
        };
        command.SetAction(parse => CliErrors.Run(context, () => Demo(context.Out, parse.GetValue(model), parse.GetValue(steps), parse.GetValue(seed))));
        return command;
    }

    private static int Demo(TextWriter output, FileInfo? modelFile, int steps, int seed)
    {
        if (steps < 2)
            throw new ArgumentException($"--steps must be at least 2, got {steps}");
        string path = modelFile?.FullName ?? ShippedModels.Find(DefaultModel);
        var load = Stopwatch.StartNew();
        RnnModel model = RnnModel.Load(path);
        load.Stop();
        RnnConfig c = model.Config;
        if (c.InputSize != 1 || c.OutputSize != 1)
            throw new ArgumentException($"the demo streams a one-dimensional signal and needs a model with input and output size 1; {Path.GetFileName(path)} has {c.InputSize} and {c.OutputSize}");

        output.WriteLine($"model   {Path.GetFileName(path)}: {c.Kind}, {c.NumLayers} layer(s), hidden {c.HiddenSize}, proj {c.ProjSize}; loaded in {load.Elapsed.TotalMilliseconds:F1} ms");
        output.WriteLine($"kernel  {KernelSelector.Active} (force another with {KernelSelector.EnvironmentVariable}=scalar|vector128|avx2|avx512)");
        output.WriteLine();
        output.WriteLine("     t    x[t]   predicted x[t+1]   actual x[t+1]");

        float[] signal = DemoSignal.Generate(steps + 1, seed);
        using RnnSession session = model.CreateSession();
        var input = new float[1];
        var prediction = new float[1];
        var latencies = new double[steps];
        double squaredError = 0, naiveSquaredError = 0;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < steps; t++)
        {
            input[0] = signal[t];
            long start = Stopwatch.GetTimestamp();
            session.Step(input, prediction);
            latencies[t] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;

            double error = prediction[0] - signal[t + 1], naive = signal[t] - signal[t + 1];
            squaredError += error * error;
            naiveSquaredError += naive * naive;
            if (t % (steps / 20 + 1) == 0 || t == steps - 1)
                output.WriteLine($"{t,6} {signal[t],7:F3}   {prediction[0],16:F3}   {signal[t + 1],13:F3}   {Bar(prediction[0], signal[t + 1])}");
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        // Only the console lines allocate in that loop; the engine's own steps are measured on their own below.
        allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < steps; t++)
        {
            input[0] = signal[t];
            session.Step(input, prediction);
        }
        long engineAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        Array.Sort(latencies);
        output.WriteLine();
        output.WriteLine($"rmse    model {Math.Sqrt(squaredError / steps):F4}   repeat-last-sample baseline {Math.Sqrt(naiveSquaredError / steps):F4}");
        output.WriteLine($"latency median {latencies[steps / 2]:F2} µs per step, p99 {latencies[(int)(steps * 0.99)]:F2} µs (includes the first, cold steps)");
        output.WriteLine($"memory  {engineAllocated} bytes allocated by {steps} engine steps (loop with console output: {allocated} bytes)");
        return ExitCodes.Success;
    }

    // A two-row gauge: '*' where the prediction falls, '|' where the true value is, on [-1, 1].
    private static string Bar(float predicted, float actual)
    {
        const int width = 41;
        var row = new char[width];
        Array.Fill(row, ' ');
        row[width / 2] = '·';
        row[Column(actual)] = '|';
        row[Column(predicted)] = '*';
        return new string(row);

        static int Column(float v) => Math.Clamp((int)MathF.Round((v + 1) / 2 * (width - 1)), 0, width - 1);
    }
}
