using FastRnn.Layers;

namespace FastRnn.Benchmarks;

/// <summary>
/// One unidirectional, one-layer cell's parameters in PyTorch's layout and gate order (LSTM i, f, g, o; GRU r, z, n),
/// drawn from a fixed seed so every contender in a benchmark multiplies exactly the same numbers.
/// </summary>
internal sealed class RecurrentWeights
{
    private RecurrentWeights(RecurrentKind kind, int inputSize, int hiddenSize, float[] weightIh, float[] weightHh, float[] biasIh, float[] biasHh)
    {
        Kind = kind;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        WeightIh = weightIh;
        WeightHh = weightHh;
        BiasIh = biasIh;
        BiasHh = biasHh;
    }

    public RecurrentKind Kind { get; }

    /// <summary>I.</summary>
    public int InputSize { get; }

    /// <summary>H.</summary>
    public int HiddenSize { get; }

    /// <summary>G: 4 for an LSTM, 3 for a GRU.</summary>
    public int GateCount => Kind == RecurrentKind.Lstm ? 4 : 3;

    /// <summary><c>weight_ih_l0</c>, (G·H, I) row-major.</summary>
    public float[] WeightIh { get; }

    /// <summary><c>weight_hh_l0</c>, (G·H, H) row-major.</summary>
    public float[] WeightHh { get; }

    /// <summary><c>bias_ih_l0</c>, (G·H).</summary>
    public float[] BiasIh { get; }

    /// <summary><c>bias_hh_l0</c>, (G·H).</summary>
    public float[] BiasHh { get; }

    public RnnConfig Config => new() { Kind = Kind, InputSize = InputSize, HiddenSize = HiddenSize };

    /// <summary>
    /// Uniform in [−1/√H, 1/√H], PyTorch's default initialisation: it keeps the recurrence contractive, so long runs
    /// neither saturate every gate nor blow up, and the timings reflect ordinary activations.
    /// </summary>
    public static RecurrentWeights Seeded(RecurrentKind kind, int inputSize, int hiddenSize, int seed)
    {
        if (kind is not (RecurrentKind.Lstm or RecurrentKind.Gru))
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "the benchmarks cover LSTM and GRU");
        int rows = (kind == RecurrentKind.Lstm ? 4 : 3) * hiddenSize;
        var random = new Random(seed);
        float bound = 1f / MathF.Sqrt(hiddenSize);
        return new RecurrentWeights(
            kind,
            inputSize,
            hiddenSize,
            Uniform(random, rows * inputSize, bound),
            Uniform(random, rows * hiddenSize, bound),
            Uniform(random, rows, bound),
            Uniform(random, rows, bound));
    }

    /// <summary>The tensors <see cref="RnnModel.FromPyTorch"/> expects.</summary>
    public IReadOnlyDictionary<string, float[]> ToPyTorchStateDict() => new Dictionary<string, float[]>
    {
        ["weight_ih_l0"] = WeightIh,
        ["weight_hh_l0"] = WeightHh,
        ["bias_ih_l0"] = BiasIh,
        ["bias_hh_l0"] = BiasHh,
    };

    /// <summary>
    /// [W_ih | W_hh], (G·H, I + H) row-major: the two products of one step fused into a single matrix, so one
    /// matrix–vector product over it streams exactly the weight bytes a step must read.
    /// </summary>
    public float[] ConcatenatedWeights()
    {
        int rows = GateCount * HiddenSize, cols = InputSize + HiddenSize;
        var result = new float[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            WeightIh.AsSpan(r * InputSize, InputSize).CopyTo(result.AsSpan(r * cols));
            WeightHh.AsSpan(r * HiddenSize, HiddenSize).CopyTo(result.AsSpan(r * cols + InputSize));
        }
        return result;
    }

    /// <summary>Uniform floats in [−bound, bound) from <paramref name="random"/>.</summary>
    public static float[] Uniform(Random random, int count, float bound)
    {
        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)((random.NextDouble() * 2 - 1) * bound);
        return values;
    }
}
