using FastRnn.Decoding;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Decoding;

/// <summary>
/// Every architecture in Fixtures/seq2seq (random weights; goldens from tools/seq2seq_reference.py in float64):
/// teacher-forced log-probabilities and attention within 2e-5, greedy and beam search giving the same tokens and
/// scores (within 1e-4) as the reference.
/// </summary>
public class Seq2SeqParityTests
{
    public static IEnumerable<object[]> Cases()
        => Fixtures.Files("seq2seq", "*.frnn").Select(f => new object[] { Path.GetFileNameWithoutExtension(f) });

    [Theory]
    [MemberData(nameof(Cases))]
    public void TeacherForcedLogProbabilitiesAndAttention_MatchPyTorch(string name)
    {
        var (model, golden) = Load(name);
        using var decoder = model.CreateDecoder();
        int n = golden.Tensors["src"].Shape[0], sMax = golden.Tensors["src"].Shape[1], t = golden.Tensors["tf_target"].Shape[1];
        int v = model.Config.TargetVocabularySize;
        for (int i = 0; i < n; i++)
        {
            int[] source = Source(golden, i);
            int[] target = Ints(golden["tf_target"].AsSpan(i * t, t));
            decoder.Encode(source);
            var logProbs = new float[t * v];
            var attention = new float[t * source.Length];
            decoder.Score(target, logProbs, attention);

            Compare.Close(golden["tf_logprobs"].AsSpan(i * t * v, t * v), logProbs, 2e-5, $"{name} source {i} log-probs");
            for (int step = 0; step < t; step++)
            {
                Compare.Close(golden["tf_attention"].AsSpan((i * t + step) * sMax, source.Length), attention.AsSpan(step * source.Length, source.Length),
                    2e-5, $"{name} source {i} step {step} attention");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Greedy_MatchesPyTorchTokensAndScore(string name)
    {
        var (model, golden) = Load(name);
        using var decoder = model.CreateDecoder();
        int n = golden.Tensors["src"].Shape[0], width = golden.Tensors["greedy_tokens"].Shape[1];
        var tokens = new int[64];
        for (int i = 0; i < n; i++)
        {
            decoder.Encode(Source(golden, i));
            int count = decoder.Decode(DecodingOptions.Greedy(maxLength: 12), tokens, out float score);
            Assert.Equal(Padded(golden["greedy_tokens"].AsSpan(i * width, width)), tokens[..count]);
            Assert.True(Math.Abs(golden["greedy_score"][i] - score) <= 1e-4, $"{name} source {i}: score {score}, expected {golden["greedy_score"][i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BeamSearch_MatchesPyTorchHypothesesAndScores(string name)
    {
        var (model, golden) = Load(name);
        using var decoder = model.CreateDecoder(beamSize: 5, maxOutputLength: 32);
        foreach (string setting in new[] { "a", "b" })
        {
            BeamOptions options = BeamSetting(golden, setting);
            var shape = golden.Tensors[$"beam_{setting}_tokens"].Shape;
            int n = shape[0], nBest = shape[1], width = shape[2];
            for (int i = 0; i < n; i++)
            {
                decoder.Encode(Source(golden, i));
                int results = decoder.BeamSearch(options);
                Assert.Equal(nBest, results);
                for (int r = 0; r < nBest; r++)
                {
                    ReadOnlySpan<int> tokens = decoder.GetBeamResult(r, out float raw, out float normalized);
                    string what = $"{name} beam {setting} source {i} rank {r}";
                    Assert.True(Padded(golden[$"beam_{setting}_tokens"].AsSpan(((i * nBest) + r) * width, width)).AsSpan().SequenceEqual(tokens),
                        $"{what}: tokens [{string.Join(",", tokens.ToArray())}] expected [{string.Join(",", Padded(golden[$"beam_{setting}_tokens"].AsSpan(((i * nBest) + r) * width, width)))}]");
                    Assert.True(Math.Abs(golden[$"beam_{setting}_raw"][i * nBest + r] - raw) <= 1e-4, $"{what}: raw {raw}");
                    Assert.True(Math.Abs(golden[$"beam_{setting}_normalized"][i * nBest + r] - normalized) <= 1e-4, $"{what}: normalized {normalized}");
                }
            }
        }
    }

    /// <summary>The beam options the reference used for setting "a" or "b", from the golden file's metadata.</summary>
    internal static BeamOptions BeamSetting(SafetensorsFile golden, string setting)
    {
        var m = golden.Metadata;
        return new BeamOptions
        {
            BeamSize = int.Parse(m[$"beam_{setting}_k"]),
            NBest = int.Parse(m[$"beam_{setting}_n_best"]),
            Penalty = m[$"beam_{setting}_penalty"] switch { "wu" => LengthPenalty.Wu, "avg" => LengthPenalty.Average, _ => LengthPenalty.None },
            Alpha = float.Parse(m[$"beam_{setting}_alpha"], System.Globalization.CultureInfo.InvariantCulture),
            MinLength = int.Parse(m[$"beam_{setting}_min_length"]),
            MaxLength = int.Parse(m[$"beam_{setting}_max_length"]),
            MaxLengthRatio = m.TryGetValue($"beam_{setting}_max_length_ratio", out string? ratio) && ratio != "none"
                ? double.Parse(ratio, System.Globalization.CultureInfo.InvariantCulture) : null,
        };
    }

    internal static (Seq2SeqModel Model, SafetensorsFile Golden) Load(string name)
    {
        string dir = Fixtures.Directory("seq2seq");
        return (Seq2SeqModel.Load(Path.Combine(dir, name + ".frnn")), SafetensorsFile.Read(Path.Combine(dir, name + ".golden.safetensors")));
    }

    internal static int[] Source(SafetensorsFile golden, int i)
    {
        int sMax = golden.Tensors["src"].Shape[1];
        return Ints(golden["src"].AsSpan(i * sMax, (int)golden["src_lengths"][i]));
    }

    internal static int[] Ints(ReadOnlySpan<float> values)
    {
        var ids = new int[values.Length];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = (int)values[i];
        return ids;
    }

    internal static int[] Padded(ReadOnlySpan<float> values) => Ints(values).TakeWhile(id => id >= 0).ToArray();
}
