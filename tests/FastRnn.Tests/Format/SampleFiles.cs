using FastRnn.Format;

namespace FastRnn.Tests.Format;

/// <summary>Writers for the files the format tests start from. Data is seeded, so every run sees the same bytes.</summary>
internal static class SampleFiles
{
    /// <summary>Every metadata type and tensors of rank 0 to 3 plus an empty one.</summary>
    public static FrnnWriter Full()
    {
        var writer = new FrnnWriter();
        writer.AddMetadata("fastrnn.arch", "lstm");
        writer.AddMetadata("lstm.hidden_size", 3L);
        writer.AddMetadata("lstm.dropout", 0.25);
        writer.AddMetadata("lstm.bidirectional", true);
        writer.AddMetadata("lstm.layer_sizes", [4L, -5L, long.MaxValue]);
        writer.AddMetadata("vocab", ["<pad>", "héllo", ""]);
        writer.AddMetadata("empty.string", "");
        writer.AddMetadata("empty.ints", Array.Empty<long>());
        writer.AddMetadata("flag.off", false);

        writer.AddTensor("scalar", [], Values(1, seed: 1));
        writer.AddTensor("bias", [5], Values(5, seed: 2));
        writer.AddTensor("weight", [4, 3], Values(12, seed: 3));
        writer.AddTensor("empty", [0, 7], []);
        writer.AddTensor("cube", [2, 3, 4], Values(24, seed: 4));
        return writer;
    }

    /// <summary>Two 32-element tensors (128 bytes each), at data offsets 0 and 128, plus one metadata entry.</summary>
    public static byte[] TwoTensors()
    {
        var writer = new FrnnWriter();
        writer.AddMetadata("hidden", 8L);
        writer.AddTensor("first", [4, 8], Values(32, seed: 5));
        writer.AddTensor("second", [32], Values(32, seed: 6));
        return writer.ToArray();
    }

    /// <summary>A small file (one of each metadata type, three tensors) for byte-by-byte corruption sweeps.</summary>
    public static byte[] Small()
    {
        var writer = new FrnnWriter();
        writer.AddMetadata("i", 7L);
        writer.AddMetadata("d", 1.5);
        writer.AddMetadata("s", "ab");
        writer.AddMetadata("b", true);
        writer.AddMetadata("ia", [1L, 2L]);
        writer.AddMetadata("sa", ["x", "yz"]);
        writer.AddTensor("w", [2, 3], Values(6, seed: 7));
        writer.AddTensor("z", [0], []);
        writer.AddTensor("s", [], Values(1, seed: 8));
        return writer.ToArray();
    }

    public static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }
}
