using FastRnn.Layers;
using FastRnn.Tests.Reference;
using FastRnn.Tests.Streaming;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Layers;

/// <summary>
/// A first layer fed token ids through its folded embedding (<see cref="EmbeddingProjection"/>): the steps and sequences
/// against the double-precision reference run on the embedded vectors, a sequence's bits against the same sequence run
/// from its embedded vectors, and the size rule that keeps a large vocabulary on the product.
/// </summary>
public class EmbeddingProjectionTests
{
    private const int Vocabulary = 30, EmbeddingSize = 24;

    public static IEnumerable<object[]> Configs() =>
    [
        ["lstm 2 layers", new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = EmbeddingSize, HiddenSize = 40, NumLayers = 2 }],
        ["lstm proj_size", new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = EmbeddingSize, HiddenSize = 33, ProjSize = 11 }],
        ["gru reset after, 2 layers", new RnnConfig { Kind = RecurrentKind.Gru, InputSize = EmbeddingSize, HiddenSize = 17, NumLayers = 2 }],
        ["gru reset before", new RnnConfig { Kind = RecurrentKind.Gru, InputSize = EmbeddingSize, HiddenSize = 21, GruResetAfter = false }],
        ["rnn tanh", new RnnConfig { Kind = RecurrentKind.Rnn, InputSize = EmbeddingSize, HiddenSize = 19 }],
    ];

    [Theory]
    [MemberData(nameof(Configs))]
    public void StepTokens_MatchesTheDoubleReferenceOnTheEmbeddedInputs(string name, RnnConfig config)
    {
        const int steps = 12, batch = 3;
        var parameters = StreamModels.Parameters(config, initialState: false, seed: 11);
        RnnModel model = RnnModel.FromPyTorch(config, parameters);
        (Embedding embedding, float[] table) = RandomEmbedding(Vocabulary, EmbeddingSize, seed: 12);
        EmbeddingProjection projection = EmbeddingProjection.TryBuild(embedding, model) ?? throw new InvalidOperationException("no tables built");
        int[] tokens = RandomTokens(steps * batch, seed: 13);

        using RnnSession session = model.CreateSession(batch, steps);
        int width = config.OutputHiddenSize;
        var output = new float[steps * batch * width];
        for (int t = 0; t < steps; t++)
            session.StepTokens(tokens.AsSpan(t * batch, batch), projection, output.AsSpan(t * batch * width, batch * width));

        (double[] expected, _, _) = ReferenceRnn.Run(config, parameters, Embed(tokens, table), steps, batch);
        Compare.Close(expected.Select(v => (float)v).ToArray(), output, 2e-5, name);
    }

    [Theory]
    [InlineData(RecurrentKind.Lstm)]
    [InlineData(RecurrentKind.Gru)]
    public void RunTokens_GivesTheBitsOfRunOnTheEmbeddedInputs_BidirectionalAndRagged(RecurrentKind kind)
    {
        const int steps = 9, batch = 4;
        var config = new RnnConfig { Kind = kind, InputSize = EmbeddingSize, HiddenSize = 26, NumLayers = 2, Bidirectional = true };
        var parameters = StreamModels.Parameters(config, initialState: false, seed: 21);
        RnnModel model = RnnModel.FromPyTorch(config, parameters);
        (Embedding embedding, float[] table) = RandomEmbedding(Vocabulary, EmbeddingSize, seed: 22);
        EmbeddingProjection projection = EmbeddingProjection.TryBuild(embedding, model) ?? throw new InvalidOperationException("no tables built");
        int[] tokens = RandomTokens(steps * batch, seed: 23), lengths = [9, 7, 7, 2];
        float[] embedded = Embed(tokens, table);

        float[] Run(bool fromTokens)
        {
            using RnnSession session = model.CreateSession(batch, steps);
            var output = new float[steps * batch * config.OutputSize];
            if (fromTokens)
                session.RunTokens(tokens, projection, output, lengths);
            else
                session.Run(embedded, output, lengths);
            return output;
        }

        float[] viaTokens = Run(fromTokens: true), viaVectors = Run(fromTokens: false);
        Assert.True(viaTokens.AsSpan().SequenceEqual(viaVectors), $"{kind}: a sequence from its tokens differs from the same sequence from its embedded vectors");
        (double[] expected, _, _) = ReferenceRnn.Run(config, parameters, embedded, steps, batch, lengths: lengths);
        Compare.Close(expected.Select(v => (float)v).ToArray(), viaTokens, 2e-5, $"{kind} from tokens");
    }

    [Theory]
    [InlineData(1, 1, 1)]   // one row: the tables' tiled-product bits, where Run took the one-vector product
    [InlineData(70, 2, 2)]  // two pieces of the session's 32 steps and a partial one, on two threads
    public void RunTokens_ForwardInPieces_OrOneRow_MatchesTheDoubleReference(int steps, int batch, int threads)
    {
        var config = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = EmbeddingSize, HiddenSize = 48, NumLayers = 2 };
        var parameters = StreamModels.Parameters(config, initialState: false, seed: 51);
        RnnModel model = RnnModel.FromPyTorch(config, parameters);
        (Embedding embedding, float[] table) = RandomEmbedding(Vocabulary, EmbeddingSize, seed: 52);
        EmbeddingProjection projection = EmbeddingProjection.TryBuild(embedding, model) ?? throw new InvalidOperationException("no tables built");
        int[] tokens = RandomTokens(steps * batch, seed: 53);

        using RnnSession session = model.CreateSession(batch, maxSequenceLength: 32, threads);
        var output = new float[steps * batch * config.OutputSize];
        session.RunTokens(tokens, projection, output);

        (double[] expected, _, _) = ReferenceRnn.Run(config, parameters, Embed(tokens, table), steps, batch);
        Compare.Close(expected.Select(v => (float)v).ToArray(), output, 2e-5, $"T={steps} B={batch} threads={threads}");
    }

    [Fact]
    public void ShippedModels_TakeTheTables_UnlessTheSwitchTurnsThemOff()
    {
        // CI runs the decoding and streaming tests once more with FASTRNN_EMBEDDING_TABLES=0, so that the product path
        // these models would otherwise never take is tested too; this checks that the switch did what it says.
        bool off = Environment.GetEnvironmentVariable(EmbeddingProjection.EnvironmentVariable)?.Trim() == "0";
        Assert.Equal(off, EmbeddingProjection.Disabled);
        var lm = FastRnn.Decoding.LanguageModel.Load(Fixtures.ShippedModel("char-lm.frnn"));
        var dates = FastRnn.Decoding.Seq2SeqModel.Load(Fixtures.ShippedModel("date-normalizer.frnn"));
        Assert.Equal(off, lm.Projection is null);
        Assert.Equal(off, dates.EncoderProjection is null);
    }

    [Fact]
    public void Tables_OfAnotherModel_AreRefused()
    {
        var config = new RnnConfig { Kind = RecurrentKind.Gru, InputSize = EmbeddingSize, HiddenSize = 10 };
        RnnModel model = RnnModel.FromPyTorch(config, StreamModels.Parameters(config, initialState: false, seed: 61));
        RnnModel twin = RnnModel.FromPyTorch(config, StreamModels.Parameters(config, initialState: false, seed: 62));
        EmbeddingProjection theirs = EmbeddingProjection.TryBuild(RandomEmbedding(Vocabulary, EmbeddingSize, seed: 63).Embedding, twin)!;
        using RnnSession session = model.CreateSession(1, 4);
        var error = Assert.Throws<ArgumentException>(() => session.StepTokens([3], theirs, new float[10]));
        Assert.Contains("built for another model", error.Message);
        Assert.Throws<ArgumentException>(() => session.RunTokens([1, 2], theirs, new float[20]));
    }

    [Fact]
    public void TryCreate_BuildsSmallOrNarrowVocabularies_AndKeepsTheProductForLargeOnes()
    {
        var config = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = 8, HiddenSize = 64 };
        RnnModel model = RnnModel.FromPyTorch(config, StreamModels.Parameters(config, initialState: false, seed: 31));
        // 4H = 256 floats a row, 1 KiB: 1,024 rows are the SmallBytes budget.
        Assert.NotNull(EmbeddingProjection.TryBuild(RandomEmbedding(16, 8, seed: 32).Embedding, model));    // V ≤ 2E
        Assert.NotNull(EmbeddingProjection.TryBuild(RandomEmbedding(1024, 8, seed: 33).Embedding, model));  // V > 2E, 1 MiB
        Assert.Null(EmbeddingProjection.TryBuild(RandomEmbedding(1025, 8, seed: 34).Embedding, model));     // V > 2E, over 1 MiB
        Assert.Null(EmbeddingProjection.TryBuild(RandomEmbedding(16, 9, seed: 35).Embedding, model));       // E ≠ the layer's input
    }

    [Fact]
    public void Gather_RefusesAnIdOutsideTheVocabulary()
    {
        var config = new RnnConfig { Kind = RecurrentKind.Gru, InputSize = EmbeddingSize, HiddenSize = 10 };
        RnnModel model = RnnModel.FromPyTorch(config, StreamModels.Parameters(config, initialState: false, seed: 41));
        EmbeddingProjection projection = EmbeddingProjection.TryBuild(RandomEmbedding(Vocabulary, EmbeddingSize, seed: 42).Embedding, model)!;
        using RnnSession session = model.CreateSession(2, 1);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => session.StepTokens([3, Vocabulary], projection, new float[20]));
        Assert.Contains($"token 1 has id {Vocabulary}, outside the vocabulary 0..{Vocabulary - 1}", error.Message);
        var shape = Assert.Throws<ArgumentException>(() => session.StepTokens([3], projection, new float[20]));
        Assert.Contains("tokens has 1 ids; expected B = 2", shape.Message);
    }

    [Fact]
    public void RunTokens_WithABadId_OnTwoThreadsSideBySide_ThrowsThatError_AndTheNextRunIsRight()
    {
        const int steps = 40, batch = 2;
        var config = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = EmbeddingSize, HiddenSize = 26, Bidirectional = true };
        var parameters = StreamModels.Parameters(config, initialState: false, seed: 51);
        RnnModel model = RnnModel.FromPyTorch(config, parameters);
        (Embedding embedding, float[] table) = RandomEmbedding(Vocabulary, EmbeddingSize, seed: 52);
        EmbeddingProjection projection = EmbeddingProjection.TryBuild(embedding, model)!;
        using RnnSession session = model.CreateSession(batch, steps, threads: 2);
        int[] tokens = RandomTokens(steps * batch, seed: 53), bad = (int[])tokens.Clone();
        bad[^1] = Vocabulary; // read by both directions: the forward one last, the backward one first
        var output = new float[steps * batch * config.OutputSize];

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => session.RunTokens(bad, projection, output));
        Assert.Contains($"outside the vocabulary 0..{Vocabulary - 1}", error.Message);

        // Neither thread's failure is left behind for the next run to report.
        session.Reset();
        session.RunTokens(tokens, projection, output);
        Assert.True(session.LayersRunSideBySide > 0, "the layer did not run its directions side by side");
        (double[] expected, _, _) = ReferenceRnn.Run(config, parameters, Embed(tokens, table), steps, batch);
        Compare.Close(expected.Select(v => (float)v).ToArray(), output, 2e-5, "after the failed run");
    }

    [Fact]
    public void RunTokens_WithABadId_OnTwoThreadsPipelined_ThrowsThatError_AndTheNextRunIsRight()
    {
        const int steps = 48, batch = 1;
        var config = new RnnConfig { Kind = RecurrentKind.Gru, InputSize = EmbeddingSize, HiddenSize = 40, NumLayers = 2 };
        var parameters = StreamModels.Parameters(config, initialState: false, seed: 61);
        RnnModel model = RnnModel.FromPyTorch(config, parameters);
        (Embedding embedding, float[] table) = RandomEmbedding(Vocabulary, EmbeddingSize, seed: 62);
        EmbeddingProjection projection = EmbeddingProjection.TryBuild(embedding, model)!;
        using RnnSession session = model.CreateSession(batch, steps, threads: 2);
        int[] tokens = RandomTokens(steps * batch, seed: 63), bad = (int[])tokens.Clone();
        bad[40] = -1; // in the third chunk: refused before either thread starts, named by its place in the sequence
        var output = new float[steps * batch * config.OutputSize];

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => session.RunTokens(bad, projection, output));
        Assert.Contains("token 40 has id -1", error.Message);

        session.Reset();
        session.RunTokens(tokens, projection, output);
        Assert.Equal(1, session.PiecesPipelined);
        (double[] expected, _, _) = ReferenceRnn.Run(config, parameters, Embed(tokens, table), steps, batch);
        Compare.Close(expected.Select(v => (float)v).ToArray(), output, 2e-5, "after the failed run");
    }

    private static (Embedding Embedding, float[] Table) RandomEmbedding(int vocabulary, int size, int seed)
    {
        float[] table = StreamModels.Uniform(new Random(seed), vocabulary * size, 1f);
        var source = new DictionaryTensorSource(new Dictionary<string, float[]> { ["embedding.weight"] = table });
        return (new Embedding(source, "embedding", vocabulary, size), table);
    }

    private static int[] RandomTokens(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => random.Next(Vocabulary))];
    }

    private static float[] Embed(int[] tokens, float[] table)
    {
        var x = new float[tokens.Length * EmbeddingSize];
        for (int n = 0; n < tokens.Length; n++)
            table.AsSpan(tokens[n] * EmbeddingSize, EmbeddingSize).CopyTo(x.AsSpan(n * EmbeddingSize));
        return x;
    }
}
