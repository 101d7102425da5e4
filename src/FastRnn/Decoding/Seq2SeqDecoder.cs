using System.Numerics.Tensors;
using FastRnn.Attention;
using FastRnn.Kernels;
using FastRnn.Layers;

namespace FastRnn.Decoding;

/// <summary>
/// Decodes one source at a time: <see cref="Encode"/> a source, then pull tokens one by one (greedy or sampling:
/// <see cref="Begin"/>/<see cref="TryNext"/>) or beam steps (<see cref="BeginBeam"/>/<see cref="AdvanceBeam"/>).
/// Every buffer is allocated when the decoder is created; encoding and every token allocate nothing. Not thread-safe.
/// </summary>
public sealed partial class Seq2SeqDecoder : IDisposable
{
    private readonly Seq2SeqModel _model;
    private readonly Seq2SeqConfig _c;
    private readonly RnnSession _encoder;   // batch 1, the whole source at once
    private readonly RnnSession _single;    // batch 1: greedy and sampling
    private readonly RnnSession _beam;      // batch k: one stream per hypothesis
    private readonly float[] _sourceEmbedded; // (S_max, E_src)
    private readonly float[] _memory;         // (k, S_max, K): encoder outputs, one block per source in a batch
    private readonly float[] _keys;           // (k, S_max, key width): the step-independent half of the scores
    private readonly int[] _streamLengths;    // (k): length of the source each stream attends to
    private readonly int[] _streamSource;     // (k): which source block each stream attends to (all 0 for one source)
    private readonly float[] _attentionScratch;
    private readonly float[] _bridgeHidden;   // (L_dec, H): initial state of one stream
    private readonly float[] _bridgeCell;     // (L_dec, H) or empty
    private readonly float[] _stateHidden;    // (L_dec, k, H): the bridge state replicated per stream
    private readonly float[] _stateCell;
    private readonly float[] _input;          // (k, decoder input)
    private readonly float[] _output;         // (k, H)
    private readonly float[] _context;        // (k, K)
    private readonly float[] _attention;      // (k, S_max)
    private readonly float[] _attentional;    // (k, H): Luong's h̃, fed to the next step
    private readonly float[] _attentionalCopy;
    private readonly float[] _combineInput;   // (k, K + H)
    private readonly float[] _features;       // (k, output features)
    private readonly float[] _logProbs;       // (k, V)
    private readonly float[] _probabilities;  // (V)
    private readonly int[] _previous;         // (k): the token each stream feeds next
    private int _sourceLength;
    private bool _disposed;

    internal Seq2SeqDecoder(Seq2SeqModel model, int beamSize, int maxOutputLength)
    {
        if (beamSize < 1 || beamSize > 1024)
            throw new ArgumentOutOfRangeException(nameof(beamSize), beamSize, "beam size must be in 1..1024");
        if (maxOutputLength < 1 || maxOutputLength > 1 << 16)
            throw new ArgumentOutOfRangeException(nameof(maxOutputLength), maxOutputLength, "maximum output length must be in 1..65536");
        _model = model;
        _c = model.Config;
        BeamCapacity = beamSize;
        MaxOutputLength = maxOutputLength;
        int s = _c.MaxSourceLength, k = beamSize, h = _c.DecoderHiddenSize, layers = _c.DecoderLayers;
        _encoder = model.Encoder.CreateSession(1, s);
        _single = model.Decoder.CreateSession(1, 1);
        _beam = model.Decoder.CreateSession(k, 1);
        _sourceEmbedded = new float[s * _c.SourceEmbeddingSize];
        _memory = new float[k * s * _c.MemorySize];
        _keys = new float[k * s * model.Attention.KeyWidth];
        _streamLengths = new int[k];
        _streamSource = new int[k];
        _attentionScratch = new float[model.Attention.ScratchLength(s)];
        bool lstm = _c.DecoderKind == RecurrentKind.Lstm;
        _bridgeHidden = new float[layers * h];
        _bridgeCell = lstm ? new float[layers * h] : [];
        _stateHidden = new float[layers * k * h];
        _stateCell = lstm ? new float[layers * k * h] : [];
        _input = new float[k * _c.DecoderInputSize];
        _output = new float[k * h];
        _context = new float[k * _c.MemorySize];
        _attention = new float[k * s];
        _attentional = new float[k * h];
        _attentionalCopy = new float[k * h];
        _combineInput = new float[k * (_c.MemorySize + h)];
        _features = new float[k * _c.OutputFeatures];
        _logProbs = new float[k * _c.TargetVocabularySize];
        _probabilities = new float[_c.TargetVocabularySize];
        _previous = new int[k];
        AllocateBeam(k, maxOutputLength);
        AllocateBatch(k);
    }

