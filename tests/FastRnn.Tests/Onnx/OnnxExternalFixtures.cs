using Google.Protobuf;
using Onnx;
using Fixtures = FastRnn.Tests.Support.Fixtures;

namespace FastRnn.Tests.Onnx;

/// <summary>
/// The models of Fixtures/onnx-external (made by tools/gen_onnx_external_fixtures.py): <c>NAME.onnx</c> with its
/// weights inside, and <c>NAME_one/model.onnx</c> / <c>NAME_many/model.onnx</c> with every tensor in external data
/// (one shared file, one file per tensor); and copies of them in a scratch directory for the hostile cases.
/// </summary>
internal static class OnnxExternalFixtures
{
    public static string InlinePathOf(string name) => Path.Combine(Fixtures.Directory("onnx-external"), name + ".onnx");

    public static string ExternalPathOf(string name, string layout) => Path.Combine(Fixtures.Directory("onnx-external"), $"{name}_{layout}", "model.onnx");

    /// <summary>Copies the files of <c>NAME_layout</c> into <paramref name="directory"/>; returns the copied model's path.</summary>
    public static string CopyTo(string directory, string name, string layout)
    {
        Directory.CreateDirectory(directory);
        foreach (string file in Directory.EnumerateFiles(Path.GetDirectoryName(ExternalPathOf(name, layout))!))
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)), overwrite: true);
        return Path.Combine(directory, "model.onnx");
    }

    public static ModelProto Load(string path) => ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));

    /// <summary>Rewrites the model at <paramref name="path"/> with <paramref name="change"/> applied.</summary>
    public static void Edit(string path, Action<ModelProto> change)
    {
        ModelProto model = Load(path);
        change(model);
        File.WriteAllBytes(path, model.ToByteArray());
    }

    /// <summary>Every initializer and every tensor attribute of the top graph.</summary>
    public static IEnumerable<TensorProto> Tensors(ModelProto model)
        => model.Graph.Initializer.Concat(model.Graph.Node.SelectMany(n => n.Attribute).Where(a => a.T is not null).Select(a => a.T));

    /// <summary>Sets <paramref name="key"/> among <paramref name="t"/>'s external_data entries (replacing it), or removes it for null.</summary>
    public static void SetEntry(TensorProto t, string key, string? value)
    {
        StringStringEntryProto? old = t.ExternalData.FirstOrDefault(e => e.Key == key);
        if (old is not null)
            t.ExternalData.Remove(old);
        if (value is not null)
            t.ExternalData.Add(new StringStringEntryProto { Key = key, Value = value });
    }

    public static string Entry(TensorProto t, string key) => t.ExternalData.First(e => e.Key == key).Value;
}
