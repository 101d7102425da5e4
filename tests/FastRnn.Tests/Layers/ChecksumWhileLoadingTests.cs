using FastRnn.Decoding;
using FastRnn.Format;
using FastRnn.Kernels;
using FastRnn.Tests.Format;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Layers;

/// <summary>
/// The model loaders verify a file's checksum last, joined from the CRCs the weight packers compute as they read each
/// tensor and the bytes between (<see cref="SourceChecksum"/>). Every corrupt byte must still be refused, with the
/// stored and the true checksum (from the bitwise reference) named, and nothing returned.
/// </summary>
public class ChecksumWhileLoadingTests
{
    // Two layers, both directions, H = 17: every W is (68, ·), so its packer takes two full panels by register
    // transposes and a partial one element by element; I = 13 and 34 leave column tails.
    private static readonly RnnFixture Lstm = RnnFixture.Load("lstm_l2_bi_i13_h17_p5_b3_t100_given");

    // A GRU whose every weight has whole quads of columns (the int8 packer's transposed path), beside the fixture,
    // whose column counts (13, 17, 34) take the padded one.
    private static readonly RnnConfig WholeQuads = new() { Kind = RecurrentKind.Gru, InputSize = 24, HiddenSize = 40, NumLayers = 2 };

    public static IEnumerable<object?[]> Files() =>
        from wholeQuads in new[] { false, true }
        from precision in new WeightPrecision?[] { null, WeightPrecision.BFloat16, WeightPrecision.Int8 }
        select new object?[] { wholeQuads, precision };

    [Theory]
    [MemberData(nameof(Files))]
    public void Load_ReportsTheChecksumMismatch_ForAFlippedByteInEveryTensorAndBetweenThem(bool wholeQuads, WeightPrecision? precision)
    {
        // float32, bfloat16 and int8 weights each have their own packer, and each checksums what it packs.
        byte[] valid = wholeQuads
            ? RnnModel.ToFrnn(WholeQuads, OnnxFeatureTests.RandomParameters(WholeQuads, new Random(17)))
            : RnnModel.ToFrnn(Lstm.Config, Lstm.Parameters);
        if (precision is { } weights)
        {
            using var fp32 = FrnnFile.Parse(valid);
            valid = FrnnQuantizer.Convert(fp32, weights, minElements: 1).ToArray();
        }
        Assert.NotNull(RnnModel.Load(valid));
        var positions = new List<long>();
        long dataStart;
        using (var file = FrnnFile.Parse(valid))
        {
            dataStart = file.Tensors.Min(t => t.FileOffset);
            foreach (FrnnTensorInfo t in file.Tensors)
            {
                // First, last and a stride through the middle of each tensor, and the padding byte before it.
                for (long at = t.FileOffset; at < t.FileOffset + t.ByteLength; at += 97)
                    positions.Add(at);
                positions.Add(t.FileOffset + t.ByteLength - 1);
                if (t.FileOffset > dataStart)
                    positions.Add(t.FileOffset - 1);
            }

            positions.Add(valid.Length - 1);
        }

        foreach (long position in positions.Distinct())
        {
            byte[] corrupt = (byte[])valid.Clone();
            corrupt[position] ^= 0x10;
            ExpectMismatch(corrupt, () => RnnModel.Load(corrupt), $"{precision?.ToString() ?? "float32"} byte {position}");
        }
    }

    public static IEnumerable<object?[]> Precisions() =>
        new WeightPrecision?[] { null, WeightPrecision.BFloat16, WeightPrecision.Int8 }.Select(p => new object?[] { p });

    [Theory]
    [MemberData(nameof(Precisions))]
    public void LoadOnTwoThreads_MatchesTheDoubleReference_AndReportsAFlippedByteInEveryChunk(WeightPrecision? precision)
    {
        // I = H = 519: every weight is (2076, 519), 1 MiB or more in every precision, so its panels are shared among the
        // threads in chunks, each checksummed on its own and joined; the last panel has 28 rows, and int8 rows of 519
        // bytes take the padded repack.
        var config = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 519, HiddenSize = 519 };
        Dictionary<string, float[]> parameters = OnnxFeatureTests.RandomParameters(config, new Random(5));
        byte[] valid = RnnModel.ToFrnn(config, parameters);
        if (precision is { } weights)
        {
            using var fp32 = FrnnFile.Parse(valid);
            valid = FrnnQuantizer.Convert(fp32, weights).ToArray();
            using var converted = FrnnFile.Parse(valid);
            foreach (string name in new[] { "weight_ih_l0", "weight_hh_l0" })
                parameters[name] = converted.GetFloat32(name).ToArray(); // the reference runs the stored (rounded) weights
        }
        var options = new ModelLoadOptions { Threads = 2 };

