using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FastRnn.Cli.Reporting;
using FastRnn.Graph;

namespace FastRnn.Cli.Commands;

/// <summary>
/// <c>fastrnn vad audio.wav --model vad.frnn</c>: streams a 16 kHz mono 16-bit WAV through a voice-activity graph
/// model (Silero VAD's interface: one audio input, one probability output, a carried state) in chunks, each preceded
/// by the previous samples as context as Silero's own wrappers do, and prints the speech segments.
/// </summary>
internal static class VadCommand
{
    // Silero's get_speech_timestamps ends speech only when the probability falls below threshold − 0.15, so a
    // probability hovering at the threshold does not split one utterance into many.
    private const float Hysteresis = 0.15f;

    public static Command Create(CliContext context)
    {
        var audio = new Argument<FileInfo>("audio") { Description = "A 16 kHz mono 16-bit PCM WAV file." };
        var model = new Option<FileInfo>("--model", "-m") { Description = "The VAD graph model (.frnn), e.g. Silero VAD v5 converted with --fix sr=16000 --shape input=1x576.", Required = true };
        var chunk = new Option<int>("--chunk") { Description = "Samples per chunk.", DefaultValueFactory = _ => 512 };
        var contextSamples = new Option<int>("--context") { Description = "Samples of the previous chunk put before each chunk.", DefaultValueFactory = _ => 64 };
        var threshold = new Option<float>("--threshold") { Description = "Speech starts when the probability reaches this.", DefaultValueFactory = _ => 0.5f };
        var probabilities = new Option<FileInfo?>("--probabilities") { Description = "Write one speech probability per chunk, one per line." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: chunks, chunk_us_median, segments." };
        var command = new Command("vad", "Find speech in a WAV file with a voice-activity graph model (Silero VAD's interface).")
        {
            audio, model, chunk, contextSamples, threshold, probabilities, json,
        };
        command.SetAction(parse => CliErrors.Run(context, () => Run(context, parse.GetValue(audio)!, parse.GetValue(model)!, parse.GetValue(chunk),
            parse.GetValue(contextSamples), parse.GetValue(threshold), parse.GetValue(probabilities), parse.GetValue(json))));
        return command;
    }

    private static int Run(CliContext context, FileInfo audio, FileInfo modelFile, int chunk, int contextLength, float threshold, FileInfo? probabilitiesFile, bool json)
    {
        if (chunk < 1 || contextLength < 0)
            throw CliErrors.Usage($"--chunk {chunk} --context {contextLength}: the chunk must be positive and the context not negative");
        if (!(threshold > 0f && threshold < 1f))
            throw CliErrors.Usage($"--threshold {threshold.ToString(CultureInfo.InvariantCulture)}: expected a probability between 0 and 1");
        GraphModel model = GraphRun.Load(modelFile);
        using GraphSession session = model.CreateSession();
        GraphTensorInfo[] inputs = model.Inputs.Where(i => model.States.All(s => s.Input != i.Name)).ToArray();
        GraphTensorInfo[] outputs = model.Outputs.Where(o => model.States.All(s => s.Output != o.Name)).ToArray();
        if (inputs.Length != 1 || outputs.Length != 1 || inputs[0].ElementType != GraphElementType.Float32)
            throw CliErrors.Usage($"--model {modelFile.Name} has inputs {string.Join(", ", inputs.Select(i => i.Name))} and outputs {string.Join(", ", outputs.Select(o => o.Name))} besides its state; a VAD takes audio and gives one probability");
        GraphTensorInfo input = inputs[0];
        if (input.Length != chunk + contextLength)
            throw CliErrors.Usage($"--model takes '{input.Name}' {input.ShapeText}, {input.Length} samples; --context {contextLength} + --chunk {chunk} = {contextLength + chunk}");
        (float[] samples, int rate, int channels) = WavFile.Read(audio);
        if (rate != 16000 || channels != 1)
            throw CliErrors.BadData($"audio: {audio} is {rate} Hz with {channels} channel(s); the model takes 16 kHz mono");

        int chunks = (samples.Length + chunk - 1) / chunk;
        var window = new float[contextLength + chunk]; // the context (zeros before the first chunk), then the chunk
        var probability = new float[outputs[0].Length];
        var speech = new float[chunks];
        var ticks = new long[chunks];
        for (int c = 0; c < chunks; c++)
        {
            window.AsSpan(chunk, contextLength).CopyTo(window); // the last samples of the previous window become the context
            int start = c * chunk, count = Math.Min(chunk, samples.Length - start);
            samples.AsSpan(start, count).CopyTo(window.AsSpan(contextLength));
            window.AsSpan(contextLength + count).Clear(); // the last chunk is padded with silence
            long before = Stopwatch.GetTimestamp();
            session.Run(window, probability);
            ticks[c] = Stopwatch.GetTimestamp() - before;
            speech[c] = probability[0];
        }

        if (probabilitiesFile is not null)
            File.WriteAllLines(probabilitiesFile.FullName, speech.Select(p => p.ToString("R", CultureInfo.InvariantCulture)));
        List<(double Start, double End)> segments = Segments(speech, threshold, chunk, samples.Length);
        double medianUs = chunks == 0 ? 0 : ticks.Order().ElementAt(chunks / 2) * 1e6 / Stopwatch.Frequency;
        if (json)
        {
            CliJson.Write(context.Out, new Dictionary<string, object?>
            {
                ["chunks"] = chunks,
                ["chunk_us_median"] = Math.Round(medianUs, 2),
                ["segments"] = segments.Select(s => new Dictionary<string, double> { ["start"] = s.Start, ["end"] = s.End }).ToList(),
            });
            return ExitCodes.Success;
        }
        foreach ((double s, double e) in segments)
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s:F3}-{e:F3}"));
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{segments.Count} speech segment(s) in {chunks} chunks of {chunk} samples; median {medianUs:F1} us per chunk"));
        return ExitCodes.Success;
    }

    /// <summary>Speech from the first chunk at or above the threshold to the first below threshold − hysteresis, in seconds.</summary>
    internal static List<(double Start, double End)> Segments(float[] probabilities, float threshold, int chunk, int totalSamples)
    {
        var result = new List<(double, double)>();
        int? start = null;
        for (int c = 0; c < probabilities.Length; c++)
        {
            if (start is null && probabilities[c] >= threshold)
                start = c;
            else if (start is { } s && probabilities[c] < threshold - Hysteresis)
            {
                result.Add((s * chunk / 16000.0, c * chunk / 16000.0));
                start = null;
            }
        }
        if (start is { } open)
            result.Add((open * chunk / 16000.0, totalSamples / 16000.0));
        return result;
    }
}
