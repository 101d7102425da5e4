namespace FastRnn.Runtime;

/// <summary>
/// The one place each kind of caller error is thrown from, so every message names the argument, what was expected
/// and what was given.
/// </summary>
internal static class Errors
{
    // Callers test the length themselves and call this only on a mismatch: building the layout text eagerly would
    // allocate on every step.
    public static ArgumentException Length(string name, int actual, long expected, string layout)
        => new($"{name} has {actual} floats; expected {expected} = {layout}", name);

    public static ArgumentException SequenceLength(string name, int actual, int perStep, string layout)
        => new($"{name} has {actual} floats, which is not a positive whole number of time steps of {perStep} floats ({layout})", name);

    public static ArgumentException SequenceTooLong(int steps, int maxSequenceLength, string kind)
        => new($"{kind} Run needs the whole sequence at once: {steps} steps exceed the session's MaxSequenceLength of {maxSequenceLength}; create the session with a larger maxSequenceLength");

    public static InvalidOperationException StepNeedsFuture(bool bidirectional)
        => new(bidirectional
            ? "Step is not defined for a bidirectional model: its backward direction needs the future of the sequence; use Run"
            : "Step is not defined for a reverse model: it reads the sequence from its end; use Run");

    public static ArgumentException InvalidConfig(string field, object value, string requirement)
        => new($"model configuration: {field} = {value} is invalid; {requirement}");

    public static ArgumentException TensorLength(string tensor, int actual, string expectedShape, long expected)
        => new($"tensor '{tensor}' has {actual} floats; expected shape {expectedShape} = {expected} floats");

    public static ArgumentException InitialStateLength(string tensor, int actual, long row)
        => new($"tensor '{tensor}' has {actual} floats; expected (L·D, B₀, ·) for some B₀ ≥ 1: a positive multiple of {row} floats");

    public static ArgumentException FixedBatch(string what, int fixedBatch, int batchSize)
        => new($"the model's {what} is for {fixedBatch} streams, so a session needs batch size {fixedBatch} (or the model one stream's worth); requested {batchSize}", nameof(batchSize));

    public static ArgumentException MissingTensor(string tensor, string why)
        => new($"tensor '{tensor}' is missing; {why}");

    public static ArgumentException UnexpectedTensor(string tensor, string why)
        => new($"tensor '{tensor}' is not used by this model; {why}");

    public static ArgumentOutOfRangeException Threads(int threads, int max)
        => new(nameof(threads), threads, $"threads must be 1..{max} (the caller counts as one); got {threads}");

    public static ArgumentOutOfRangeException BatchSize(int batchSize)
        => new(nameof(batchSize), batchSize, "batch size must be at least 1 and at most 65536");

    public static ArgumentOutOfRangeException MaxSequenceLength(int maxSequenceLength)
        => new(nameof(maxSequenceLength), maxSequenceLength, "maxSequenceLength must be at least 1 and the run buffers it implies must fit in memory");
}
