using System.Globalization;
using FastRnn.Import;
using FastRnn.Tests.Cli;
using FastRnn.Tests.Onnx;
using Google.Protobuf;
using Onnx;

namespace FastRnn.Tests.Fuzz;

/// <summary>
/// ONNX models with external data, mutated where the external data reader decides: locations (inside the model's
/// directory, escaping it by <c>..</c>, absolute paths and symbolic links, malformed), offsets, lengths, checksums,
/// duplicate and unknown keys, shapes and data_location, then imported from a scratch directory. Everything a
/// mutant could name lies in that directory: an escaping location finds a decoy copy of the weights one level up,
/// never a file of the machine. An import that succeeds must have read only files of the model's own directory.
/// </summary>
internal sealed class OnnxExternalDataFuzz : IDisposable
{
    private readonly TempDirectory _root = new();
    private readonly string _models;
    private readonly HashSet<string> _inside = new(StringComparer.Ordinal);
    private readonly string[] _locations;

    public OnnxExternalDataFuzz()
    {
        _models = _root.File("model");
        Directory.CreateDirectory(_models);
        // All in one directory, so no file may be named twice: lstm_linear_many's constN files would replace lstm_many's,
        // and lstm_linear_one's weights.bin is renamed.
        string linear = OnnxExternalFixtures.CopyTo(_root.File("linear"), "lstm_linear", "one");
        File.Move(_root.File(Path.Combine("linear", "weights.bin")), Path.Combine(_models, "linear.bin"));
        OnnxExternalFixtures.Edit(linear, m =>
        {
            foreach (TensorProto t in OnnxExternalFixtures.Tensors(m))
                OnnxExternalFixtures.SetEntry(t, "location", "linear.bin");
        });
        Corpus = [File.ReadAllBytes(OnnxExternalFixtures.CopyTo(_models, "lstm", "one")), File.ReadAllBytes(OnnxExternalFixtures.CopyTo(_models, "lstm", "many")), File.ReadAllBytes(linear)];
        Directory.CreateDirectory(Path.Combine(_models, "sub"));
        File.Copy(Path.Combine(_models, "weights.bin"), _root.File("weights.bin")); // the decoy an escape would find
        File.CreateSymbolicLink(Path.Combine(_models, "inside.bin"), "weights.bin");
        File.CreateSymbolicLink(Path.Combine(_models, "outside.bin"), _root.File("weights.bin"));
        foreach (string file in Directory.EnumerateFiles(_models))
            _inside.Add(Path.GetFileName(file));
        _inside.Remove("outside.bin");
        _locations =
        [
            .. _inside.Take(8), "./weights.bin", "sub//..//weights.bin", "../weights.bin", "..\\weights.bin", "sub/../../weights.bin",
            _root.File("weights.bin"), "outside.bin", "C:\\weights.bin", "\\\\host\\weights.bin", "weights.bin\0", "", "sub", ".", "missing.bin",
        ];
    }

    /// <summary>The valid models: a recurrent stack in one shared file and in one file per tensor, and a graph model.</summary>
    public IReadOnlyList<byte[]> Corpus { get; }

    public byte[] Mutate(ByteMutator m, byte[] model, byte[] other)
    {
        if (m.Next(5) == 0)
            return m.Mutate(model, other);
        ModelProto proto = ModelProto.Parser.ParseFrom(model);
        TensorProto[] tensors = OnnxExternalFixtures.Tensors(proto).ToArray();
        int edits = 1 + m.Next(3);
        for (int i = 0; i < edits; i++)
        {
            TensorProto t = tensors[m.Next(tensors.Length)];
            switch (m.Next(9))
            {
                case 0 or 1:
                    OnnxExternalFixtures.SetEntry(t, "location", _locations[m.Next(_locations.Length)]);
                    break;
                case 2:
                    OnnxExternalFixtures.SetEntry(t, "offset", Number(m));
                    break;
                case 3:
                    OnnxExternalFixtures.SetEntry(t, "length", m.Next(4) == 0 ? null : Number(m));
                    break;
                case 4:
                    OnnxExternalFixtures.SetEntry(t, "checksum", m.Next(2) == 0 ? new string('0', 40) : "not a digest");
                    break;
                case 5:
                {
                    string key = new[] { "location", "offset", "length", "checksum", "basepath" }[m.Next(5)];
                    t.ExternalData.Add(new StringStringEntryProto { Key = key, Value = Number(m) });
                    break;
                }
                case 6:
                    if (t.Dims.Count > 0)
                        t.Dims[m.Next(t.Dims.Count)] = m.BoundaryLong();
                    else
                        t.Dims.Add(m.BoundaryLong());
                    break;
                case 7:
                    t.DataType = m.Next(17);
                    break;
                default:
                    if (m.Next(2) == 0)
                        t.DataLocation = TensorProto.Types.DataLocation.Default;
                    else
                        t.RawData = ByteString.CopyFrom(new byte[m.Next(64)]);
                    break;
            }
        }
        return proto.ToByteArray();
    }

    /// <summary>Imports the mutant from the scratch directory; success is allowed only when every location names a file there.</summary>
    public void Read(byte[] bytes)
    {
        string path = Path.Combine(_models, "mutant.onnx");
        File.WriteAllBytes(path, bytes);
        // As fastrnn convert picks the importer; the recurrent stack's T and B stay dynamic, so it never needs the graph one.
        if (OnnxGraphImporter.NeedsGraph(path))
            OnnxGraphImporter.Import(path);
        else
            OnnxImporter.Import(path);
        foreach (TensorProto t in OnnxExternalFixtures.Tensors(ModelProto.Parser.ParseFrom(bytes)).Where(t => t.ExternalData.Count > 0))
        {
            string location = t.ExternalData.First(e => e.Key == "location").Value;
            string plain = string.Join('/', location.Split('/', '\\').Where(s => s is not ("" or ".")));
            Assert.True(_inside.Contains(plain), $"tensor '{t.Name}' was read from {location}, which is not a file of the model's directory");
        }
    }

    public void Dispose() => _root.Dispose();

    private static string Number(ByteMutator m) => m.Next(6) switch
    {
        0 => m.BoundaryLong().ToString(CultureInfo.InvariantCulture),
        1 => "-" + m.Next(100),
        2 => "0x10",
        3 => "99999999999999999999",
        _ => m.Next(5000).ToString(CultureInfo.InvariantCulture),
    };
}
