namespace FastRnn.Format;

/// <summary>What <see cref="FrnnParser"/> decodes from a valid file: the tensor table in file order, the metadata,
/// and the checksum the header stores (verified unless the parse deferred it).</summary>
internal sealed record FrnnContents(int Version, FrnnTensorInfo[] Tensors, MetadataDictionary Metadata, uint Checksum);
