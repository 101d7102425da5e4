using System.Text.RegularExpressions;
using FastRnn.Cli.Rendering;
using FastRnn.Decoding;
using FastRnn.Tests.Support;
using CliProgram = FastRnn.Cli.Program;

namespace FastRnn.Tests.Cli;

/// <summary>
/// <c>fastrnn translate</c> on the seq2seq fixture <c>tutorial.frnn</c> (random weights, char tokenizer, sources of
/// 'a'…'j' up to 16 long): its output is arbitrary, so every test compares with what the engine itself decodes.
/// </summary>
public sealed class TranslateCommandTests : IDisposable
{
    private static readonly string Tutorial = Path.Combine(Fixtures.Directory("seq2seq"), "tutorial.frnn");
    private static readonly Seq2SeqModel Model = Seq2SeqModel.Load(Tutorial);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("abcdefg")]
    [InlineData("jihgf")]
    [InlineData("a")]
    [InlineData("abcdefghijabcdef")] // the longest source the model takes
    public void Greedy_PrintsTheEnginesGreedyOutput_MadeOfTargetTokens(string text)
    {
        var (tokens, _) = EngineGreedy(text);
        string stdout = Translate(text).Succeeded().Out;

        Assert.Equal(Model.DecodeText(tokens) + "\n", stdout);
        string anyToken = string.Join("|", Enumerable.Range(0, Model.TargetVocabulary.Count).Select(id => Regex.Escape(Model.TargetVocabulary[id])));
        Assert.Matches($"^({anyToken})*\n$", stdout);
    }

    [Theory]
    [InlineData("abcdefg", 3)]
    [InlineData("jihgf", 3)]
    [InlineData("bbb", 2)]
    public void Beam_PrintsTheEnginesBestHypothesis(string text, int beam)
    {
        var (tokens, _) = EngineBeam(text, beam);
        Assert.Equal(Model.DecodeText(tokens) + "\n", Translate(text, "--beam", beam.ToString()).Succeeded().Out);
    }

    [Theory]
    [InlineData("abcdefg", 1)]
    [InlineData("jihgfedcba", 1)]
    [InlineData("abcdefg", 3)]
    public void ShowAttention_DrawsARowPerOutputTokenAndAColumnPerSourceCharacter(string text, int beam)
    {
        var (tokens, attention) = beam == 1 ? EngineGreedy(text) : EngineBeam(text, beam);
        string[] lines = Lines(Translate(text, "--show-attention", "--beam", beam.ToString()).Succeeded().Out);

        Assert.Equal(Model.DecodeText(tokens), lines[0]);
        Assert.StartsWith("attention weights", lines[1]);
        Assert.Equal(string.Join(" ", text.ToCharArray()), lines[2].Trim());
        string[] rows = [.. lines.Where(l => l.Contains('│'))];
        Assert.Equal(tokens.Length, rows.Length);
        int s = text.Length;
        for (int t = 0; t < rows.Length; t++)
        {
            string label = rows[t][..rows[t].IndexOf(" │", StringComparison.Ordinal)].Trim();
            Assert.Equal(TokenLabel.Visible(Model.TargetVocabulary[tokens[t]], AttentionGrid.MaxRowLabel), label);
            string cells = rows[t][(rows[t].IndexOf('│') + 1)..rows[t].LastIndexOf('│')];
            Assert.Equal(2 * s, cells.Length); // two characters per cell while the source fits in 80 columns
            for (int j = 0; j < s; j++)
                Assert.Equal(new string(AttentionGrid.Shade(attention[t * s + j]), 2), cells.Substring(2 * j, 2));
        }
        Assert.All(lines, l => Assert.True(l.Length <= 80, l));
    }

    [Fact]
    public void Svg_IsAWellFormedImageWithACellPerPair_AndEscapedLabels()
    {
        const string text = "a<&>b";
        var (tokens, attention) = EngineGreedy(text);
        string path = _dir.File("attention.svg");
        CliResult result = Translate(text, "--svg", path);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("fastrnn: warning: text: characters '<', '&', '>' not in the source vocabulary of tutorial.frnn; read as unknown\n", result.Error);
        Assert.Equal(Model.DecodeText(tokens) + "\n", result.Out); // the image is extra: stdout is still just the output

        string raw = File.ReadAllText(path);
        Assert.Contains("&lt;", raw);
        Assert.Contains("&amp;", raw);
        Assert.Contains("&gt;", raw);
        Assert.DoesNotContain("<&", raw);
        var svg = AttentionSvgTests.Parse(raw);
        Assert.Equal(["a", "<", "&", ">", "b"], AttentionSvgTests.Texts(svg, "source"));
        Assert.Equal(tokens.Select(id => TokenLabel.Visible(Model.TargetVocabulary[id])), AttentionSvgTests.Texts(svg, "output"));
        var cells = AttentionSvgTests.Cells(svg);
        Assert.Equal(tokens.Length * text.Length, cells.Count);
        for (int i = 0; i < cells.Count; i++)
            Assert.Equal(attention[i], AttentionSvgTests.Opacity(cells[i]), 0.0006);
        Assert.Contains("a<&>b", AttentionSvgTests.Title(svg));
    }

    [Fact]
    public void Svg_WithBeamAndAttention_WritesBothAndTheSameOutput()
    {
        var (tokens, _) = EngineBeam("hgfe", 3);
        string path = _dir.File("beam.svg");
        string[] lines = Lines(Translate("hgfe", "--beam", "3", "--show-attention", "--svg", path).Succeeded().Out);
        Assert.Equal(Model.DecodeText(tokens), lines[0]);
        Assert.Equal(tokens.Length, lines.Count(l => l.Contains('│')));
        Assert.Equal(tokens.Length * 4, AttentionSvgTests.Cells(AttentionSvgTests.Parse(File.ReadAllText(path))).Count);
    }

    [Fact]
    public void Stdin_AnswersEveryLine_OneLineEach_BlankLinesWithAnEmptyLineAndAnError()
    {
        string[] inputs = ["abc", "", "   ", "jihgfedcba", "e", "abcdefghij"];
        string stdin = "abc\n\n   \njihgfedcba\r\ne\nabcdefghij"; // CRLF and a last line without a newline
        string[] expected = [.. inputs.Select(text => text.Trim().Length == 0 ? "" : Model.DecodeText(EngineGreedy(text).Tokens))];
        string[] errors =
        [
            "fastrnn: error: stdin line 2: the text is empty; tutorial.frnn needs at least one source token",
            "fastrnn: error: stdin line 3: the text is empty; tutorial.frnn needs at least one source token",
        ];

        CliResult result = RunWithStdin(stdin, "translate", "--model", Tutorial);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(expected, Lines(result.Out));
        Assert.Equal(errors, Lines(result.Error));

        CliResult beam = RunWithStdin(stdin, "translate", "--beam", "3", "--model", Tutorial);
        Assert.Equal(2, beam.ExitCode);
        Assert.Equal(inputs.Select(text => text.Trim().Length == 0 ? "" : Model.DecodeText(EngineBeam(text, 3).Tokens)), Lines(beam.Out));
        Assert.Equal(errors, Lines(beam.Error));
    }

    [Fact]
    public void Stdin_WithShowAttention_FollowsEachAnswerWithItsGrid()
    {
        string[] lines = Lines(RunWithStdin("abc\nde\n", "translate", "--show-attention", "--model", Tutorial).Succeeded().Out);
        int rows = EngineGreedy("abc").Tokens.Length + EngineGreedy("de").Tokens.Length;
        Assert.Equal(rows, lines.Count(l => l.Contains('│')));
        Assert.Equal(2, lines.Count(l => l.StartsWith("attention weights", StringComparison.Ordinal)));
    }

    [Fact]
    public void Stdin_BadLine_IsAnsweredInPlace_AndTheRestGoOn()
    {
        CliResult result = RunWithStdin("abc\nabcdefghijabcdefghij\nab~c\nde\n", "translate", "--strict", "--model", Tutorial);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal([Model.DecodeText(EngineGreedy("abc").Tokens), "", "", Model.DecodeText(EngineGreedy("de").Tokens)], Lines(result.Out));
        Assert.Equal(
            [
                "fastrnn: error: stdin line 2: the text has 20 source tokens; tutorial.frnn accepts at most 16",
                "fastrnn: error: stdin line 3: character '~' not in the source vocabulary of tutorial.frnn",
            ],
            Lines(result.Error));
    }

    [Fact]
    public void Stdin_AllGood_ExitsZero_WithNothingOnStderr()
    {
        CliResult result = RunWithStdin("abc\nde\n", "translate", "--model", Tutorial).Succeeded();
        Assert.Equal([Model.DecodeText(EngineGreedy("abc").Tokens), Model.DecodeText(EngineGreedy("de").Tokens)], Lines(result.Out));
    }

    [Fact]
    public void EmptyOrTooLongText_IsBadData()
    {
        Translate("").Failed(2, "text: the text is empty");
        Translate("   ").Failed(2, "text: the text is empty");
        Translate(" \t ").Failed(2, "text: the text is empty");
        Translate(new string('a', Model.Config.MaxSourceLength + 1)).Failed(2, "accepts at most 16");
    }

    [Fact]
    public void UnknownCharacters_AreNamedInAWarning_AndTranslatedAsUnknown()
    {
        const string text = "30 нояб";
        CliResult result = Translate(text);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
            "fastrnn: warning: text: characters '3', '0', ' ', 'н', 'о', 'я', 'б' not in the source vocabulary of tutorial.frnn; read as unknown\n",
            result.Error);
        int unk = Model.Config.UnkId!.Value;
        using var decoder = Model.CreateDecoder();
        decoder.Encode(Enumerable.Repeat(unk, text.Length).ToArray());
        var tokens = new int[256];
        int n = decoder.Decode(DecodingOptions.Greedy(256), tokens, out _);
        Assert.Equal(Model.DecodeText(tokens.AsSpan(0, n)) + "\n", result.Out);
    }

    [Theory]
    [InlineData("ab~c", "character '~'")]
    [InlineData("x", "character 'x'")]
    [InlineData("a b", "character ' '")]
    public void UnknownCharacters_WithStrict_AreAnError(string text, string named)
        => Translate(text, "--strict").Failed(2, $"text: {named} not in the source vocabulary of tutorial.frnn");

    [Fact]
    public void Scores_FollowEachOutputWithPyTorchsScore()
    {
        // The golden's greedy outputs and scores come from the PyTorch reference (max_length 12, EOS included).
        SafetensorsFile golden = SafetensorsFile.Read(Path.Combine(Fixtures.Directory("seq2seq"), "tutorial.golden.safetensors"));
        int n = golden.Tensors["src"].Shape[0], width = golden.Tensors["greedy_tokens"].Shape[1];
        for (int i = 0; i < n; i++)
        {
            int[] source = Decoding.Seq2SeqParityTests.Source(golden, i);
            string text = string.Concat(source.Select(id => Model.SourceVocabulary[id]));
            int[] expected = [.. Decoding.Seq2SeqParityTests.Ints(golden["greedy_tokens"].AsSpan(i * width, width)).TakeWhile(id => id >= 0)];
            string[] fields = Translate(text, "--scores", "--max-length", "12").Succeeded().Out.TrimEnd('\n').Split('\t');
            Assert.Equal(2, fields.Length);
            Assert.Equal(Model.DecodeText(expected), fields[0]);
            float score = float.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(golden["greedy_score"][i] - score) <= 1e-4, $"source {i}: score {score}, PyTorch {golden["greedy_score"][i]}");

            // A beam's line has the same form: its best hypothesis, a tab, its summed log-probability.
            fields = Translate(text, "--scores", "--max-length", "12", "--beam", "2").Succeeded().Out.TrimEnd('\n').Split('\t');
            Assert.Equal(2, fields.Length);
            Assert.True(float.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) <= 0f, fields[1]);
        }
    }

    [Theory]
    [InlineData("--beam", "0", "--beam must be in 1..1024, got 0")]
    [InlineData("--beam", "-3", "--beam must be in 1..1024, got -3")]
    [InlineData("--beam", "5000", "--beam must be in 1..1024")]
    [InlineData("--beam", "two", "two")]
    [InlineData("--max-length", "0", "--max-length must be in 1..65536")]
    public void BadOptions_AreUsageErrors(string option, string value, string message)
        => Translate("abc", option, value).Failed(1, message);

    [Fact]
    public void ModelWhoseSizesOverflow_IsBadInput_NamingTheSizes()
    {
        string big = _dir.File("big.frnn");
        File.WriteAllBytes(big, Decoding.Seq2SeqFileEdits.Rewrite(Tutorial, ("seq2seq.max_source_length", 65536L), ("seq2seq.src_embedding_size", 65536L)));
        const string named = "MaxSourceLength × SourceEmbeddingSize (embedded source) = 65536 × 65536 = 4294967296 floats is invalid";
        CliHarness.Run("translate", "abc", "--model", big).Failed(2, named);
        CliHarness.Run("inspect", big).Failed(2, named);
    }

    [Fact]
    public void Svg_WithoutTextArgument_IsAUsageError()
        => RunWithStdin("abc\n", "translate", "--svg", _dir.File("x.svg"), "--model", Tutorial).Failed(1, "--svg draws one output");

    [Fact]
    public void Svg_IntoAMissingFolder_IsAUsageError_BeforeAnythingIsDecoded()
        => Translate("abc", "--svg", Path.Combine(_dir.File("absent"), "a.svg")).Failed(1, "--svg: the folder");

    [Fact]
    public void MissingOrBadModel_IsBadInput()
    {
        CliHarness.Run("translate", "abc", "--model", _dir.File("absent.frnn")).Failed(2, "--model: ");
        string garbage = _dir.File("garbage.frnn");
        File.WriteAllText(garbage, "not a model at all, just some text that is long enough to be read as a header");
        CliHarness.Run("translate", "abc", "--model", garbage).Failed(2, "garbage.frnn: ");
    }

    [Fact]
    public void Help_ListsTheOptions()
    {
        string help = CliHarness.Run("translate", "--help").Succeeded().Out;
        foreach (string option in new[] { "--beam", "--show-attention", "--svg", "--model", "--strict", "--scores", "date-normalizer.frnn" })
            Assert.Contains(option, help);
    }

    // The attention grid itself, on made-up maps: long sources, long labels, odd characters.

    [Fact]
    public void Grid_SourceTooWideForTwoCharacterCells_UsesOneCharacterCells()
    {
        var map = UniformMap(new string('x', 60), 3);
        string[] lines = Render(map);
        Assert.All(lines.Where(l => l.Contains('│')), l => Assert.Equal(60, l.LastIndexOf('│') - l.IndexOf('│') - 1));
        Assert.All(lines, l => Assert.True(l.Length <= 80, l));
    }

    [Theory]
    [InlineData(200, 3)]
    [InlineData(77, 4)]
    [InlineData(1000, 2)]
    public void Grid_SourceTooWideForOneLine_IsSplitIntoBlocksCoveringEveryColumn(int sourceLength, int outputLength)
    {
        var map = UniformMap(string.Concat(Enumerable.Range(0, sourceLength).Select(i => (char)('a' + i % 26))), outputLength);
        string[] lines = Render(map);
        Assert.All(lines, l => Assert.True(l.Length <= 80, $"{l.Length}: {l}"));
        string[] rows = [.. lines.Where(l => l.Contains('│'))];
        int blocks = lines.Count(l => l.StartsWith("source tokens ", StringComparison.Ordinal));
        Assert.True(blocks >= 2);
        Assert.Equal(blocks * outputLength, rows.Length);
        Assert.Equal(sourceLength * outputLength, rows.Sum(r => r.LastIndexOf('│') - r.IndexOf('│') - 1));
        Assert.EndsWith($"of {sourceLength}:", lines.Last(l => l.StartsWith("source tokens ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Grid_ShowsInvisibleCharactersAndCutsLongLabels()
    {
        var map = new AttentionMap([" ", "\t", "word"], ["<averyverylongtoken>", "\n"], [1f, 0f, 0f, 0.3f, 0.5f, 0.2f]);
        string[] lines = Render(map);
        Assert.Equal("␣ ␉ w", lines[1].Trim());
        Assert.Equal("o", lines[2].Trim()); // a longer label reads downwards
        string[] rows = [.. lines.Where(l => l.Contains('│'))];
        Assert.Equal("<averyv… │██    │", rows[0]);
        Assert.Equal("       ␊ │░░▒▒░░│", rows[1]);
    }

    [Theory]
    [InlineData(0f, ' ')]
    [InlineData(0.12f, ' ')]
    [InlineData(0.13f, '░')]
    [InlineData(0.5f, '▒')]
    [InlineData(0.74f, '▓')]
    [InlineData(0.9f, '█')]
    [InlineData(1f, '█')]
    [InlineData(float.NaN, ' ')]
    public void Grid_ShadeIsTheNearestQuarter(float weight, char shade)
        => Assert.Equal(shade, AttentionGrid.Shade(new AttentionMap(["a"], ["b"], [weight]).Weight(0, 0)));

    private CliResult Translate(string text, params string[] options)
        => CliHarness.Run(["translate", text, "--model", Tutorial, .. options]);

    private static CliResult RunWithStdin(string stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliProgram.Run(args, new StringReader(stdin), stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    private static string[] Lines(string text) => text.TrimEnd('\n').Split('\n');

    private static string[] Render(AttentionMap map)
    {
        var output = new StringWriter();
        AttentionGrid.Write(map, output, 80);
        return Lines(output.ToString());
    }

    private static AttentionMap UniformMap(string source, int rows)
        => new([.. source.Select(c => c.ToString())], [.. Enumerable.Range(0, rows).Select(i => $"t{i}")],
            Enumerable.Repeat(1f / source.Length, rows * source.Length).ToArray());

    // What the engine decodes for `text`: greedy tokens (EOS included) and their attention, (T, S).
    private static (int[] Tokens, float[] Attention) EngineGreedy(string text)
    {
        using var decoder = Model.CreateDecoder();
        decoder.Encode(Model.EncodeText(text));
        decoder.Begin(DecodingOptions.Greedy(256));
        var tokens = new List<int>();
        var attention = new List<float>();
        while (decoder.TryNext(out DecodedToken token))
        {
            tokens.Add(token.Id);
            attention.AddRange(decoder.Attention.ToArray());
        }
        return ([.. tokens], [.. attention]);
    }

    // The best beam hypothesis and its teacher-forced attention.
    private static (int[] Tokens, float[] Attention) EngineBeam(string text, int beam)
    {
        using var decoder = Model.CreateDecoder(beamSize: beam);
        decoder.Encode(Model.EncodeText(text));
        decoder.BeamSearch(new BeamOptions { BeamSize = beam, NBest = 1, MaxLength = 256 });
        int[] tokens = decoder.GetBeamResult(0, out _, out _).ToArray();
        var attention = new float[tokens.Length * text.Length];
        decoder.Score(tokens, new float[tokens.Length * Model.Config.TargetVocabularySize], attention);
        return (tokens, attention);
    }
}
