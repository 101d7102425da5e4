using FastRnn.Cli.Reporting;
using FastRnn.Layers;

namespace FastRnn.Cli.Commands;

/// <summary>
/// How <c>run</c>'s x and y are laid out: time-major (T, B, ·), one stream (T, ·), or batch-first (B, T, ·). The engine
/// always takes time-major data, so batch-first arrays are reordered on the way in and out.
/// </summary>
internal sealed record SequenceLayout(int Steps, int Batch, bool Unbatched, bool BatchFirst)
{
    /// <summary>The layout of an input of <paramref name="shape"/>, or a message naming the shape the model expects.</summary>
    public static SequenceLayout Of(int[] shape, RnnConfig c, bool batchFirst)
    {
        int i = c.InputSize;
        string expected = batchFirst
            ? $"(B, T, I) = (B, T, {i}) or (T, I) = (T, {i})"
            : $"(T, B, I) = (T, B, {i}) or (T, I) = (T, {i})";
        if (shape.Length is not (2 or 3) || shape[^1] != i)
            throw CliErrors.BadData($"--input: shape {Shapes.Format(shape)} expected {expected}");
        if (shape.Length == 2)
            return Checked(new SequenceLayout(shape[0], 1, Unbatched: true, BatchFirst: false), shape);
        return Checked(batchFirst
            ? new SequenceLayout(shape[1], shape[0], Unbatched: false, BatchFirst: true)
            : new SequenceLayout(shape[0], shape[1], Unbatched: false, BatchFirst: false), shape);
    }

    private static SequenceLayout Checked(SequenceLayout layout, int[] shape)
    {
        if (layout.Steps < 1)
            throw CliErrors.BadData($"--input: shape {Shapes.Format(shape)} has no time steps (T = 0)");
        if (layout.Batch < 1)
            throw CliErrors.BadData($"--input: shape {Shapes.Format(shape)} has no streams (B = 0)");
        if (layout.Batch > 65536)
            throw CliErrors.BadData($"--input: shape {Shapes.Format(shape)} has {layout.Batch} streams; at most 65536 are supported");
        return layout;
    }

    /// <summary>y's shape for <paramref name="width"/> = D·H_out features per step, in the input's layout.</summary>
    public int[] OutputShape(int width)
        => Unbatched ? [Steps, width] : BatchFirst ? [Batch, Steps, width] : [Steps, Batch, width];

    /// <summary>The data as (T, B, ·) for the engine.</summary>
    public float[] ToTimeMajor(float[] data) => BatchFirst ? SwapLeadingAxes(data, Batch, Steps) : data;

    /// <summary>Time-major (T, B, ·) output back in the input's layout.</summary>
    public float[] FromTimeMajor(float[] data) => BatchFirst ? SwapLeadingAxes(data, Steps, Batch) : data;

    // (a, b, w) -> (b, a, w), copying rows of w: the whole of batch_first is this transpose.
    private static float[] SwapLeadingAxes(float[] data, int a, int b)
    {
        int w = data.Length / (a * b);
        var result = new float[data.Length];
        for (int i = 0; i < a; i++)
        {
            for (int j = 0; j < b; j++)
                data.AsSpan((i * b + j) * w, w).CopyTo(result.AsSpan((j * a + i) * w, w));
        }
        return result;
    }
}
