namespace FastRnn.Format;

/// <summary>What <see cref="FrnnParser"/> decodes from a valid file: the tensor table in file order and the
/// metadata.</summary>
internal sealed record FrnnContents(int Version, FrnnTensorInfo[] Tensors, MetadataDictionary Metadata);
