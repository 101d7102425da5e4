using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace FastRnn.Runtime;

/// <summary>
/// The opt-in check of <see cref="RnnSessionOptions.ValidateInputs"/>: every input value a session is about to consume
/// must be finite. One NaN or ±∞ in a frame makes that stream's state NaN for every later step (the recurrence never
/// forgets it), so the check throws before the step runs, naming the stream, the step and the feature.
/// </summary>
/// <remarks>
/// A vectorised pass that allocates nothing; only a failing frame is searched value by value, to name the place.
/// |x| ≤ float.MaxValue is false exactly for NaN and ±∞.
/// </remarks>
internal sealed class FiniteInputCheck(int batchSize, int inputSize)
{
    private static readonly Vector<float> Largest = new(float.MaxValue);

    /// <summary>Checks one <c>Step</c>'s input, (B, I).</summary>
    // Compiled optimised on first use, as the session's own hot path is: tiering it up mid-stream would allocate.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Step(ReadOnlySpan<float> input)
    {
        if (!AllFinite(input))
            throw NotFinite(input, 0, step: false);
    }

    /// <summary>
    /// Checks a <c>Run</c>'s input, (T, B, I), already validated by the session: for streams given a length (0..T), only
    /// the steps it covers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(ReadOnlySpan<float> input, ReadOnlySpan<int> sequenceLengths)
    {
        int frame = batchSize * inputSize;
        if (sequenceLengths.IsEmpty)
        {
            if (!AllFinite(input))
                throw NotFinite(input, 0, step: true);
            return;
        }
        for (int b = 0; b < batchSize; b++)
        {
            for (int t = 0; t < sequenceLengths[b]; t++)
            {
                int start = t * frame + b * inputSize;
                if (!AllFinite(input.Slice(start, inputSize)))
                    throw NotFinite(input, start, step: true);
            }
        }
    }

    /// <summary>
    /// Checks one stream's frame before a stream pool takes it (<c>validateInputs</c> of <c>StreamPool</c>), naming the
    /// pool's stream and the feature.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Frame(ReadOnlySpan<float> frame, int stream)
    {
        if (AllFinite(frame))
            return;
        int at = FirstNotFinite(frame, 0);
        throw new ArgumentException(
            $"frame[i = {at}] is {frame[at].ToString(CultureInfo.InvariantCulture)}: stream {stream}'s frame is not finite, and would make that stream's state NaN for every later tick (the pool validates inputs); the frame was not taken",
            nameof(frame));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ReadOnlySpan<Vector<float>> vectors = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(values);
            foreach (Vector<float> v in vectors)
            {
                if (!Vector.LessThanOrEqualAll(Vector.Abs(v), Largest))
                    return false;
            }
            i = vectors.Length * Vector<float>.Count;
        }
        for (; i < values.Length; i++)
        {
            if (!(MathF.Abs(values[i]) <= float.MaxValue))
                return false;
        }
        return true;
    }

    // Names the first value from flat index `start` on that is not finite: its step (for a Run), stream and feature.
    private ArgumentException NotFinite(ReadOnlySpan<float> input, int start, bool step)
    {
        int at = FirstNotFinite(input, start);
        int frame = batchSize * inputSize;
        int t = at / frame, b = at % frame / inputSize, feature = at % inputSize;
        string value = input[at].ToString(CultureInfo.InvariantCulture);
        string where = step ? $"input[t = {t}, b = {b}, i = {feature}]" : $"input[b = {b}, i = {feature}]";
        string when = step ? $"step {t}" : "this step";
        return new ArgumentException(
            $"{where} is {value}: stream {b} at {when} is not finite, and would make that stream's state NaN for every later step (RnnSessionOptions.ValidateInputs)",
            nameof(input));
    }

    private static int FirstNotFinite(ReadOnlySpan<float> values, int start)
    {
        int at = start;
        while (at < values.Length && MathF.Abs(values[at]) <= float.MaxValue)
            at++;
        return at;
    }
}
