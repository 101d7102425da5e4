using FastRnn.Format;

namespace FastRnn.Tests.Decoding;

/// <summary>Model files that differ from a fixture in their metadata only, for tests of what the metadata says.</summary>
internal static class Seq2SeqFileEdits
{
    /// <summary>The bytes of a copy of the .frnn file at <paramref name="path"/> with metadata entries replaced, added or (null) removed.</summary>
    public static byte[] Rewrite(string path, params (string Key, object? Value)[] changes)
    {
        using FrnnFile source = FrnnFile.Open(path);
        var writer = new FrnnWriter();
        var metadata = source.Metadata.ToDictionary(m => m.Key, m => (object?)m.Value);
        foreach (var (key, value) in changes)
            metadata[key] = value;
        foreach (var (key, value) in metadata)
        {
            switch (value)
            {
                case null: break;
                case string s: writer.AddMetadata(key, s); break;
                case long l: writer.AddMetadata(key, l); break;
                case bool b: writer.AddMetadata(key, b); break;
                case double d: writer.AddMetadata(key, d); break;
                case IReadOnlyList<string> list: writer.AddMetadata(key, list.ToArray()); break;
                case IReadOnlyList<long> list: writer.AddMetadata(key, list.ToArray()); break;
                default: throw new InvalidOperationException($"metadata '{key}' of type {value.GetType()}");
            }
        }
        foreach (FrnnTensorInfo t in source.Tensors)
            writer.AddTensor(t.Name, t.Shape.ToArray(), source.GetFloat32(t.Name));
        return writer.ToArray();
    }
}
