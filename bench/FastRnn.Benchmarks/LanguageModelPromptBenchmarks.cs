using BenchmarkDotNet.Attributes;
using FastRnn.Decoding;

namespace FastRnn.Benchmarks;

/// <summary>
/// Reading a prompt of <see cref="PromptLength"/> tokens with the shipped character language model — the time before
/// the first generated token — and scoring the same text (bits per token): FastRnn fed one token at a time, FastRnn
/// given the whole prompt (<see cref="LanguageModelSession.Feed(ReadOnlySpan{int})"/>, as one sequence), FastRnn's
/// <see cref="LanguageModelSession.BitsPerToken"/>, and ONNX Runtime running the prompt as one sequence through the same
/// model (<see cref="OnnxLanguageModelRunner"/> with T steps, log-probabilities at every position, as a forward pass
/// gives them). µs per token; the same intra-op threads on each side. The setup checks that they agree.
/// </summary>
[MemoryDiagnoser]
public class LanguageModelPromptBenchmarks
{
    public const int PromptLength = 256;

    private const string Text =
        "In the beginning God created the heaven and the earth. And the earth was without form, and void; and darkness " +
        "was upon the face of the deep. And the Spirit of God moved upon the face of the waters. And God said, Let there " +
        "be light: and there was light. And God saw the light, that it was good: and God divided the light from the darkness.";

    private LanguageModel _model = null!;
    private LanguageModelSession _session = null!;
    private OnnxLanguageModelRunner _onnx = null!;
    private int[] _prompt = null!;

    /// <summary>Intra-op threads on each side.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string path = Path.Combine(HeldOutDates.Folder, "char-lm.frnn");
        _model = LanguageModel.Load(path);
        _session = _model.CreateSession(Threads);
        _onnx = new OnnxLanguageModelRunner(path, batch: 1, Threads, steps: PromptLength);
        _prompt = _model.EncodeText(Text)[..PromptLength];
        if (_prompt.Contains(_model.UnknownId))
            throw new InvalidOperationException("the prompt has characters outside the model's vocabulary");
        VerifyAgreement();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.Dispose();
        _onnx.Dispose();
    }

    [Benchmark(Baseline = true, Description = "FastRnn, one token at a time", OperationsPerInvoke = PromptLength)]
    public float OneAtATime()
    {
        _session.Reset();
        foreach (int id in _prompt)
            _session.Feed(id);
        return _session.NextLogProbabilities[0];
    }

    [Benchmark(Description = "FastRnn, the prompt as one sequence", OperationsPerInvoke = PromptLength)]
    public float WholePrompt()
    {
        _session.Reset();
        _session.Feed(_prompt);
        return _session.NextLogProbabilities[0];
    }

    [Benchmark(Description = "FastRnn, bits per token", OperationsPerInvoke = PromptLength)]
    public double BitsPerToken() => _session.BitsPerToken(_prompt);

    [Benchmark(Description = "ONNX Runtime, the prompt as one sequence", OperationsPerInvoke = PromptLength)]
    public float OnnxWholePrompt()
    {
        _onnx.Reset();
        _onnx.Step(_prompt);
        return _onnx.LogProbabilities[0];
    }

    private void VerifyAgreement()
    {
        int v = _model.Vocabulary.Count;
        WholePrompt();
        OnnxWholePrompt();
        ReadOnlySpan<float> ours = _session.NextLogProbabilities, theirs = _onnx.LogProbabilities.AsSpan((PromptLength - 1) * v, v);
        double worst = 0, nats = 0;
        for (int i = 0; i < v; i++)
            worst = Math.Max(worst, Math.Abs(ours[i] - theirs[i]));
        for (int t = 0; t + 1 < PromptLength; t++)
            nats -= _onnx.LogProbabilities[t * v + _prompt[t + 1]];
        double bits = BitsPerToken(), onnxBits = nats / (PromptLength - 1) / Math.Log(2);
        if (worst > 1e-4 || Math.Abs(bits - onnxBits) > 1e-4)
            throw new InvalidOperationException($"FastRnn and ONNX Runtime disagree: log-probabilities by {worst}, bits per token {bits} against {onnxBits}");
    }
}
