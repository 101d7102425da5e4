namespace FastRnn.Import;

/// <summary>
/// The messages of the PyTorch .pt reader: each names the file, the part (<c>data.pkl</c>, a storage, a tensor) and,
/// for a refused global, its module and name.
/// </summary>
internal static class TorchErrors
{
    /// <summary>"m.pt: archive/data.pkl at byte 12 problem".</summary>
    public static ImportException Pickle(string file, string part, int offset, string problem)
        => new($"{file}: {part} at byte {offset} {problem}");

    /// <summary>"m.pt: part problem", for the container and the objects the pickle built.</summary>
    public static ImportException Malformed(string file, string part, string problem, Exception? inner = null)
        => ImportErrors.Malformed(file, part, problem, inner);

    /// <summary>
    /// What the pickle builds is not what torch.save writes (found while it is loaded); <see cref="TorchUnpickler"/>
    /// adds the file and part.
    /// </summary>
    public static ImportException Content(string problem) => new(problem);

    public static ImportException RefusedGlobal(string file, string part, string global, string? advice)
        => new($"{file}: {part} refers to the global '{global}', which is refused: only tensors, their storages and plain "
            + $"containers are read from a .pt file (nothing in it is imported or called){(advice is null ? "" : "; " + advice)}");

    public static ImportException Tensor(string file, string tensor, string problem)
        => ImportErrors.Tensor(file, tensor, problem);
}
