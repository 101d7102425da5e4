using System.Numerics.Tensors;
using FastRnn.Kernels;
using FastRnn.Layers;

namespace FastRnn.Attention;

/// <summary>
/// Scores a decoder query against the encoder outputs (the memory), and returns the attention weights and the
/// context vector. The key side of every kind is computed once per source by <see cref="PrecomputeKeys"/>, so a
/// step costs one query projection plus S small dot products.
/// </summary>
internal sealed class AttentionLayer
{
    private readonly Linear? _query;   // (A, H): additive kinds
    private readonly Linear? _key;     // (A, K) additive, (H, K) general
    private readonly float[] _v = [];  // (A): additive; for the normalized kind already g · v / ‖v‖
    private readonly float _vBias;     // b_v (tutorial form); shifts every score equally
    private readonly float[] _innerBias = []; // (A): the normalized kind's b inside the tanh
    private readonly KernelSet _kernels = KernelSelector.Default;

    public AttentionLayer(AttentionKind kind, ITensorSource source, int querySize, int memorySize, int attentionSize)
    {
        Kind = kind;
        QuerySize = querySize;
        MemorySize = memorySize;
        switch (kind)
        {
            case AttentionKind.Bahdanau:
            case AttentionKind.Mlp:
            case AttentionKind.BahdanauNormalized:
                bool tutorial = kind == AttentionKind.Bahdanau;
                _query = new Linear(source, "attention.query", attentionSize, querySize, bias: kind != AttentionKind.BahdanauNormalized);
                _key = new Linear(source, "attention.key", attentionSize, memorySize, bias: tutorial);
                _v = source.Get("attention.v.weight", [1, attentionSize]).ToArray();
                if (tutorial)
                    _vBias = source.Get("attention.v.bias", [1])[0];
                if (kind == AttentionKind.BahdanauNormalized)
                {
                    // g · v / ‖v‖, folded once at load.
                    float g = source.Get("attention.g", [1])[0];
                    float norm = TensorPrimitives.Norm(_v);
                    TensorPrimitives.Multiply(_v, g / norm, _v);
                    _innerBias = source.Get("attention.b", [attentionSize]).ToArray();
                }
                KeyWidth = attentionSize;
                break;
            case AttentionKind.General:
                _key = new Linear(source, "attention.key", querySize, memorySize, bias: false);
                KeyWidth = querySize;
                break;
            case AttentionKind.Dot:
                if (querySize != memorySize)
                    throw new ArgumentException($"dot attention needs the decoder hidden size ({querySize}) to equal the encoder output width ({memorySize})");
                KeyWidth = memorySize;
                break;
            default:
                throw new ArgumentException($"unknown attention kind {kind}");
        }
    }

    public AttentionKind Kind { get; }

    /// <summary>H, the query width.</summary>
    public int QuerySize { get; }

    /// <summary>K, the width of one encoder output.</summary>
    public int MemorySize { get; }

    /// <summary>Width of one precomputed key: A (additive), H (general), K (dot).</summary>
    public int KeyWidth { get; }

    /// <summary>keys (S, KeyWidth) from memory (S, K): the step-independent half of every score.</summary>
    public void PrecomputeKeys(ReadOnlySpan<float> memory, int sourceLength, Span<float> keys)
    {
        if (_key is null)
            memory[..(sourceLength * MemorySize)].CopyTo(keys);
        else
            _key.Forward(memory, MemorySize, keys, KeyWidth, sourceLength);
    }

    /// <summary>Whether a query is projected (W_q q + b, A floats) before it is scored: the additive kinds.</summary>
    public bool ProjectsQueries => _query is not null;

    /// <summary>
    /// The query side of the additive kinds for <paramref name="count"/> queries (count, H) at once, one batched product:
    /// projected (count, A) = W_q q (+ b) (+ the normalized kind's inner b), for <see cref="AttendProjected"/>.
    /// </summary>
    public void ProjectQueries(ReadOnlySpan<float> queries, int count, Span<float> projected)
    {
        int a = KeyWidth;
        _query!.Forward(queries, QuerySize, projected, a, count);
        if (_innerBias.Length > 0)
        {
            for (int j = 0; j < count; j++)
                TensorPrimitives.Add(projected.Slice(j * a, a), _innerBias, projected.Slice(j * a, a));
        }
    }

    /// <summary>
    /// weights (S) = softmax of the scores of one query against the keys; context (K) = Σ weights_i · memory_i. The
    /// query is already through <see cref="ProjectQueries"/> (additive kinds: A floats), or the query itself (dot and
    /// general kinds: H floats).
    /// </summary>
    public void AttendProjected(ReadOnlySpan<float> projected, ReadOnlySpan<float> keys, ReadOnlySpan<float> memory, int sourceLength,
                                Span<float> weights, Span<float> context)
    {
        int s = sourceLength, a = KeyWidth;
        Span<float> scores = weights[..s];
        if (_query is null)
        {
            for (int i = 0; i < s; i++)
                scores[i] = TensorPrimitives.Dot(projected, keys.Slice(i * a, a));
        }
        else
        {
            // v · tanh(W_q q + key_i) + b_v, each score in one fused pass over its key.
            _kernels.AdditiveScores(projected[..a], keys[..(s * a)], _v, _vBias, scores);
        }

        Softmax.InPlace(scores);
        _kernels.WeightedSum(scores, memory[..(s * MemorySize)], context[..MemorySize]);
    }
}
