using System.Numerics.Tensors;
using FastRnn.Runtime;

namespace FastRnn.Decoding;

/// <summary>
/// Greedy decoding (or sampling) of the sources of a <see cref="BatchEncoder"/> in lock-step, one decoder stream per
/// source: per-stream token counts and length limits.
/// </summary>
internal sealed class BatchDecoding
{
    private readonly Seq2SeqConfig _c;
    private readonly DecoderStep _step;
    private readonly RnnSession _session;  // batch k
    private readonly DecoderArena _arena;
    private readonly int _maxOutputLength;
    private readonly ArenaSlice _produced; // (k) ints: tokens written per stream, −1 once finished
    private readonly ArenaSlice _limit;    // (k) ints

    public BatchDecoding(Seq2SeqModel model, DecoderStep step, RnnSession session, int maxOutputLength, DecoderArena arena)
    {
        _c = model.Config;
        _step = step;
        _session = session;
        _arena = arena;
        _maxOutputLength = maxOutputLength;
        _produced = arena.Reserve(session.BatchSize);
        _limit = arena.Reserve(session.BatchSize);
    }

    /// <summary>Decodes the first <paramref name="count"/> streams; output b goes to tokens[b·width ..], its length to lengths[b].</summary>
    public void Decode(DecodingOptions options, int count, Span<int> tokens, int width, Span<int> lengths, DecoderBridge bridge)
    {
        int v = _c.TargetVocabularySize;
        var random = new SplitMix64(options.Seed);
        _step.Start();
        bridge.StartBatch(_session);
        Span<int> produced = _arena.Ints(_produced), limits = _arena.Ints(_limit), previous = _step.Previous;
        int active = count;
        for (int b = 0; b < count; b++)
        {
            produced[b] = 0;
            limits[b] = options.Limit(Math.Min(_maxOutputLength, width), _step.Memory.LengthOf(b));
        }

        while (active > 0)
        {
            _step.Forward(_session, _session.BatchSize);
            for (int b = 0; b < count; b++)
            {
                if (produced[b] < 0)
                    continue; // finished
                Span<float> logProbs = _step.LogProbabilities(b);
                if (produced[b] < options.MinLength)
                    logProbs[_c.EosId] = float.NegativeInfinity;
                int id = options.Sample ? Sampler.Sample(logProbs, _step.Probabilities, options, ref random) : TensorPrimitives.IndexOfMax(logProbs);
                tokens[b * width + produced[b]] = id;
                previous[b] = id;
                int n = ++produced[b];
                if (id == _c.EosId || n >= limits[b])
                {
                    lengths[b] = n;
                    produced[b] = -1;
                    active--;
                }
            }
        }
    }
}