    /// <summary>The largest beam this decoder can search with.</summary>
    public int BeamCapacity { get; }

    /// <summary>The most tokens one output can have.</summary>
    public int MaxOutputLength { get; }

    /// <summary>Length of the encoded source.</summary>
    public int SourceLength => _sourceLength;

    /// <summary>
    /// Encodes a source (ids in the source vocabulary) and prepares the decoder's initial state. Replaces any previous
    /// source; the decoder is then reused without allocating.
    /// </summary>
    /// <exception cref="ArgumentException">The source is empty, too long, or has an id outside the vocabulary.</exception>
    public void Encode(ReadOnlySpan<int> source)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (source.IsEmpty)
            throw new ArgumentException("the source is empty; a seq2seq model needs at least one source token", nameof(source));
        if (source.Length > _c.MaxSourceLength)
            throw new ArgumentException($"the source has {source.Length} tokens; this model accepts at most {_c.MaxSourceLength}", nameof(source));
        int e = _c.SourceEmbeddingSize;
        for (int i = 0; i < source.Length; i++)
        {
            if ((uint)source[i] >= (uint)_c.SourceVocabularySize)
                throw new ArgumentException($"source token {i} has id {source[i]}, outside the source vocabulary 0..{_c.SourceVocabularySize - 1}", nameof(source));
            _model.SourceEmbedding[source[i]].CopyTo(_sourceEmbedded.AsSpan(i * e, e));
        }

