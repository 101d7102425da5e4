namespace FastRnn.Import;

/// <summary>Reads an .onnx file whole, refusing before any read what cannot be one protobuf message.</summary>
internal static class OnnxModelFile
{
    /// <summary>
    /// Protobuf messages are limited to 2 GiB, so a larger model keeps its weights in external data files (which
    /// FastRnn reads, see <see cref="OnnxExternalData"/>): a larger .onnx file is refused from its length alone, naming it.
    /// </summary>
    public const long MaxLength = int.MaxValue;

    /// <summary>The bytes of the file at <paramref name="path"/>.</summary>
    /// <exception cref="ImportException">The path is a directory, or the file is larger than <see cref="MaxLength"/>.</exception>
    public static byte[] Read(string path)
    {
        InputFiles.RequireFile(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        long length = stream.Length;
        if (length > Math.Min(MaxLength, Array.MaxLength))
        {
            throw OnnxErrors.NotOnnx(Path.GetFileName(path),
                $"the file is {length:N0} bytes, and an ONNX model with its weights inside is one protobuf message of at most 2 GiB; a larger model keeps its weights in external data files (onnx.save(model, path, save_as_external_data=True)), which FastRnn reads");
        }
        var bytes = new byte[length]; // bounded by the file's length, just checked
        stream.ReadExactly(bytes);
        return bytes;
    }
}
