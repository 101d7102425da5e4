using FastRnn.Layers;
using FastRnn.Runtime;

namespace FastRnn;

/// <summary>
/// An immutable recurrent stack (LSTM, GRU or RNN; L layers; one or two directions) with weights repacked for the
/// matrix kernels. Thread-safe: any number of <see cref="RnnSession"/>s, on any threads, can share one model.
/// </summary>
/// <example>
/// <code>
/// var model = RnnModel.Load("weights/model.frnn");
/// using var session = model.CreateSession(batchSize: 1);
/// session.Step(frame, hidden);          // one time step: frame (B, I) -> hidden (B, H_out)
/// session.Run(sequence, outputs);       // T steps: (T, B, I) -> (T, B, D·H_out)
/// </code>
/// </example>
public sealed partial class RnnModel
{
    private readonly RecurrentCell[] _cells; // index layer * D + direction

    private RnnModel(RnnConfig config, RecurrentCell[] cells, InitialState? initialState)
    {
        Config = config;
        _cells = cells;
        InitialState = initialState;
    }

    /// <summary>The architecture.</summary>
    public RnnConfig Config { get; }

    /// <summary>The state a session starts from and returns to on <see cref="RnnSession.Reset"/>, or null for zeros.</summary>
    internal InitialState? InitialState { get; }

    internal RecurrentCell Cell(int layer, int direction) => _cells[layer * Config.Directions + direction];

    internal IReadOnlyList<RecurrentCell> Cells => _cells;

    /// <summary>
    /// Builds a model from PyTorch state-dict tensors (<c>weight_ih_l0</c>, <c>weight_hh_l0</c>, <c>bias_ih_l0</c>,
    /// <c>bias_hh_l0</c>, <c>weight_hr_l0</c>, <c>…_reverse</c>; <see cref="RecurrentParameterSchema"/>), each a flat
    /// row-major array of PyTorch's shape; optionally with a default initial state <c>initial_h</c> (L·D, B₀, H_out)
    /// and <c>initial_c</c> (L·D, B₀, H), which every session starts from (<see cref="RnnSession.Reset"/>); a state for
    /// B₀ = 1 starts every stream, otherwise sessions must have B₀ streams.
    /// </summary>
    /// <exception cref="ArgumentException">The configuration is invalid, or a tensor is missing, of the wrong size, or unused.</exception>
    public static RnnModel FromPyTorch(RnnConfig config, IReadOnlyDictionary<string, float[]> tensors)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tensors);
        int batch = 0;
        foreach (string name in (ReadOnlySpan<string>)[RecurrentParameterSchema.InitialHiddenName, RecurrentParameterSchema.InitialCellName])
        {
            if (tensors.TryGetValue(name, out float[]? state) && state is not null && (name == RecurrentParameterSchema.InitialHiddenName || config.Kind == RecurrentKind.Lstm))
            {
                config.Validate();
                (batch, long row) = InitialState.BatchOf(config, name, state.Length);
                if (batch == 0)
                    throw Errors.InitialStateLength(name, state.Length, row);
                break;
            }
        }
        return Build(config, new DictionaryTensorSource(tensors), batch);
    }

    /// <summary>
    /// Builds the cells from <paramref name="source"/>; with <paramref name="initialStateBatch"/> B₀ &gt; 0 the source
    /// may also hold the initial-state tensors for B₀ streams (a composite model passes 0: its sub-models have none).
    /// </summary>
    internal static RnnModel Build(RnnConfig config, ITensorSource source, int initialStateBatch = 0)
    {
        var schema = new RecurrentParameterSchema(config);
        foreach (string name in source.Names)
        {
            if (!schema.TryGet(name, out _) && !(initialStateBatch > 0 && schema.IsInitialState(name)))
                throw Errors.UnexpectedTensor(name, $"a {Describe(config)} has no such parameter; is the configuration right?");
        }

        var cells = new RecurrentCell[config.NumLayers * config.Directions];
        for (int layer = 0; layer < config.NumLayers; layer++)
        {
            for (int d = 0; d < config.Directions; d++)
                cells[layer * config.Directions + d] = RecurrentCell.Create(schema, layer, d, source);
        }
        InitialState? initial = initialStateBatch > 0 ? InitialState.Read(schema, source, initialStateBatch) : null;
        return new RnnModel(config, cells, initial);
    }

    /// <summary>PyTorch's state-dict names of every parameter <paramref name="config"/> has, in PyTorch's order; the names of <see cref="RecurrentParameterSchema.Parameters"/>.</summary>
    public static IEnumerable<string> ParameterNames(RnnConfig config)
        => new RecurrentParameterSchema(config).Parameters.Select(p => p.Name);

    /// <summary>
    /// Creates a session: the recurrent state of <paramref name="batchSize"/> independent streams and every buffer a
    /// step or a run of up to <paramref name="maxSequenceLength"/> steps needs, allocated now and never again.
    /// </summary>
    /// <param name="batchSize">B, the number of independent streams.</param>
    /// <param name="maxSequenceLength">The longest piece one <see cref="RnnSession.Run(ReadOnlySpan{float}, Span{float})"/> call processes at once.</param>
    /// <param name="threads">
    /// Intra-op threads, counting the caller (default 1): the session starts <c>threads − 1</c> workers of its own that
    /// split every large matrix product by output rows, each keeping its slice of the weights in its own core's cache.
    /// Results are bit-identical to one thread. The workers spin briefly between calls, then sleep; they stop when
    /// the session is disposed.
    /// </param>
    public RnnSession CreateSession(int batchSize = 1, int maxSequenceLength = RnnSession.DefaultMaxSequenceLength, int threads = 1)
        => new(this, batchSize, maxSequenceLength, threads);

    private static string Describe(RnnConfig c)
        => $"{c.NumLayers}-layer {(c.Bidirectional ? "bidirectional " : "")}{c.Kind}{(c.ProjSize > 0 ? $" with proj_size {c.ProjSize}" : "")}{(c.HasBias ? "" : " without bias")}";
}