        _sourceLength = source.Length;
        int k = _c.MemorySize;
        _encoder.Reset();
        _encoder.Run(_sourceEmbedded.AsSpan(0, source.Length * e), _memory.AsSpan(0, source.Length * k));
        _model.Attention.PrecomputeKeys(_memory, source.Length, _keys);
        _streamSource.AsSpan().Clear();
        _streamLengths.AsSpan().Fill(source.Length);
        MakeBridgeState();
        _mode = Mode.Encoded;
    }

    /// <summary>Attention weights over the source (length <see cref="SourceLength"/>) of the last token of stream 0.</summary>
    public ReadOnlySpan<float> Attention => _attention.AsSpan(0, _sourceLength);

    /// <inheritdoc/>
    public void Dispose()
    {
        _disposed = true;
        _encoder.Dispose();
        _single.Dispose();
        _beam.Dispose();
    }

    private void MakeBridgeState()
    {
        int h = _c.DecoderHiddenSize, he = _c.EncoderHiddenSize, dirs = _c.EncoderBidirectional ? 2 : 1;
        ReadOnlySpan<float> encHidden = _encoder.HiddenState, encCell = _encoder.CellState;
        switch (_c.Bridge)
        {
            case BridgeKind.Zeros:
                _bridgeHidden.AsSpan().Clear();
                _bridgeCell.AsSpan().Clear();
                break;
            case BridgeKind.Final:
                // Decoder layer l = [forward ; backward] final state of encoder layer l: (L·D, 1, H_enc) is already in that order.
                encHidden.CopyTo(_bridgeHidden);
                encCell.CopyTo(_bridgeCell);
                break;
            case BridgeKind.LinearTanh:
                int top = (_c.EncoderLayers - 1) * dirs + (dirs - 1); // the top layer's backward direction if there is one
                Span<float> first = _bridgeHidden.AsSpan(0, h);
                _model.Bridge!.Forward(encHidden.Slice(top * he, he), first);
                CellKernels.Tanh(first, first);
                for (int l = 1; l < _c.DecoderLayers; l++)
                    first.CopyTo(_bridgeHidden.AsSpan(l * h, h));
                _bridgeCell.AsSpan().Clear();
                break;
        }
    }

    // Puts the bridge state into every stream of `session`, and resets the Luong attentional vectors.
    private void StartStreams(RnnSession session, int streams)
    {
        int h = _c.DecoderHiddenSize;
        for (int l = 0; l < _c.DecoderLayers; l++)
        {
            for (int j = 0; j < streams; j++)
            {
                _bridgeHidden.AsSpan(l * h, h).CopyTo(_stateHidden.AsSpan((l * streams + j) * h, h));
                if (_stateCell.Length > 0)
                    _bridgeCell.AsSpan(l * h, h).CopyTo(_stateCell.AsSpan((l * streams + j) * h, h));
            }
        }
        session.SetState(_stateHidden.AsSpan(0, _c.DecoderLayers * streams * h), _stateCell.AsSpan(0, _stateCell.Length == 0 ? 0 : _c.DecoderLayers * streams * h));
        _attentional.AsSpan().Clear();
        _previous.AsSpan().Fill(_c.BosId);
    }

    // One decoding step for every stream of `session`: reads _previous, writes _logProbs (streams, V) and _attention.
    private void Forward(RnnSession session, int streams)
    {
        int e = _c.TargetEmbeddingSize, k = _c.MemorySize, h = _c.DecoderHiddenSize, inWidth = _c.DecoderInputSize;
        int sMax = _c.MaxSourceLength, keyWidth = _model.Attention.KeyWidth;
        AttentionLayer attention = _model.Attention;
        for (int j = 0; j < streams; j++)
        {
            Span<float> x = _input.AsSpan(j * inWidth, inWidth);
            _model.TargetEmbedding[_previous[j]].CopyTo(x[..e]);
            if (_c.InputFeeding)
            {
                _attentional.AsSpan(j * h, h).CopyTo(x[e..]);
            }
            else
            {
                // Bahdanau: the query is the state before this step.
                int source = _streamSource[j], s = _streamLengths[j];
                attention.Attend(session.TopHidden(j), _keys.AsSpan(source * sMax * keyWidth), _memory.AsSpan(source * sMax * k), s,
                    _attention.AsSpan(j * sMax, s), _context.AsSpan(j * k, k), _attentionScratch);
                _context.AsSpan(j * k, k).CopyTo(x[e..]);
            }
        }

        session.Step(_input.AsSpan(0, streams * inWidth), _output.AsSpan(0, streams * h));

        int features = _c.OutputFeatures;
        if (_c.InputFeeding)
        {
            for (int j = 0; j < streams; j++)
            {
                Span<float> context = _context.AsSpan(j * k, k);
                int source = _streamSource[j], s = _streamLengths[j];
                attention.Attend(_output.AsSpan(j * h, h), _keys.AsSpan(source * sMax * keyWidth), _memory.AsSpan(source * sMax * k), s,
                    _attention.AsSpan(j * sMax, s), context, _attentionScratch);
                context.CopyTo(_combineInput.AsSpan(j * (k + h), k));
                _output.AsSpan(j * h, h).CopyTo(_combineInput.AsSpan(j * (k + h) + k, h));
            }
            Span<float> attentional = _attentional.AsSpan(0, streams * h);
            _model.Combine!.Forward(_combineInput, k + h, attentional, h, streams);
            CellKernels.Tanh(attentional, attentional);
            _model.Output.Forward(attentional, h, _logProbs, _c.TargetVocabularySize, streams);
        }
        else
        {
            for (int j = 0; j < streams; j++)
            {
                Span<float> f = _features.AsSpan(j * features, features);
                _output.AsSpan(j * h, h).CopyTo(f);
                if (_c.OutputInputs != OutputInputs.Hidden)
                    _context.AsSpan(j * k, k).CopyTo(f[h..]);
                if (_c.OutputInputs == OutputInputs.HiddenContextEmbedding)
                    _input.AsSpan(j * inWidth, e).CopyTo(f[(h + k)..]);
            }
            _model.Output.Forward(_features, features, _logProbs, _c.TargetVocabularySize, streams);
        }

        int v = _c.TargetVocabularySize;
        for (int j = 0; j < streams; j++)
            Softmax.LogInPlace(_logProbs.AsSpan(j * v, v), _probabilities);
    }

    private int LengthLimit(LengthLimits limits)
    {
        int limit = Math.Min(limits.MaxLength, MaxOutputLength);
        if (limits.MaxLengthRatio is double ratio)
            limit = Math.Min(limit, (int)Math.Ceiling(ratio * _sourceLength));
        return Math.Max(limit, 1);
    }

    private void CheckLimits(LengthLimits limits)
    {
        if (limits.MaxLength < 1)
            throw new ArgumentOutOfRangeException(nameof(limits), limits.MaxLength, "MaxLength must be at least 1");
        if (limits.MinLength < 0)
            throw new ArgumentOutOfRangeException(nameof(limits), limits.MinLength, "MinLength must not be negative");
        if (limits.MaxLengthRatio is double r && !(r > 0 && double.IsFinite(r)))
            throw new ArgumentOutOfRangeException(nameof(limits), r, "MaxLengthRatio must be positive");
    }
}
