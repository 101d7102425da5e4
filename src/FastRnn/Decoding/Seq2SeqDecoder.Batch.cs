using System.Numerics.Tensors;
using FastRnn.Kernels;
using FastRnn.Layers;

namespace FastRnn.Decoding;

public sealed partial class Seq2SeqDecoder
{
    private RnnSession? _batchEncoder;     // batch k, created with the decoder when k > 1
    private float[] _batchInput = [];      // (S_max, k, E_src), time-major
    private float[] _batchOutput = [];     // (S_max, k, K)
    private int[] _batchLengths = [];      // (k): 0 for unused streams
    private int[] _batchProduced = [];        // (k) tokens written per stream
    private int[] _streamLimit = [];       // (k)
    private int _batchCount;

    /// <summary>
    /// Encodes several sources of different lengths at once, for <see cref="DecodeBatch"/>: <paramref name="tokens"/> is
    /// (B, width) row-major, source b being its first <c>lengths[b]</c> ids (the rest is ignored); B ≤
    /// <see cref="BeamCapacity"/>. The encoder runs all of them as one batch with per-source lengths (a backward
    /// direction starts at each source's own end), and each decoder stream attends to its own source only.
    /// </summary>
    /// <exception cref="ArgumentException">A length, an id or a span size is wrong; the message names which.</exception>
    public void EncodeBatch(ReadOnlySpan<int> tokens, int width, ReadOnlySpan<int> lengths)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int count = lengths.Length, capacity = BeamCapacity, e = _c.SourceEmbeddingSize, k = _c.MemorySize, sMax = _c.MaxSourceLength;
        if (count < 1 || count > capacity)
            throw new ArgumentException($"a batch has {count} sources; this decoder takes 1..{capacity} (its beam capacity)", nameof(lengths));
        if (width < 1 || tokens.Length != count * width)
            throw new ArgumentException($"tokens has {tokens.Length} ids; expected (B, width) = ({count}, {width})", nameof(tokens));
        int longest = 0;
        for (int b = 0; b < count; b++)
        {
            int length = lengths[b];
            if (length < 1 || length > width || length > sMax)
                throw new ArgumentException($"source {b} has length {length}; expected 1..{Math.Min(width, sMax)} (an empty source cannot be decoded)", nameof(lengths));
            for (int t = 0; t < length; t++)
            {
                int id = tokens[b * width + t];
                if ((uint)id >= (uint)_c.SourceVocabularySize)
                    throw new ArgumentException($"source {b} token {t} has id {id}, outside the source vocabulary 0..{_c.SourceVocabularySize - 1}", nameof(tokens));
            }
            longest = Math.Max(longest, length);
        }

        // Time-major input for the encoder; unused streams and positions past a source's end stay zero and are masked.
        _batchInput.AsSpan(0, longest * capacity * e).Clear();
        for (int b = 0; b < capacity; b++)
            _batchLengths[b] = b < count ? lengths[b] : 0;
        for (int b = 0; b < count; b++)
        {
            for (int t = 0; t < lengths[b]; t++)
                _model.SourceEmbedding[tokens[b * width + t]].CopyTo(_batchInput.AsSpan((t * capacity + b) * e, e));
        }
        RnnSession encoder = _batchEncoder!;
        encoder.Reset();
        encoder.Run(_batchInput.AsSpan(0, longest * capacity * e), _batchOutput.AsSpan(0, longest * capacity * k), _batchLengths);

