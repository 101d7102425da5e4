using FastRnn.Layers;
using FastRnn.Format;

namespace FastRnn;

public sealed partial class RnnModel
{
    /// <summary>
    /// Loads a model from an .frnn file. The file is memory-mapped, its structure, the architecture metadata and every
    /// tensor's presence and shape are validated before its weights are repacked, and its checksum as they are (each
    /// weight's bytes are checksummed by their packer, so the file is read once): nothing is returned from a file that
    /// fails any check. The mapping is released before this returns.
    /// </summary>
    /// <exception cref="FrnnFormatException">The file is malformed or does not describe a valid recurrent model; the message names the field or tensor.</exception>
    public static RnnModel Load(string path) => FrnnFile.Load(path, Load);

    /// <summary>Loads a model as <see cref="Load(string)"/> does, with <paramref name="options"/> (for example
    /// <see cref="ModelLoadOptions.Threads"/> to repack large weights on more than one core).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="FrnnFormatException">The file is malformed or inconsistent; the message names the field or tensor.</exception>
    public static RnnModel Load(string path, ModelLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return FrnnFile.Load(path, Load, options);
    }

    /// <summary>Loads a model from the bytes of an .frnn file; see <see cref="Load(string)"/>.</summary>
    public static RnnModel Load(ReadOnlyMemory<byte> bytes) => FrnnFile.Load(bytes, Load);

    /// <summary>Loads a model from the bytes of an .frnn file with <paramref name="options"/>; see <see cref="Load(string, ModelLoadOptions)"/>.</summary>
    public static RnnModel Load(ReadOnlyMemory<byte> bytes, ModelLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return FrnnFile.Load(bytes, Load, options);
    }

    /// <summary>Builds a model from an open .frnn file whose architecture is <c>rnn</c>.</summary>
    public static RnnModel Load(FrnnFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        RnnConfig config = RnnMetadata.Read(file);
        try
        {
            // B₀ from the stored shape (L·D, B₀, ·); Build checks the whole shape. Without such a tensor B₀ is unused.
            int batch = file.Tensors.FirstOrDefault(t => t.Name is RecurrentParameterSchema.InitialHiddenName or RecurrentParameterSchema.InitialCellName) is { Rank: 3 } state
                ? Math.Max(state.Shape[1], 1)
                : 1;
            return Build(config, new FrnnTensorSource(file), batch);
        }
        catch (ArgumentException e)
        {
            // The configuration or a tensor came from the file, so for the caller this is a bad file, not a bad argument.
            throw new FrnnFormatException(e.Message, e);
        }
    }

    /// <summary>
    /// Writes an .frnn file for <paramref name="config"/> and its PyTorch state-dict tensors (the same arguments as
    /// <see cref="FromPyTorch"/>), after checking that they make a valid model.
    /// </summary>
    public static void Save(RnnConfig config, IReadOnlyDictionary<string, float[]> tensors, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CreateWriter(config, tensors).WriteTo(destination);
    }

    /// <summary>Writes an .frnn file to <paramref name="path"/>; see <see cref="Save(RnnConfig, IReadOnlyDictionary{string, float[]}, Stream)"/>.</summary>
    public static void Save(RnnConfig config, IReadOnlyDictionary<string, float[]> tensors, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CreateWriter(config, tensors).Save(path);
    }

    /// <summary>The bytes of the .frnn file <see cref="Save(RnnConfig, IReadOnlyDictionary{string, float[]}, Stream)"/> would write.</summary>
    public static byte[] ToFrnn(RnnConfig config, IReadOnlyDictionary<string, float[]> tensors)
        => CreateWriter(config, tensors).ToArray();

    private static FrnnWriter CreateWriter(RnnConfig config, IReadOnlyDictionary<string, float[]> tensors)
    {
        RnnModel model = FromPyTorch(config, tensors); // validates names, shapes and configuration before anything is written
        var writer = new FrnnWriter();
        RnnMetadata.Write(config, writer);
        foreach (RecurrentParameter p in new RecurrentParameterSchema(config).Parameters)
            writer.AddTensor(p.Name, p.Dimensions, tensors[p.Name]);
        if (model.InitialState is { } initial)
        {
            int slots = config.NumLayers * config.Directions;
            if (tensors.ContainsKey(RecurrentParameterSchema.InitialHiddenName))
                writer.AddTensor(RecurrentParameterSchema.InitialHiddenName, [slots, initial.Batch, config.OutputHiddenSize], initial.Hidden);
            if (config.Kind == RecurrentKind.Lstm && tensors.ContainsKey(RecurrentParameterSchema.InitialCellName))
                writer.AddTensor(RecurrentParameterSchema.InitialCellName, [slots, initial.Batch, config.HiddenSize], initial.Cell);
        }
        return writer;
    }
}
