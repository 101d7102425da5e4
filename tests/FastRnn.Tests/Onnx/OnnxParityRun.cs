using FastRnn.Import;
using FastRnn.Layers;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Onnx;

/// <summary>
/// One ONNX fixture run both ways on the same seeded inputs: ONNX Runtime on the model (or on its
/// <c>.reference.onnx</c> twin where ONNX Runtime cannot run the original), and FastRnn on the imported model with
/// the graph's inputs moved into FastRnn's layouts and its outputs moved back.
/// </summary>
internal sealed class OnnxParityRun
{
    public const double Tolerance = 2e-5;
    private const int DefaultSteps = 7;
    private const int DefaultBatch = 3;

    private OnnxParityRun(string name, string? path, string? oracle)
    {
        Name = name;
        Path = path ?? OnnxFixtures.PathOf(name);
        OraclePath = oracle ?? path ?? OnnxFixtures.OraclePathOf(name);
        Result = OnnxImporter.Import(Path);
        RnnConfig config = Result.Model.Config;
        var random = new Random(OnnxFixtures.Seed(name));

        // T and B: what the graph fixes (declared sizes, constants), else defaults.
        OnnxGraphValue input = Result.Input;
        Steps = Declared(input, OnnxAxis.Time) ?? DefaultSteps;
        Batch = Declared(input, OnnxAxis.Batch) ?? Result.BatchSize ?? DefaultBatch;
        if (Result.SequenceLengths is { } constant)
            Steps = Math.Max(Steps, constant.Max());

        foreach (OnnxGraphValue v in Result.Inputs)
        {
            int[] shape = v.Shape(config, Steps, Batch);
            long[] dims = shape.Select(d => (long)d).ToArray();
            if (v.Role == OnnxValueRole.SequenceLengths)
            {
                // Full length, shorter, and a single step: every stream ends somewhere else.
                Lengths = Enumerable.Range(0, Batch).Select(b => Math.Max(1, Steps - 3 * b)).ToArray();
                Feeds.Add(new OnnxRuntimeOracle.Feed(v.Name, dims, Ints: Lengths));
                continue;
            }
            float[] data = Enumerable.Range(0, shape.Aggregate(1, (p, d) => p * d)).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            Feeds.Add(new OnnxRuntimeOracle.Feed(v.Name, dims, Floats: data));
        }
        Lengths ??= Result.SequenceLengths ?? [];
    }

    public string Name { get; }

    public string Path { get; }

    /// <summary>The model ONNX Runtime runs: the model itself, or its layout-0 twin.</summary>
    public string OraclePath { get; }

    public OnnxImportResult Result { get; }

    public int Steps { get; }

    public int Batch { get; }

    public int[] Lengths { get; } = null!;

    public List<OnnxRuntimeOracle.Feed> Feeds { get; } = [];

    /// <summary>
    /// Fixture <paramref name="name"/>, or the model at <paramref name="path"/> (seeded by <paramref name="name"/>), with
    /// ONNX Runtime on <paramref name="oracle"/> when it is given (the same model stored another way).
    /// </summary>
    public static OnnxParityRun Prepare(string name, string? path = null, string? oracle = null) => new(name, path, oracle);

    /// <summary>ONNX Runtime's outputs, by graph output name.</summary>
    public Dictionary<string, (float[] Data, long[] Shape)> RunOnnxRuntime()
        => OnnxRuntimeOracle.Run(OraclePath, Feeds);

    /// <summary>
    /// FastRnn's outputs in the graph's layouts, by graph output name. With <paramref name="modelDefaults"/> the graph's
    /// constant states and lengths are not passed: the session must take them from the model.
    /// </summary>
    public Dictionary<string, float[]> RunFastRnn(RnnModel model, bool modelDefaults = false)
    {
        RnnConfig config = model.Config;
        int stateLength = config.NumLayers * config.Directions * Batch * config.HiddenSize;
        var x = new float[Steps * Batch * config.InputSize];
        float[] h = Result.InitialHidden is { } h0 ? [.. h0] : new float[stateLength];
        float[] c = config.Kind != RecurrentKind.Lstm ? [] : Result.InitialCell is { } c0 ? [.. c0] : new float[stateLength];
        foreach ((OnnxGraphValue v, OnnxRuntimeOracle.Feed f) in Result.Inputs.Zip(Feeds))
        {
            switch (v.Role)
            {
                case OnnxValueRole.Sequence:
                    v.ToEngine(f.Floats!, x, config, Steps, Batch);
                    break;
                case OnnxValueRole.Hidden:
                    v.ToEngine(f.Floats!, h, config, Steps, Batch);
                    break;
                case OnnxValueRole.Cell:
                    v.ToEngine(f.Floats!, c, config, Steps, Batch);
                    break;
            }
        }

        using RnnSession session = model.CreateSession(Batch, Steps);
        var y = new float[Steps * Batch * config.OutputSize];
        if (modelDefaults)
        {
            if (Result.InitialHiddenInput is not null || Result.InitialCellInput is not null)
                throw new InvalidOperationException($"{Name}: the model's defaults apply only when no state is a graph input");
            if (Result.SequenceLengthsInput is null)
                session.Run(x, y);
            else
                session.Run(x, y, Lengths);
        }
        else
        {
            session.SetState(h, c);
            session.Run(x, y, Lengths);
        }

        var outputs = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (OnnxGraphValue o in Result.Outputs)
        {
            var value = new float[o.Shape(config, Steps, Batch).Aggregate(1, (p, d) => p * d)];
            ReadOnlySpan<float> engine = o.Role switch
            {
                OnnxValueRole.Sequence => y,
                OnnxValueRole.Hidden => session.HiddenState,
                _ => session.CellState,
            };
            o.FromEngine(engine, value, config, Steps, Batch);
            outputs[o.Name] = value;
        }
        return outputs;
    }

    /// <summary>Runs both and compares every output, shapes first; <paramref name="modelDefaults"/> as for <see cref="RunFastRnn"/>.</summary>
    public void AssertMatches(RnnModel? model = null, bool modelDefaults = false)
    {
        model ??= Result.Model.ToModel();
        Dictionary<string, (float[] Data, long[] Shape)> expected = RunOnnxRuntime();
        Dictionary<string, float[]> actual = RunFastRnn(model, modelDefaults);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (OnnxGraphValue o in Result.Outputs)
        {
            int[] shape = o.Shape(model.Config, Steps, Batch);
            Assert.Equal(expected[o.Name].Shape, shape.Select(d => (long)d).ToArray());
            Compare.Close(expected[o.Name].Data, actual[o.Name], Tolerance, $"{Name}: {o.Name}");
        }
    }

    private static int? Declared(OnnxGraphValue value, OnnxAxis axis)
    {
        int at = value.Axes.ToList().IndexOf(axis);
        return at >= 0 && at < value.DeclaredShape.Count && value.DeclaredShape[at] > 0 ? (int)value.DeclaredShape[at] : null;
    }
}
