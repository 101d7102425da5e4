using FastRnn.Format;

namespace FastRnn.Graph;

public sealed partial class GraphModel
{
    /// <summary>
    /// Loads a graph model from an .frnn file (model schema <c>graph</c>): the file is validated, every metadata field
    /// and tensor checked, and the graph compiled before this returns.
    /// </summary>
    /// <exception cref="FrnnFormatException">The file is malformed or its graph is inconsistent; the message names the key, node or tensor.</exception>
    public static GraphModel Load(string path) => FrnnFile.Load(path, Load);

    /// <summary>Loads a graph model from the bytes of an .frnn file; see <see cref="Load(string)"/>.</summary>
    public static GraphModel Load(ReadOnlyMemory<byte> bytes) => FrnnFile.Load(bytes, Load);

    /// <summary>Builds a graph model from an open .frnn file whose architecture is <c>graph</c>.</summary>
    public static GraphModel Load(FrnnFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        GraphDefinition definition = GraphFormat.Read(file);
        try
        {
            return new GraphModel(definition);
        }
        catch (ArgumentException e)
        {
            // The graph came from the file: for the caller this is a bad file, not a bad argument.
            throw new FrnnFormatException(e.Message, e);
        }
    }

    /// <summary>Whether <paramref name="file"/> holds a graph model (rather than a recurrent stack or another schema).</summary>
    public static bool IsGraph(FrnnFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return file.TryGetString("fastrnn.architecture", out string? a) && a == GraphFormat.ArchitectureValue;
    }

    /// <summary>Writes the model to <paramref name="path"/> as an .frnn file (a temporary file renamed over the target).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Writer().Save(path);
    }

    /// <summary>The bytes of the .frnn file <see cref="Save"/> writes.</summary>
    public byte[] ToFrnn() => Writer().ToArray();

    private FrnnWriter Writer()
    {
        var writer = new FrnnWriter();
        GraphFormat.Write(Definition, writer);
        return writer;
    }
}
