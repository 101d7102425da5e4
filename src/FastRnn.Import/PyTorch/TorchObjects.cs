using System.Collections;
using Razorvine.Pickle;

namespace FastRnn.Import;

/// <summary>
/// What the allowed globals of <see cref="PickleAllowList"/> build: the unpickler calls these instead of PyTorch.
/// A tensor is recorded as a view (storage, offset, sizes, strides) and read only if it is selected.
/// </summary>
internal static class TorchObjects
{
    /// <summary>Binds the allowed globals to these constructors (once per process: the unpickler's table is static).</summary>
    public static void Register()
    {
        Unpickler.registerConstructor("torch._utils", "_rebuild_tensor_v2", new RebuildTensor());
        Unpickler.registerConstructor("torch._utils", "_rebuild_tensor", new RebuildTensor());
        Unpickler.registerConstructor("torch._utils", "_rebuild_parameter", new RebuildParameter());
        Unpickler.registerConstructor("collections", "OrderedDict", new NewOrderedDict());
        foreach ((string global, TorchStorageType type) in PickleAllowList.Storages)
        {
            int dot = global.LastIndexOf('.');
            Unpickler.registerConstructor(global[..dot], global[(dot + 1)..], new StorageClass(type));
        }
    }

    /// <summary>A long from a pickled int (BININT gives int, LONG1 long), or null for anything else.</summary>
    public static long? Integer(object? value) => value switch
    {
        int i => i,
        long l => l,
        _ => null,
    };

    /// <summary><c>torch.FloatStorage</c> and the like: only named in persistent ids, never called.</summary>
    internal sealed class StorageClass(TorchStorageType type) : IObjectConstructor
    {
        public TorchStorageType Type { get; } = type;

        public object construct(object[] args) => throw TorchErrors.Content($"the pickle calls storage class {Type.DType}, which torch.save never does");
    }

    /// <summary>
    /// <c>_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])</c> and
    /// the older <c>_rebuild_tensor(storage, storage_offset, size, stride)</c>.
    /// </summary>
    private sealed class RebuildTensor : IObjectConstructor
    {
        public object construct(object[] args)
        {
            if (args.Length < 4 || args[0] is not TorchStorage storage || Integer(args[1]) is not { } offset
                || Dimensions(args[2]) is not { } size || Dimensions(args[3]) is not { } stride || size.Length != stride.Length)
                throw TorchErrors.Content("a tensor is rebuilt from arguments other than (storage, offset, size, stride) of one rank");
            return new TorchTensor(storage, offset, size, stride);
        }

        private static long[]? Dimensions(object? tuple)
        {
            if (tuple is not object[] items)
                return null;
            var result = new long[items.Length];
            for (int i = 0; i < items.Length; i++)
            {
                if (Integer(items[i]) is not { } d)
                    return null;
                result[i] = d;
            }
            return result;
        }
    }

    /// <summary><c>_rebuild_parameter(data, requires_grad, backward_hooks)</c>: an <c>nn.Parameter</c> is its data.</summary>
    private sealed class RebuildParameter : IObjectConstructor
    {
        public object construct(object[] args)
            => args.Length >= 1 && args[0] is TorchTensor t ? t : throw TorchErrors.Content("a parameter is rebuilt from something other than a tensor");
    }

    /// <summary><c>OrderedDict()</c>: pickled as a call without arguments, then its items and its attributes.</summary>
    private sealed class NewOrderedDict : IObjectConstructor
    {
        public object construct(object[] args)
            => args.Length == 0 ? new PickledOrderedDict() : throw TorchErrors.Content("OrderedDict is called with arguments, which pickle never does");
    }
}

/// <summary>
/// An <c>OrderedDict</c>: the unpickler fills dictionaries through <see cref="Hashtable"/>'s indexer, so this one
/// records the order keys arrive in, a state dict's order. (Its attributes, a state dict's <c>_metadata</c>, are
/// dropped by <see cref="PickleScan"/>'s BUILD-to-POP rewrite.)
/// </summary>
internal sealed class PickledOrderedDict : Hashtable
{
    private readonly List<object> _order = [];

    public IReadOnlyList<object> OrderedKeys => _order;

    public override object? this[object key]
    {
        get => base[key];
        set
        {
            if (!ContainsKey(key))
                _order.Add(key);
            base[key] = value;
        }
    }
}

/// <summary>A storage named by a persistent id: its key (the archive entry data/&lt;key&gt;), type and element count.</summary>
internal sealed record TorchStorage(string Key, TorchStorageType Type, long ElementCount);

/// <summary>A tensor as PyTorch records it: a strided view of <paramref name="Storage"/>.</summary>
internal sealed record TorchTensor(TorchStorage Storage, long Offset, long[] Size, long[] Stride);
