using FastRnn.Graph;

namespace FastRnn.Import;

/// <summary>A whole ONNX graph converted to a FastRnn graph model, and what the conversion did.</summary>
public sealed class GraphImportResult
{
    internal GraphImportResult(GraphModel model, IReadOnlyList<string> notes)
    {
        Model = model;
        Notes = notes;
    }

    /// <summary>The compiled model; <see cref="GraphModel.Save(string)"/> writes it as .frnn.</summary>
    public GraphModel Model { get; }

    /// <summary>Facts worth telling the user: folded nodes, the branch an If took, initializers nothing reads.</summary>
    public IReadOnlyList<string> Notes { get; }
}
