using Microsoft.ML.OnnxRuntime;

namespace FastRnn.Benchmarks;

/// <summary>
/// Greedy decoding of a batch of sources with ONNX Runtime over the two graphs of
/// tools/export_date_normalizer_onnx.py: one batched encode of the ragged batch, then one batched decoder step per
/// output token, every row stepped until all have produced EOS or the length limit (ONNX Runtime has no continuous
/// batching: a finished row keeps its place in the batch; its tokens stop counting).
/// </summary>
/// <remarks>
/// Every input and output is bound once to a pinned managed array, so a run is one native call with no marshalling or
/// managed allocation. The step's state is double-buffered: two bindings, one reading buffer A and writing buffer B,
/// the other the reverse, so a step's next token and hidden state are the next step's inputs without a copy, and the
/// memory, keys and mask the encoder wrote are read in place by every step. The managed work per step is reading R
/// tokens and log-probabilities. One intra-op and one inter-op thread, full graph optimisations, as every ONNX Runtime
/// contender of the suite.
/// </remarks>
internal sealed class OnnxSeq2SeqRunner : IDisposable
{
    private readonly InferenceSession _encoder;
    private readonly InferenceSession _step;
    private readonly OrtIoBinding _encode;
    private readonly OrtIoBinding[] _steps;
    private readonly RunOptions _runOptions = new();
    private readonly List<OrtValue> _values = [];

    private readonly long[] _sourceIds;            // (R, S), padded
    private readonly long[] _sourceLengths;        // (R)
    private readonly long[][] _token;              // two (R): a step reads one and writes the other
    private readonly float[] _logProbability;      // (R), the chosen token's
    private readonly int[] _outputs;               // (R, limit)
    private readonly int[] _lengths;               // (R), tokens counted per row
    private readonly bool[] _finished;             // (R)
    private readonly float[] _scores;              // (R)
    private readonly long _bos, _eos, _pad;
    private readonly int _rows, _sourceLength, _limit;

    /// <param name="encoderPath">date-normalizer.encoder.onnx (or any graph with its inputs and outputs).</param>
    /// <param name="stepPath">date-normalizer.decoder-step.onnx.</param>
    /// <param name="rows">R, the batch.</param>
    /// <param name="sourceLength">S, the padded width: the longest source a batch may hold.</param>
    /// <param name="maxOutputLength">The length limit: at most this many steps.</param>
    public OnnxSeq2SeqRunner(string encoderPath, string stepPath, int rows, int sourceLength, int maxOutputLength, int bosId, int eosId, int padId)
    {
        (_rows, _sourceLength, _limit, _bos, _eos, _pad) = (rows, sourceLength, maxOutputLength, bosId, eosId, padId);
        using SessionOptions options = OnnxSessionOptions.Create();
        _encoder = new InferenceSession(encoderPath, options);
        _step = new InferenceSession(stepPath, options);
        int memorySize = LastDimension(_encoder, "memory"), keySize = LastDimension(_encoder, "keys"), hidden = LastDimension(_encoder, "hidden");

        _sourceIds = new long[rows * sourceLength];
        _sourceLengths = new long[rows];
        _token = [new long[rows], new long[rows]];
        _logProbability = new float[rows];
        _outputs = new int[rows * maxOutputLength];
        _lengths = new int[rows];
        _finished = new bool[rows];
        _scores = new float[rows];
        float[][] hiddenState = [new float[rows * hidden], new float[rows * hidden]];
        OrtValue memory = Pin(new float[rows * sourceLength * memorySize], rows, sourceLength, memorySize);
        OrtValue keys = Pin(new float[rows * sourceLength * keySize], rows, sourceLength, keySize);
        OrtValue mask = Pin(new bool[rows * sourceLength], rows, sourceLength);
        OrtValue[] hiddenValues = [Pin(hiddenState[0], 1, rows, hidden), Pin(hiddenState[1], 1, rows, hidden)];
        OrtValue[] tokenValues = [Pin(_token[0], rows), Pin(_token[1], rows)];

        _encode = _encoder.CreateIoBinding();
        _encode.BindInput("source_ids", Pin(_sourceIds, rows, sourceLength));
        _encode.BindInput("source_lengths", Pin(_sourceLengths, rows));
        _encode.BindOutput("memory", memory);
        _encode.BindOutput("keys", keys);
        _encode.BindOutput("mask", mask);
        _encode.BindOutput("hidden", hiddenValues[0]);

        OrtValue logProbability = Pin(_logProbability, rows);
        _steps = new OrtIoBinding[2];
        for (int from = 0; from < 2; from++)
        {
            int to = 1 - from;
            OrtIoBinding step = _steps[from] = _step.CreateIoBinding();
            step.BindInput("token", tokenValues[from]);
            step.BindInput("hidden", hiddenValues[from]);
            step.BindInput("memory", memory);
            step.BindInput("keys", keys);
            step.BindInput("mask", mask);
            step.BindOutput("next_hidden", hiddenValues[to]);
            step.BindOutput("next_token", tokenValues[to]);
            step.BindOutput("logprob", logProbability);
        }
    }

