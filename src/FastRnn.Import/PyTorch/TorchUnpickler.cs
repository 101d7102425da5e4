using Razorvine.Pickle;

namespace FastRnn.Import;

/// <summary>
/// Runs one pickle of a .pt file after <see cref="PickleScan"/> has passed it: globals resolve only to
/// <see cref="TorchObjects"/>, and each persistent id <c>('storage', storage class, key, location, numel[, view])</c>
/// becomes a <see cref="TorchStorage"/> whose bytes are read later, and only if a selected tensor uses it.
/// </summary>
internal sealed class TorchUnpickler : Unpickler
{
    static TorchUnpickler() => TorchObjects.Register();

    private readonly Dictionary<string, TorchStorage> _storages = new(StringComparer.Ordinal);

    private TorchUnpickler()
    {
    }

    /// <summary>
    /// Checks and loads the pickle at <paramref name="start"/>; returns the object, the offset past its STOP and the
    /// storages its persistent ids name, by key.
    /// </summary>
    /// <exception cref="ImportException">The pickle names a refused global, is malformed, or builds something a .pt file does not hold.</exception>
    public static (object? Value, int End, IReadOnlyDictionary<string, TorchStorage> Storages) Load(byte[] data, int start, string file, string part)
    {
        (int end, List<int> builds) = PickleScan.Check(data, start, file, part);
        // The unpickler reads a whole array, so the checked pickle is handed over on its own, each BUILD made a POP.
        byte[] pickle = data[start..end];
        foreach (int at in builds)
            pickle[at - start] = (byte)'0';
        using var unpickler = new TorchUnpickler();
        try
        {
            return (unpickler.loads(pickle), end, unpickler._storages);
        }
        catch (ImportException e)
        {
            throw TorchErrors.Malformed(file, part, $"is not a PyTorch pickle: {e.Message}", e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The scan admitted only known opcodes, allowed globals and lengths within the data; what is left to fail
            // is the structure (stack underflow, a missing memo entry, a value of the wrong type), all faults of the data.
            throw TorchErrors.Malformed(file, part, $"is not a valid pickle: {e.Message}", e);
        }
    }

    protected override object persistentLoad(object pid)
    {
        if (pid is not object[] { Length: 5 or 6 } id || id[0] is not "storage" || id[1] is not TorchObjects.StorageClass storageClass
            || id[2] is not string key || TorchObjects.Integer(id[4]) is not { } count || count < 0)
            throw TorchErrors.Content("has a persistent id that is not ('storage', storage class, key, location, element count)");
        if (id.Length == 6 && id[5] is not null)
            throw TorchErrors.Content($"storage '{key}' is a view of another storage (a format of PyTorch before 0.4), which is not read");
        var storage = new TorchStorage(key, storageClass.Type, count);
        if (_storages.TryGetValue(key, out TorchStorage? seen) && seen != storage)
            throw TorchErrors.Content($"storage '{key}' is named twice with different types or sizes");
        _storages[key] = storage;
        return storage;
    }
}