        int keyWidth = _model.Attention.KeyWidth;
        for (int b = 0; b < capacity; b++)
        {
            // Unused streams attend to source 0 so that every stream computes something finite.
            int source = b < count ? b : 0;
            _streamSource[b] = source;
            _streamLengths[b] = lengths[source];
            if (b >= count)
                continue;
            Span<float> memory = _memory.AsSpan(b * sMax * k, lengths[b] * k);
            for (int t = 0; t < lengths[b]; t++)
                _batchOutput.AsSpan((t * capacity + b) * k, k).CopyTo(memory.Slice(t * k, k));
            _model.Attention.PrecomputeKeys(memory, lengths[b], _keys.AsSpan(b * sMax * keyWidth));
        }
        MakeBatchBridgeState(encoder, count);
        _batchCount = count;
        _mode = Mode.Batch;
    }

    /// <summary>
    /// Greedy decoding (or sampling) of every source given to <see cref="EncodeBatch"/> in lock-step: output b is written
    /// to <paramref name="tokens"/>[b·width ..] and its length to <paramref name="lengths"/>[b]. Streams that finish early
    /// stop writing; the batch ends when all have finished.
    /// </summary>
    public void DecodeBatch(DecodingOptions options, Span<int> tokens, int width, Span<int> lengths)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(options);
        if (_mode != Mode.Batch)
            throw new InvalidOperationException("call EncodeBatch before DecodeBatch");
        CheckLimits(options);
        if (options.Sample)
            Sampler.Validate(options);
        int count = _batchCount, v = _c.TargetVocabularySize;
        if (width < 1 || tokens.Length < count * width || lengths.Length < count)
            throw new ArgumentException($"outputs need (B, width) = ({count}, {width}) token slots and {count} lengths");

        var random = new SplitMix64(options.Seed);
        _attentional.AsSpan().Clear();
        _previous.AsSpan().Fill(_c.BosId);
        _beam.SetState(_stateHidden, _stateCell);
        int active = count;
        for (int b = 0; b < count; b++)
        {
            _batchProduced[b] = 0;
            int limit = Math.Min(options.MaxLength, Math.Min(MaxOutputLength, width));
            if (options.MaxLengthRatio is double ratio)
                limit = Math.Min(limit, (int)Math.Ceiling(ratio * _streamLengths[b]));
            _streamLimit[b] = Math.Max(limit, 1);
        }

        while (active > 0)
        {
            Forward(_beam, BeamCapacity);
            for (int b = 0; b < count; b++)
            {
                if (_batchProduced[b] < 0)
                    continue; // finished
                Span<float> logProbs = _logProbs.AsSpan(b * v, v);
                if (_batchProduced[b] < options.MinLength)
                    logProbs[_c.EosId] = float.NegativeInfinity;
                int id = options.Sample ? Sampler.Sample(logProbs, _probabilities, options, ref random) : TensorPrimitives.IndexOfMax(logProbs);
                tokens[b * width + _batchProduced[b]] = id;
                _previous[b] = id;
                int produced = ++_batchProduced[b];
                if (id == _c.EosId || produced >= _streamLimit[b])
                {
                    lengths[b] = produced;
                    _batchProduced[b] = -1;
                    active--;
                }
            }
        }
    }

    private void AllocateBatch(int capacity)
    {
        if (capacity < 2)
            return;
        _batchEncoder = _model.Encoder.CreateSession(capacity, _c.MaxSourceLength);
        _batchInput = new float[_c.MaxSourceLength * capacity * _c.SourceEmbeddingSize];
        _batchOutput = new float[_c.MaxSourceLength * capacity * _c.MemorySize];
        _batchLengths = new int[capacity];
        _batchProduced = new int[capacity];
        _streamLimit = new int[capacity];
    }

    // The decoder's initial state for every stream from the batch encoder's final states (L·D, k, H_enc).
    private void MakeBatchBridgeState(RnnSession encoder, int count)
    {
        int capacity = BeamCapacity, h = _c.DecoderHiddenSize, he = _c.EncoderHiddenSize, dirs = _c.EncoderBidirectional ? 2 : 1;
        ReadOnlySpan<float> encHidden = encoder.HiddenState, encCell = encoder.CellState;
        _stateHidden.AsSpan().Clear();
        _stateCell.AsSpan().Clear();
        for (int b = 0; b < count; b++)
        {
            for (int l = 0; l < _c.DecoderLayers; l++)
            {
                Span<float> hidden = _stateHidden.AsSpan((l * capacity + b) * h, h);
                switch (_c.Bridge)
                {
                    case BridgeKind.Final:
                        for (int d = 0; d < dirs; d++)
                        {
                            encHidden.Slice(((l * dirs + d) * capacity + b) * he, he).CopyTo(hidden.Slice(d * he, he));
                            if (_stateCell.Length > 0)
                                encCell.Slice(((l * dirs + d) * capacity + b) * he, he).CopyTo(_stateCell.AsSpan((l * capacity + b) * h + d * he, he));
                        }
                        break;
                    case BridgeKind.LinearTanh:
                        int top = (_c.EncoderLayers - 1) * dirs + (dirs - 1);
                        _model.Bridge!.Forward(encHidden.Slice((top * capacity + b) * he, he), hidden);
                        CellKernels.Tanh(hidden, hidden);
                        break;
                }
            }
        }
    }
}
