namespace FastRnn.Import;

/// <summary>
/// Reads the tensors of a PyTorch <c>.pt</c> / <c>.pth</c> file — what <c>torch.save(module.state_dict(), path)</c>
/// writes, in the zip format (the default since PyTorch 1.6) or the legacy one — without running any of it.
/// </summary>
/// <remarks>
/// <para>The file's pickles are checked opcode by opcode before they are loaded (<see cref="PickleScan"/>): the only
/// globals they may name are PyTorch's tensor and parameter rebuild functions, its typed storage classes and
/// <c>collections.OrderedDict</c>, each bound to a FastRnn object; any other global (a class of <c>torch.nn</c>, a
/// function such as <c>os.system</c>) is refused by name, and nothing is ever imported, called or instantiated.</para>
/// <para>Storages may be float32, float16, bfloat16 or float64 (converted to float32, float64 rounded to nearest);
/// views with any strides and offsets are gathered in C order, after every element they address has been checked to
/// lie inside their storage, and every storage is checked against the bytes in the file before it is read.</para>
/// <para>A checkpoint that nests state dicts (<c>{"enc": enc.state_dict(), "dec": dec.state_dict(), "epoch": 3}</c>)
/// gives dotted names (<c>enc.weight_ih_l0</c>), so <see cref="ImportOptions.Prefix"/> selects one; values that are
/// not tensors are skipped.</para>
/// </remarks>
public static class TorchFile
{
    /// <summary>Reads every tensor of the file as float32, in state-dict order.</summary>
    /// <param name="path">A file written by <c>torch.save</c>.</param>
    /// <param name="progress">Receives the fraction of tensors read, 0 to 1.</param>
    /// <exception cref="ImportException">The file is not a PyTorch file, its pickle names a refused global, is
    /// truncated or corrupt, or a tensor is not floating point or reaches outside its storage; the message says which.</exception>
    public static IReadOnlyList<KeyValuePair<string, TensorData>> Read(string path, IProgress<double>? progress = null)
        => ReadSelected(path, _ => true, progress, "only float32, float16, bfloat16 and float64 tensors are read").Tensors;

    /// <summary>Reads the tensors whose names <paramref name="include"/> accepts; also returns every tensor name in the file.</summary>
    internal static (IReadOnlyList<KeyValuePair<string, TensorData>> Tensors, List<string> Names) ReadSelected(
        string path, Func<string, bool> include, IProgress<double>? progress, string nonFloatAdvice)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        Span<byte> start = stackalloc byte[4];
        int read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        using TorchContainer container = start[..read].SequenceEqual("PK\x03\x04"u8)
            ? TorchZipFile.Open(path, stream)
            : TorchLegacyFile.Open(path, stream);

        List<KeyValuePair<string, TorchTensor>> all = TorchStateDict.Flatten(container.Root, path, container.PicklePart);
        var selected = all.Where(t => include(t.Key)).ToList();
        var result = new List<KeyValuePair<string, TensorData>>(selected.Count);
        foreach ((string name, TorchTensor tensor) in selected)
        {
            result.Add(new(name, TorchTensorReader.Read(container, name, tensor, nonFloatAdvice)));
            progress?.Report((double)result.Count / selected.Count);
        }
        return (result, all.Select(t => t.Key).ToList());
    }
}