    /// <summary>Decodes R sources (each at most S ids) greedily; returns the tokens counted, EOS included.</summary>
    public int Decode(int[][] sources)
    {
        if (sources.Length != _rows)
            throw new ArgumentException($"{sources.Length} sources for a batch of {_rows}", nameof(sources));
        Array.Fill(_sourceIds, _pad);
        for (int r = 0; r < _rows; r++)
        {
            int[] source = sources[r];
            if (source.Length == 0 || source.Length > _sourceLength)
                throw new ArgumentException($"source {r} has {source.Length} ids; the batch holds 1 to {_sourceLength}", nameof(sources));
            for (int i = 0; i < source.Length; i++)
                _sourceIds[r * _sourceLength + i] = source[i];
            _sourceLengths[r] = source.Length;
        }
        _encoder.RunWithBinding(_runOptions, _encode);   // the bridge's state lands in hidden buffer 0

        Array.Fill(_token[0], _bos);
        Array.Clear(_lengths);
        Array.Clear(_finished);
        Array.Clear(_scores);
        int running = _rows, produced = 0;
        for (int t = 0; t < _limit && running > 0; t++)
        {
            _step.RunWithBinding(_runOptions, _steps[t & 1]);
            long[] next = _token[1 - (t & 1)];
            for (int r = 0; r < _rows; r++)
            {
                // A row that has finished is stepped with the rest, on its own argmax; nothing of it counts.
                if (_finished[r])
                    continue;
                _outputs[r * _limit + _lengths[r]++] = (int)next[r];
                _scores[r] += _logProbability[r];
                produced++;
                if (next[r] == _eos)
                {
                    _finished[r] = true;
                    running--;
                }
            }
        }
        return produced;
    }

    /// <summary>Row r's tokens from the last <see cref="Decode"/> (EOS included if produced).</summary>
    public ReadOnlySpan<int> Tokens(int r) => _outputs.AsSpan(r * _limit, _lengths[r]);

    /// <summary>Row r's score from the last <see cref="Decode"/>: the summed log-probabilities of its tokens.</summary>
    public float Score(int r) => _scores[r];

    public void Dispose()
    {
        _encode.Dispose();
        foreach (OrtIoBinding step in _steps)
            step.Dispose();
        foreach (OrtValue value in _values)
            value.Dispose();
        _runOptions.Dispose();
        _step.Dispose();
        _encoder.Dispose();
    }

    private static int LastDimension(InferenceSession session, string output)
    {
        int[] shape = session.OutputMetadata[output].Dimensions;
        return shape[^1] > 0 ? shape[^1] : throw new InvalidOperationException($"the encoder's output '{output}' has no fixed last dimension");
    }

    private OrtValue Pin<T>(T[] data, params long[] shape) where T : unmanaged
    {
        // The value pins the array until it is disposed, so ONNX Runtime reads and writes it in place.
        var value = OrtValue.CreateTensorValueFromMemory(data, shape);
        _values.Add(value);
        return value;
    }
}
