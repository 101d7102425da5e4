using FastRnn.Decoding;
using FastRnn.Streaming;

namespace FastRnn.Benchmarks;

/// <summary>The shipped date normaliser and the first R of its held-out dates, shared by the benchmarks that translate them.</summary>
internal sealed class HeldOutDates
{
    private HeldOutDates(Seq2SeqModel model, string[] inputs, string[] expected)
    {
        Model = model;
        Inputs = inputs;
        Expected = expected;
        Sources = [.. inputs.Select(model.EncodeText)];
    }

    /// <summary>The folder the benchmark project copies the model and the dates to.</summary>
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "models");

    public Seq2SeqModel Model { get; }

    public string[] Inputs { get; }

    /// <summary>Each date's right answer (ISO 8601), from the held-out file.</summary>
    public string[] Expected { get; }

    /// <summary>Each date as source ids.</summary>
    public int[][] Sources { get; }

    public static HeldOutDates Load(int count)
    {
        var model = Seq2SeqModel.Load(Path.Combine(Folder, "date-normalizer.frnn"));
        string[][] lines = [.. File.ReadLines(Path.Combine(Folder, "date-test.tsv")).Take(count).Select(line => line.Split('\t'))];
        return new HeldOutDates(model, [.. lines.Select(l => l[0])], [.. lines.Select(l => l[1])]);
    }

    /// <summary>Starts every source in <paramref name="pool"/>, steps until all have finished, closes them; returns the steps.</summary>
    public int DecodeTogether(Seq2SeqPool pool, DecodingOptions options, StreamHandle[] requests)
    {
        for (int r = 0; r < Sources.Length; r++)
            requests[r] = pool.Start(Sources[r], options);
        int steps = 0;
        while (pool.RunningCount > 0)
        {
            pool.Step();
            steps++;
        }
        foreach (StreamHandle request in requests)
            pool.Close(request);
        return steps;
    }
}
