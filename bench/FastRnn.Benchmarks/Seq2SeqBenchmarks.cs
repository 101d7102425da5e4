using BenchmarkDotNet.Attributes;
using FastRnn.Decoding;
using FastRnn.Format;

namespace FastRnn.Benchmarks;

/// <summary>
/// Per-token latency of greedy and beam-5 decoding and the encoder's time per source, for a Bahdanau model with
/// hidden 256, a target vocabulary of 1,000 and a 30-token source (seeded random weights; the figures depend on
/// sizes, not on what the weights say). Lengths are pinned (MinLength = MaxLength = 20) so every invocation decodes
/// exactly 20 tokens; "per token" rows divide by 20.
/// </summary>
[MemoryDiagnoser]
public class Seq2SeqBenchmarks
{
    private const int Hidden = 256, Vocabulary = 1000, SourceLength = 30, Tokens = 20, Embedding = 128, AttentionSize = 256;

    private Seq2SeqDecoder _decoder = null!;
    private int[] _source = null!;
    private int[] _output = null!;
    private DecodingOptions _greedy = null!;
    private BeamOptions _beam = null!;

    [GlobalSetup]
    public void Setup()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fastrnn-bench-seq2seq-{Environment.ProcessId}.frnn");
        File.WriteAllBytes(path, BuildModel());
        var model = Seq2SeqModel.Load(path);
        File.Delete(path);
        _decoder = model.CreateDecoder(beamSize: 5, maxOutputLength: Tokens);
        var random = new Random(42);
        _source = Enumerable.Range(0, SourceLength).Select(_ => random.Next(4, Vocabulary)).ToArray();
        _output = new int[Tokens];
        _greedy = new DecodingOptions { MinLength = Tokens, MaxLength = Tokens };
        _beam = new BeamOptions { BeamSize = 5, MinLength = Tokens, MaxLength = Tokens };
        _decoder.Encode(_source);
    }

    [GlobalCleanup]
    public void Cleanup() => _decoder.Dispose();

    [Benchmark(Description = "Encode a 30-token source")]
    public void Encode() => _decoder.Encode(_source);

    [Benchmark(Description = "Greedy, per token", OperationsPerInvoke = Tokens)]
    public int Greedy() => _decoder.Decode(_greedy, _output, out _);

    [Benchmark(Description = "Beam 5, per token", OperationsPerInvoke = Tokens)]
    public int Beam() => _decoder.BeamSearch(_beam);

    // A bidirectional GRU encoder (2 × 128), linear_tanh bridge, Bahdanau attention, GRU decoder of 256, output [o ; context].
    private static byte[] BuildModel()
    {
        var random = new Random(7);
        var w = new FrnnWriter();
        string[] vocabulary = Enumerable.Range(0, Vocabulary).Select(i => i switch { 0 => "<pad>", 1 => "<unk>", 2 => "<s>", 3 => "</s>", _ => $"t{i}" }).ToArray();
        w.AddMetadata("fastrnn.architecture", "seq2seq");
        w.AddMetadata("seq2seq.encoder.kind", "gru");
        w.AddMetadata("seq2seq.encoder.hidden_size", (long)(Hidden / 2));
        w.AddMetadata("seq2seq.encoder.num_layers", 1L);
        w.AddMetadata("seq2seq.encoder.bidirectional", true);
        w.AddMetadata("seq2seq.decoder.kind", "gru");
        w.AddMetadata("seq2seq.decoder.hidden_size", (long)Hidden);
        w.AddMetadata("seq2seq.decoder.num_layers", 1L);
        w.AddMetadata("seq2seq.src_embedding_size", (long)Embedding);
        w.AddMetadata("seq2seq.tgt_embedding_size", (long)Embedding);
        w.AddMetadata("seq2seq.bridge", "linear_tanh");
        w.AddMetadata("seq2seq.attention", "bahdanau");
        w.AddMetadata("seq2seq.attention_size", (long)AttentionSize);
        w.AddMetadata("seq2seq.input_feeding", false);
        w.AddMetadata("seq2seq.output_inputs", "h_ctx");
        w.AddMetadata("seq2seq.src_vocab", vocabulary);
        w.AddMetadata("seq2seq.tgt_vocab", vocabulary);
        w.AddMetadata("seq2seq.bos_id", 2L);
        w.AddMetadata("seq2seq.eos_id", 3L);
        w.AddMetadata("seq2seq.pad_id", 0L);
        w.AddMetadata("seq2seq.unk_id", 1L);
        w.AddMetadata("seq2seq.tokenizer", "whitespace");
        w.AddMetadata("seq2seq.max_source_length", 64L);

        void Tensor(string name, params int[] shape)
        {
            int count = shape.Aggregate(1, (a, b) => a * b);
            float scale = 1f / MathF.Sqrt(shape[^1]);
            var data = new float[count];
            for (int i = 0; i < count; i++)
                data[i] = (float)((random.NextDouble() * 2 - 1) * scale);
            w.AddTensor(name, shape, data);
        }

        int he = Hidden / 2, k = 2 * he;
        Tensor("src_embedding.weight", Vocabulary, Embedding);
        Tensor("tgt_embedding.weight", Vocabulary, Embedding);
        foreach (string d in new[] { "", "_reverse" })
        {
            Tensor($"encoder.weight_ih_l0{d}", 3 * he, Embedding);
            Tensor($"encoder.weight_hh_l0{d}", 3 * he, he);
            Tensor($"encoder.bias_ih_l0{d}", 3 * he);
            Tensor($"encoder.bias_hh_l0{d}", 3 * he);
        }
        Tensor("decoder.weight_ih_l0", 3 * Hidden, Embedding + k);
        Tensor("decoder.weight_hh_l0", 3 * Hidden, Hidden);
        Tensor("decoder.bias_ih_l0", 3 * Hidden);
        Tensor("decoder.bias_hh_l0", 3 * Hidden);
        Tensor("bridge.weight", Hidden, he);
        Tensor("bridge.bias", Hidden);
        Tensor("attention.query.weight", AttentionSize, Hidden);
        Tensor("attention.query.bias", AttentionSize);
        Tensor("attention.key.weight", AttentionSize, k);
        Tensor("attention.key.bias", AttentionSize);
        Tensor("attention.v.weight", 1, AttentionSize);
        Tensor("attention.v.bias", 1);
        Tensor("output.weight", Vocabulary, Hidden + k);
        Tensor("output.bias", Vocabulary);
        return w.ToArray();
    }
}