        int parallelRuns = ParallelPacking.ParallelRunsOnThisThread;
        RnnModel model = RnnModel.Load(valid, options);
        // Both weights really were shared: a loader that dropped the option would pack them on this thread alone.
        Assert.True(ParallelPacking.ParallelRunsOnThisThread - parallelRuns >= 2, "the load did not share its packing among threads");
        const int steps = 3;
        float[] x = new float[steps * config.InputSize];
        var random = new Random(6);
        for (int i = 0; i < x.Length; i++)
            x[i] = (float)(random.NextDouble() * 2 - 1);
        float[] y = new float[steps * config.HiddenSize];
        using (RnnSession session = model.CreateSession())
            session.Run(x, y);
        (double[] expected, _, _) = Reference.ReferenceRnn.Run(config, parameters, x, steps, 1);
        // float32 sums of 1,038 products against double: the int8 kernels also quantize the input per step.
        double tolerance = precision == WeightPrecision.Int8 ? 2e-2 : 1e-4;
        for (int i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(y[i] - expected[i]) <= tolerance, $"{precision?.ToString() ?? "float32"} y[{i}] = {y[i]}, reference {expected[i]}");

        using (var file = FrnnFile.Parse(valid))
        {
            foreach (string name in new[] { "weight_ih_l0", "weight_hh_l0" })
            {
                FrnnTensorInfo t = file.GetTensorInfo(name);
                for (int k = 0; k < 40; k++)
                {
                    byte[] corrupt = (byte[])valid.Clone();
                    long position = t.FileOffset + t.ByteLength * k / 40 + 13 * k % 97;
                    corrupt[position] ^= 0x04;
                    ExpectMismatch(corrupt, () => RnnModel.Load(corrupt, options), $"{name} byte {position}");
                }
            }
        }
    }

    [Fact]
    public void Load_ReportsTheChecksumMismatch_InPlaceOfTheErrorTheCorruptionCausesWhileBuilding()
    {
        // A metadata value edited without fixing the checksum: the structure is still valid, so the build starts and
        // fails on the first tensor whose shape disagrees; the cause is the corruption, and that is what is reported.
        byte[] valid = RnnModel.ToFrnn(Lstm.Config, Lstm.Parameters);
        MetadataEntry inputSize = FrnnBytes.FindMetadata(valid, "rnn.input_size");
        byte[] corrupt = (byte[])valid.Clone();
        FrnnBytes.SetU64(corrupt, inputSize.ValueAt, 12);
        FrnnBytes.FixChecksum(corrupt);
        Assert.Contains("weight_ih_l0", Assert.Throws<FrnnFormatException>(() => RnnModel.Load(corrupt)).Message);

        FrnnBytes.SetU32(corrupt, FrnnBytes.ChecksumOffset, FrnnBytes.U32(valid, FrnnBytes.ChecksumOffset));
        ExpectMismatch(corrupt, () => RnnModel.Load(corrupt), "input size edited");
        // The failure the corruption caused is kept inside the mismatch, for whoever has to find out more.
        var e = Assert.Throws<FrnnFormatException>(() => RnnModel.Load(corrupt));
        Assert.Contains("weight_ih_l0", e.InnerException?.Message);
    }

    [Fact]
    public void LoadFromAPath_ReportsTheChecksumMismatch_AndReleasesTheFile()
    {
        byte[] corrupt = RnnModel.ToFrnn(Lstm.Config, Lstm.Parameters);
        using (var file = FrnnFile.Parse(corrupt))
            corrupt[file.GetTensorInfo("weight_hh_l1_reverse").FileOffset + 1000] ^= 0x01;
        using var temp = TempFile.With(corrupt);
        ExpectMismatch(corrupt, () => RnnModel.Load(temp.Path), "weight_hh_l1_reverse");
        File.Delete(temp.Path);
        Assert.False(File.Exists(temp.Path));
    }

    [Fact]
    public void TheSeq2SeqAndLanguageModelLoaders_ReportTheChecksumMismatch_ForAFlippedWeightByte()
    {
        foreach ((string name, Func<string, object> load) in new (string, Func<string, object>)[]
                 {
                     ("date-normalizer.frnn", path => Seq2SeqModel.Load(path)),
                     ("char-lm.frnn", path => LanguageModel.Load(path)),
                 })
        {
            byte[] corrupt = File.ReadAllBytes(Fixtures.ShippedModel(name));
            using (var file = FrnnFile.Parse(corrupt))
            {
                FrnnTensorInfo largest = file.Tensors.MaxBy(t => t.ByteLength)!;
                corrupt[largest.FileOffset + largest.ByteLength / 2] ^= 0x40;
            }

            using var temp = TempFile.With(corrupt);
            ExpectMismatch(corrupt, () => load(temp.Path), name);
        }
    }

    private static void ExpectMismatch(byte[] corrupt, Func<object> load, string what)
    {
        uint stored = FrnnBytes.U32(corrupt, FrnnBytes.ChecksumOffset), computed = FrnnBytes.Checksum(corrupt);
        Assert.True(stored != computed, $"test setup: {what} did not change the checksum");
        var e = Assert.Throws<FrnnFormatException>(load);
        Assert.True($"checksum mismatch: file says 0x{stored:X8}, contents hash to 0x{computed:X8}" == e.Message, $"{what}: {e.Message}");
    }
}
