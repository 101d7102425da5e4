namespace FastRnn.Import;

/// <summary>
/// The only globals a .pt pickle may name: the functions PyTorch rebuilds tensors and parameters with, the typed
/// storage classes its persistent ids name, and <c>collections.OrderedDict</c> (a state dict). Each is bound to a
/// FastRnn object (<see cref="TorchObjects"/>), never to the Python callable of that name.
/// </summary>
internal static class PickleAllowList
{
    public const string RebuildTensorV2 = "torch._utils._rebuild_tensor_v2";
    public const string RebuildTensor = "torch._utils._rebuild_tensor";
    public const string RebuildParameter = "torch._utils._rebuild_parameter";
    public const string OrderedDict = "collections.OrderedDict";

    /// <summary>torch.&lt;Name&gt;Storage: the element type, its size in bytes, and the float format if it is one FastRnn reads.</summary>
    public static readonly IReadOnlyDictionary<string, TorchStorageType> Storages = new Dictionary<string, TorchStorageType>(StringComparer.Ordinal)
    {
        ["torch.FloatStorage"] = new("float32", 4, FloatFormat.F32),
        ["torch.DoubleStorage"] = new("float64", 8, FloatFormat.F64),
        ["torch.HalfStorage"] = new("float16", 2, FloatFormat.F16),
        ["torch.BFloat16Storage"] = new("bfloat16", 2, FloatFormat.BF16),
        // Other modules of a bigger model hold integer tensors (BatchNorm's num_batches_tracked is int64): they may
        // be present, and are refused only if selected.
        ["torch.LongStorage"] = new("int64", 8, null),
        ["torch.IntStorage"] = new("int32", 4, null),
        ["torch.ShortStorage"] = new("int16", 2, null),
        ["torch.CharStorage"] = new("int8", 1, null),
        ["torch.ByteStorage"] = new("uint8", 1, null),
        ["torch.BoolStorage"] = new("bool", 1, null),
    };

    public static bool Allows(string global)
        => global is RebuildTensorV2 or RebuildTensor or RebuildParameter or OrderedDict || Storages.ContainsKey(global);

    /// <exception cref="ImportException">The global is not on the list; the message names it.</exception>
    public static void Require(string module, string name, string file, string part)
    {
        string global = $"{module}.{name}";
        if (!Allows(global))
            throw TorchErrors.RefusedGlobal(file, part, global, Advice(module));
    }

    private static string? Advice(string module)
        => module.StartsWith("torch.nn", StringComparison.Ordinal) || module == "__main__"
            ? "torch.save(model) pickles the module's class; save its weights with torch.save(model.state_dict(), path)"
            : null;
}

/// <summary>A storage class of a .pt file: its dtype name, element size and, for floating point, how to read it.</summary>
internal sealed record TorchStorageType(string DType, int ElementSize, FloatFormat? Format);
