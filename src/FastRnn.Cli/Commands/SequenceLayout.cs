using FastRnn.Cli.Reporting;

namespace FastRnn.Cli.Commands;

/// <summary>
/// How <c>run</c>'s x and y are laid out: time-major (T, B, ·), one stream (T, ·), batch-first (B, T, ·), or ONNX's
/// own shapes (<see cref="OnnxLayout"/>: X (T, B, I) and Y (T, D, B, H_out) for layout 0, X (B, T, I) and
/// Y (B, T, D, H_out) for layout 1). The engine always takes time-major data, so other layouts are reordered on the
/// way in and out.
/// </summary>
internal sealed record SequenceLayout(int Steps, int Batch, bool Unbatched, bool BatchFirst, int? OnnxLayout = null)
{
    /// <summary>The layout of an input of <paramref name="shape"/>, or a message naming the shape the model expects.</summary>
    public static SequenceLayout Of(int[] shape, RnnConfig c, bool batchFirst, int? onnxLayout = null)
    {
        int i = c.InputSize;
        if (onnxLayout is { } onnx)
        {
            if (shape.Length != 3 || shape[^1] != i)
                throw CliErrors.BadData($"--input: shape {Shapes.Format(shape)} expected ONNX X of layout {onnx}: {(onnx == 0 ? $"(T, B, I) = (T, B, {i})" : $"(B, T, I) = (B, T, {i})")}");
            return Checked(onnx == 0
                ? new SequenceLayout(shape[0], shape[1], Unbatched: false, BatchFirst: false, onnx)
                : new SequenceLayout(shape[1], shape[0], Unbatched: false, BatchFirst: true, onnx), shape);
        }
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
        if (layout.Batch > RnnConfig.MaxBatchSize)
            throw CliErrors.BadData($"--input: shape {Shapes.Format(shape)} has {layout.Batch} streams; at most {RnnConfig.MaxBatchSize} are supported");
        return layout;
    }

    /// <summary>y's shape in the input's layout, for a model of <paramref name="c"/>.</summary>
    public int[] OutputShape(RnnConfig c) => OnnxLayout switch
    {
        0 => [Steps, c.Directions, Batch, c.OutputHiddenSize],
        1 => [Batch, Steps, c.Directions, c.OutputHiddenSize],
        _ => Unbatched ? [Steps, c.OutputSize] : BatchFirst ? [Batch, Steps, c.OutputSize] : [Steps, Batch, c.OutputSize],
    };

    /// <summary>The data as (T, B, ·) for the engine.</summary>
    public float[] ToTimeMajor(float[] data) => BatchFirst ? SwapLeadingAxes(data, Batch, Steps) : data;

    /// <summary>Time-major (T, B, D·H_out) output back in the input's layout.</summary>
    public float[] FromTimeMajor(float[] data, RnnConfig c)
    {
        if (OnnxLayout == 0)
        {
            // (T, B, D, H) -> (T, D, B, H): the (B, D) swap within each step.
            var result = new float[data.Length];
            int block = Batch * c.OutputSize;
            for (int t = 0; t < Steps; t++)
                SwapLeadingAxes(data.AsSpan(t * block, block), Batch, c.Directions, result.AsSpan(t * block, block));
            return result;
        }
        // Layout 1's (B, T, D, H) is batch-first's (B, T, D·H).
        return BatchFirst ? SwapLeadingAxes(data, Steps, Batch) : data;
    }

    /// <summary>(a, b, w) -> (b, a, w), copying rows of w: the whole of batch_first is this transpose.</summary>
    internal static float[] SwapLeadingAxes(float[] data, int a, int b)
    {
        var result = new float[data.Length];
        SwapLeadingAxes(data, a, b, result);
        return result;
    }

    private static void SwapLeadingAxes(ReadOnlySpan<float> data, int a, int b, Span<float> result)
    {
        int w = data.Length / (a * b);
        for (int i = 0; i < a; i++)
        {
            for (int j = 0; j < b; j++)
                data.Slice((i * b + j) * w, w).CopyTo(result.Slice((j * a + i) * w, w));
        }
    }
}
