using FastRnn.Layers;

namespace FastRnn.Import;

/// <summary>
/// The result of an import: a configuration and the tensors it implies under PyTorch's state-dict names and
/// row-major shapes, ready for <see cref="RnnModel.FromPyTorch"/> or <see cref="RnnModel.Save(RnnConfig, IReadOnlyDictionary{string, float[]}, string)"/>.
/// </summary>
/// <param name="Config">The inferred architecture.</param>
/// <param name="Tensors">Exactly the parameters <see cref="RnnModel.ParameterNames"/> lists for <paramref name="Config"/>, and
/// from an ONNX graph with constant initial states also <c>initial_h</c> / <c>initial_c</c> (<see cref="RecurrentParameterSchema"/>).</param>
public sealed record ImportedModel(RnnConfig Config, Dictionary<string, float[]> Tensors)
{
    /// <summary>Builds the model (validating every tensor again).</summary>
    public RnnModel ToModel() => RnnModel.FromPyTorch(Config, Tensors);
}
