namespace FastRnn.Graph;

/// <summary>How an attribute of an operator is stored.</summary>
internal enum AttributeKind
{
    Int,
    Ints,
    Float,
}

/// <summary>One attribute an operator takes: its name, type, and whether it must be present.</summary>
internal readonly record struct AttributeSchema(string Name, AttributeKind Kind, bool Required);

/// <summary>What an operator takes: its file name, how many inputs and outputs, and which attributes.</summary>
internal sealed record OpSchema(GraphOp Op, string Name, int MinInputs, int MaxInputs, int Outputs, AttributeSchema[] Attributes);

/// <summary>
/// The schema of every operator, written down once: the file format, the loader's validation, the importer and
/// <c>fastrnn inspect</c> all read it from here.
/// </summary>
internal static class GraphOps
{
    private static readonly AttributeSchema[] None = [];

    private static readonly AttributeSchema[] RecurrentAttributes =
    [
        new("hidden_size", AttributeKind.Int, true),
        new("directions", AttributeKind.Int, true),
        new("reverse", AttributeKind.Int, true),
        new("gru_reset_after", AttributeKind.Int, false),
        new("relu", AttributeKind.Int, false),
        new("clip", AttributeKind.Float, false),
    ];

    private static readonly OpSchema[] Schemas =
    [
        // x (…, K), weight (N, K), bias (N) → (…, N)
        new(GraphOp.Linear, "linear", 2, 3, 1, None),
        // x (B, C, L), weight (O, C/groups, K), bias (O) → (B, O, L_out)
        new(GraphOp.Conv1d, "conv1d", 2, 3, 1,
            [new("stride", AttributeKind.Int, true), new("dilation", AttributeKind.Int, true), new("groups", AttributeKind.Int, true), new("pads", AttributeKind.Ints, true)]),
        // table (V, D) float, indices (…) int64 → (…, D)
        new(GraphOp.Embedding, "embedding", 2, 2, 1, None),
        // data, constant indices along axis
        new(GraphOp.Gather, "gather", 1, 1, 1,
            [new("axis", AttributeKind.Int, true), new("indices", AttributeKind.Ints, true), new("indices_shape", AttributeKind.Ints, true)]),
        Unary(GraphOp.Relu, "relu"),
        Unary(GraphOp.Sigmoid, "sigmoid"),
        Unary(GraphOp.Tanh, "tanh"),
        new(GraphOp.LeakyRelu, "leaky_relu", 1, 1, 1, [new("alpha", AttributeKind.Float, true)]),
        new(GraphOp.Gelu, "gelu", 1, 1, 1, [new("tanh_approximation", AttributeKind.Int, true)]),
        Unary(GraphOp.Softplus, "softplus"),
        Unary(GraphOp.Sqrt, "sqrt"),
        Unary(GraphOp.Abs, "abs"),
        Unary(GraphOp.Exp, "exp"),
        Unary(GraphOp.Log, "log"),
        Unary(GraphOp.Neg, "neg"),
        Unary(GraphOp.Erf, "erf"),
        Binary(GraphOp.Add, "add"),
        Binary(GraphOp.Sub, "sub"),
        Binary(GraphOp.Mul, "mul"),
        Binary(GraphOp.Div, "div"),
        Binary(GraphOp.Pow, "pow"),
        new(GraphOp.Softmax, "softmax", 1, 1, 1, [new("axis", AttributeKind.Int, true)]),
        new(GraphOp.LogSoftmax, "log_softmax", 1, 1, 1, [new("axis", AttributeKind.Int, true)]),
        // x, scale (normalized shape), bias (normalized shape)
        new(GraphOp.LayerNorm, "layer_norm", 2, 3, 1, [new("axis", AttributeKind.Int, true), new("epsilon", AttributeKind.Float, true)]),
        Reduce(GraphOp.ReduceMean, "reduce_mean"),
        Reduce(GraphOp.ReduceSum, "reduce_sum"),
        Reduce(GraphOp.ReduceMax, "reduce_max"),
        // pads: begin of every axis, then end of every axis (ONNX order); mode 0 constant, 1 reflect, 2 edge
        new(GraphOp.Pad, "pad", 1, 1, 1,
            [new("pads", AttributeKind.Ints, true), new("mode", AttributeKind.Int, true), new("value", AttributeKind.Float, true)]),
        new(GraphOp.Concat, "concat", 1, 1024, 1, [new("axis", AttributeKind.Int, true)]),
        // one start and one step per axis; the output shape gives the count
        new(GraphOp.Slice, "slice", 1, 1, 1, [new("starts", AttributeKind.Ints, true), new("steps", AttributeKind.Ints, true)]),
        new(GraphOp.Transpose, "transpose", 1, 1, 1, [new("perm", AttributeKind.Ints, true)]),
        // the same elements under the output's shape: a view, no copy
        new(GraphOp.Reshape, "reshape", 1, 1, 1, None),
        new(GraphOp.Copy, "copy", 1, 1, 1, None),
        // x (T, B, I), h0 (D, B, H), c0 (D, B, H), weight_ih (D, G·H, I), weight_hh (D, G·H, H), bias_ih (D, G·H),
        // bias_hh (D, G·H) in PyTorch's gate order → y (T, D, B, H), y_h (D, B, H), y_c (D, B, H)
        new(GraphOp.Lstm, "lstm", 7, 7, 3, RecurrentAttributes),
        // the same without c0 (input 2 absent) and without y_c
        new(GraphOp.Gru, "gru", 7, 7, 2, RecurrentAttributes),
        new(GraphOp.Rnn, "rnn", 7, 7, 2, RecurrentAttributes),
    ];

    private static readonly Dictionary<string, OpSchema> ByName = Schemas.ToDictionary(s => s.Name, StringComparer.Ordinal);

    public static OpSchema Of(GraphOp op) => Schemas[(int)op];

    public static bool TryParse(string name, out OpSchema schema) => ByName.TryGetValue(name, out schema!);

    public static IEnumerable<string> Names => Schemas.Select(s => s.Name);

    public static bool IsRecurrent(GraphOp op) => op is GraphOp.Lstm or GraphOp.Gru or GraphOp.Rnn;

    private static OpSchema Unary(GraphOp op, string name) => new(op, name, 1, 1, 1, None);

    private static OpSchema Binary(GraphOp op, string name) => new(op, name, 2, 2, 1, None);

    private static OpSchema Reduce(GraphOp op, string name)
        => new(op, name, 1, 1, 1, [new("axes", AttributeKind.Ints, true), new("keepdims", AttributeKind.Int, true)]);
}
