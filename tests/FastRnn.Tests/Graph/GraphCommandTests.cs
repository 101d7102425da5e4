using System.Globalization;
using System.Text.Json;
using FastRnn.Cli.Commands;
using FastRnn.Tests.Cli;

namespace FastRnn.Tests.Graph;

/// <summary>
/// <c>fastrnn convert</c>, <c>inspect</c>, <c>run</c> and <c>vad</c> on graph models, end to end in-process, with the
/// numbers checked against ONNX Runtime on the original .onnx file.
/// </summary>
public class GraphCommandTests
{
    private static string ConvertVad(TempDirectory dir)
    {
        string model = dir.File("vad.frnn");
        CliResult r = CliHarness.Run("convert", GraphFixtures.PathOf("vad"), "-o", model, "--fix", "sr=16000", "--shape", "input=1x576", "--shape", "state=2x1x128").Succeeded();
        Assert.StartsWith($"wrote {model}: graph of ", r.Out);
        Assert.Contains("inputs input [1, 576], state [2, 1, 128]; outputs output [1, 1], stateN [2, 1, 128]", r.Out);
        Assert.Contains("state: output 'stateN' feeds input 'state' on the next call", r.Out);
        return model;
    }

    /// <summary>16-bit mono PCM at 16 kHz.</summary>
    private static byte[] Wav(short[] samples, int rate = 16000, short channels = 1)
    {
        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream);
        w.Write("RIFF"u8);
        w.Write(36 + 2 * samples.Length);
        w.Write("WAVEfmt "u8);
        w.Write(16);
        w.Write((short)1);
        w.Write(channels);
        w.Write(rate);
        w.Write(rate * 2 * channels);
        w.Write((short)(2 * channels));
        w.Write((short)16);
        w.Write("data"u8);
        w.Write(2 * samples.Length);
        foreach (short s in samples)
            w.Write(s);
        w.Flush();
        return stream.ToArray();
    }

    [Fact]
    public void Inspect_ShowsInputsStatesAndThePlan()
    {
        using var dir = new TempDirectory();
        string model = ConvertVad(dir);
        string text = CliHarness.Run("inspect", model).Succeeded().Out;
        Assert.Contains("input  input float32 [1, 576]", text);
        Assert.Contains("state  stateN -> state on the next call", text);
        Assert.Contains("conv1d", text);
        Assert.Contains("lstm", text);
        Assert.Contains("shared by liveness", text);

        using JsonDocument json = JsonDocument.Parse(CliHarness.Run("inspect", model, "--json").Succeeded().Out);
        Assert.Equal("graph", json.RootElement.GetProperty("architecture").GetString());
        Assert.Equal("stateN", json.RootElement.GetProperty("states")[0].GetProperty("output").GetString());
        Assert.True(json.RootElement.GetProperty("plan").GetArrayLength() > 10);
    }

    [Fact]
    public void Run_TakesInt64Tokens_AndWritesWhatOnnxRuntimeComputes()
    {
        using var dir = new TempDirectory();
        string model = dir.File("text.frnn");
        CliHarness.Run("convert", GraphFixtures.PathOf("text_classifier"), "-o", model).Succeeded();
        long[] tokens = Enumerable.Range(0, 24).Select(i => (long)(i * 7 % 50)).ToArray();
        File.WriteAllBytes(dir.File("tokens.npy"), CliHarness.RawNpy("<i8", false, [2, 12], tokens.SelectMany(BitConverter.GetBytes).ToArray()));
        CliResult r = CliHarness.Run("run", model, "--in", $"tokens={dir.File("tokens.npy")}", "--out", $"log_probs={dir.File("y.npy")}").Succeeded();
        Assert.Contains("wrote log_probs [2, 5]", r.Out);

        (int[] shape, float[] y) = CliHarness.ReadNpy(dir.File("y.npy"));
        Assert.Equal([2, 5], shape);
        using var ort = new OrtStream(GraphFixtures.PathOf("text_classifier"));
        float[] expected = ort.Run([("tokens", [2, 12], tokens)])["log_probs"];
        for (int i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(y[i] - expected[i]) <= 1e-5, $"[{i}] {y[i]} vs {expected[i]}");
    }

    [Fact]
    public void Run_RefusesAMissingInputAndAnUnknownName()
    {
        using var dir = new TempDirectory();
        string model = dir.File("kws.frnn");
        CliHarness.Run("convert", GraphFixtures.PathOf("kws_crnn"), "-o", model).Succeeded();
        CliHarness.Run("run", model, "--out", $"logits={dir.File("y.npy")}").Failed(1, "give every input with --in NAME=x.npy; missing: frames");
        CliHarness.WriteNpy(dir.File("x.npy"), [1, 40, 49], new float[40 * 49]);
        CliHarness.Run("run", model, "--in", $"frames={dir.File("x.npy")}", "--out", $"logits={dir.File("y.npy")}").Failed(2, "the array has shape [1, 40, 49]; the model takes [1, 40, 50]");
        CliHarness.Run("run", model, "--in", $"audio={dir.File("x.npy")}", "--out", "logits=y.npy").Failed(1, "--in audio: the model has no such input (frames [1, 40, 50])");
    }

    [Fact]
    public void Vad_StreamsChunksWithContext_LikeOnnxRuntimeCarryingState()
    {
        using var dir = new TempDirectory();
        string model = ConvertVad(dir);
        var random = new Random(5);
        short[] samples = Enumerable.Range(0, 16000 + 300).Select(i => (short)(random.Next(-3000, 3000) + 8000 * Math.Sin(i * 0.05))).ToArray();
        File.WriteAllBytes(dir.File("a.wav"), Wav(samples));

        CliResult r = CliHarness.Run("vad", dir.File("a.wav"), "--model", model, "--probabilities", dir.File("p.txt"), "--json").Succeeded();
        using JsonDocument json = JsonDocument.Parse(r.Out);
        int chunks = (samples.Length + 511) / 512;
        Assert.Equal(chunks, json.RootElement.GetProperty("chunks").GetInt32());
        Assert.True(json.RootElement.GetProperty("chunk_us_median").GetDouble() > 0);
        float[] probabilities = File.ReadAllLines(dir.File("p.txt")).Select(l => float.Parse(l, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(chunks, probabilities.Length);

        // Silero's wrapper, written out: 64 samples of context (zeros at first) before each 512, the last chunk padded.
        using var ort = new OrtStream(GraphFixtures.PathOf("vad"));
        var context = new float[64];
        var state = new float[256];
        for (int c = 0; c < chunks; c++)
        {
            float[] window = [.. context, .. Enumerable.Range(c * 512, 512).Select(i => i < samples.Length ? samples[i] / 32768f : 0f)];
            Dictionary<string, float[]> o = ort.Run([("input", [1, 576], window), ("state", [2, 1, 128], state.ToArray()), ("sr", [], new long[] { 16000 })]);
            Assert.True(Math.Abs(o["output"][0] - probabilities[c]) <= 1e-5, $"chunk {c}: {probabilities[c]} vs ONNX Runtime {o["output"][0]}");
            state = o["stateN"];
            context = window[^64..];
        }
    }

    [Fact]
    public void Vad_Segments_StartAtTheThreshold_AndEndBelowItsHysteresis()
    {
        float[] p = [0.1f, 0.6f, 0.45f, 0.3f, 0.2f, 0.9f, 0.9f];
        List<(double Start, double End)> segments = VadCommand.Segments(p, 0.5f, 512, 7 * 512);
        Assert.Equal([(512 / 16000.0, 3 * 512 / 16000.0), (5 * 512 / 16000.0, 7 * 512 / 16000.0)], segments);
    }

    [Fact]
    public void Vad_RefusesAudioItCannotRead()
    {
        using var dir = new TempDirectory();
        string model = ConvertVad(dir);
        File.WriteAllBytes(dir.File("stereo.wav"), Wav(new short[1024], channels: 2));
        CliHarness.Run("vad", dir.File("stereo.wav"), "--model", model).Failed(2, "is 16000 Hz with 2 channel(s); the model takes 16 kHz mono");
        byte[] cut = Wav(new short[4000])[..2000];
        File.WriteAllBytes(dir.File("cut.wav"), cut);
        CliHarness.Run("vad", dir.File("cut.wav"), "--model", model).Failed(2, "chunk 'data' at byte 36 claims 8000 bytes; 1956 remain (truncated?)");
        File.WriteAllBytes(dir.File("text.wav"), "hello world, not audio"u8.ToArray());
        CliHarness.Run("vad", dir.File("text.wav"), "--model", model).Failed(2, "is not a RIFF/WAVE file");
        CliHarness.Run("vad", dir.File("text.wav"), "--model", model, "--chunk", "256").Failed(1, "--context 64 + --chunk 256 = 320");
    }

    [Fact]
    public void Convert_KeepsRecurrentOnnxAsAStack_AndTakesAGraphWithAHead()
    {
        using var dir = new TempDirectory();
        string stack = dir.File("stack.frnn"), head = dir.File("head.frnn");
        Assert.DoesNotContain("graph", CliHarness.Run("convert", FastRnn.Tests.Onnx.OnnxFixtures.PathOf("torch_lstm_l2_bi"), "-o", stack).Succeeded().Out);
        Assert.Contains("architecture: 2-layer bidirectional LSTM", CliHarness.Run("inspect", stack).Succeeded().Out, StringComparison.OrdinalIgnoreCase);
        string converted = CliHarness.Run("convert", FastRnn.Tests.Onnx.OnnxFixtures.PathOf("lstm_matmul_head"), "-o", head, "--shape", "X=7x3x4").Succeeded().Out;
        Assert.Contains("graph of", converted);
        Assert.Contains("input  X float32 [7, 3, 4]", CliHarness.Run("inspect", head).Succeeded().Out);
    }

    [Fact]
    public void Convert_RefusesGraphOptionsForOtherFiles_AndBadShapes()
    {
        using var dir = new TempDirectory();
        CliHarness.Run("convert", GraphFixtures.PathOf("vad"), "-o", dir.File("v.frnn"), "--shape", "input=1by576").Failed(1, "--shape input=1by576: '1by576' is not a positive dimension");
        CliHarness.Run("convert", "weights.safetensors", "-o", dir.File("v.frnn"), "--fix", "sr=16000").Failed(1, "--fix, --shape and --state apply to ONNX models");
        CliHarness.Run("convert", GraphFixtures.PathOf("vad"), "-o", dir.File("v.frnn")).Failed(2, "fix it with --shape input=");
    }
}
