using Fixtures = FastRnn.Tests.Support.Fixtures;

namespace FastRnn.Tests.Onnx;

/// <summary>The models in Fixtures/onnx (made by tools/gen_onnx_fixtures.py; see the README there).</summary>
internal static class OnnxFixtures
{
    /// <summary>Models that are not recurrent stacks FastRnn can run, for the error tests.</summary>
    public static readonly string[] Unsupported = ["lstm_matmul_head"];

    public static string PathOf(string name) => Path.Combine(Fixtures.Directory("onnx"), name + ".onnx");

    /// <summary>
    /// The model ONNX Runtime runs for <paramref name="name"/>: its <c>.reference.onnx</c> twin where there is one
    /// (layout = 1, which ONNX Runtime's CPU kernels refuse), else the model itself.
    /// </summary>
    public static string OraclePathOf(string name)
    {
        string twin = Path.Combine(Fixtures.Directory("onnx"), name + ".reference.onnx");
        return File.Exists(twin) ? twin : PathOf(name);
    }

    /// <summary>Every model FastRnn must run like ONNX Runtime, by name without extension.</summary>
    public static IEnumerable<object[]> Runnable()
        => Fixtures.Files("onnx", "*.onnx")
            .Select(f => Path.GetFileNameWithoutExtension(f))
            .Where(n => !Unsupported.Contains(n))
            .Select(n => new object[] { n });

    /// <summary>A seed per fixture that does not change when other fixtures are added.</summary>
    public static int Seed(string name)
    {
        // FNV-1a: string.GetHashCode is randomised per process.
        uint hash = 2166136261;
        foreach (char c in name)
            hash = (hash ^ c) * 16777619;
        return (int)(hash & 0x7FFFFFFF);
    }
}
