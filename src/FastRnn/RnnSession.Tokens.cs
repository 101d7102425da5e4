using System.Runtime.CompilerServices;
using FastRnn.Layers;
using FastRnn.Runtime;

namespace FastRnn;

// Steps and sequences fed token ids through an embedding whose projection the first layer folded into tables
// (EmbeddingProjection): the models that own an embedding (language models, seq2seq encoders) use these instead of
// copying embedded vectors in and multiplying them by W_ih again at every step.
public sealed partial class RnnSession
{
    /// <summary>
    /// <see cref="Step"/> with stream b fed token <paramref name="tokens"/>[b] of <paramref name="projection"/>'s
    /// embedding (B ids): the first layer's gate inputs are table rows, the rest of the step as <see cref="Step"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void StepTokens(ReadOnlySpan<int> tokens, EmbeddingProjection projection, Span<float> output)
    {
        ThrowIfDisposed();
        if (_config.Bidirectional || _config.Reverse)
            throw Errors.StepNeedsFuture(_config.Bidirectional);
        if (tokens.Length != BatchSize)
            throw new ArgumentException($"tokens has {tokens.Length} ids; expected B = {BatchSize}", nameof(tokens));
        if (output.Length != OutputLength)
            throw Errors.Length(nameof(output), output.Length, OutputLength, $"(B, H_out) = ({BatchSize}, {_config.OutputHiddenSize})");
        projection.ThrowUnlessFor(_model, "session");

        int batch = BatchSize;
        RecurrentCell cell = _model.Cell(0, 0);
        Span<float> gates = _arena[_buffers[0].Gates][..(batch * cell.GateRows)], h = LayerHidden(0, 0);
        _team.NextStep();
        cell.StepFromTable(_team, projection, 0, tokens, gates, h, LayerCell(0, 0), _arena[_buffers[0].Scratch], batch);
        StepLayers(1, h, cell.OutputSize, output);
    }

    /// <summary><see cref="RunTokens(ReadOnlySpan{int}, EmbeddingProjection, Span{float}, ReadOnlySpan{int})"/> with the model's own sequence lengths, as <see cref="Run(ReadOnlySpan{float}, Span{float})"/>.</summary>
    internal void RunTokens(ReadOnlySpan<int> tokens, EmbeddingProjection projection, Span<float> output)
        => RunTokens(tokens, projection, output, _defaultLengths);

    /// <summary>
    /// <see cref="Run(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{int})"/> of the sequences whose inputs are the
    /// embedded <paramref name="tokens"/> (T, B), time-major like the inputs, with the same optional per-stream lengths
    /// (ids past a stream's length are never read as inputs, but must be in the vocabulary).
    /// </summary>
    internal void RunTokens(ReadOnlySpan<int> tokens, EmbeddingProjection projection, Span<float> output, ReadOnlySpan<int> sequenceLengths)
    {
        ThrowIfDisposed();
        int batch = BatchSize;
        if (tokens.Length == 0 || tokens.Length % batch != 0)
            throw new ArgumentException($"tokens has {tokens.Length} ids, which is not a positive whole number of time steps of B = {batch}", nameof(tokens));
        int steps = tokens.Length / batch;
        CheckRun(output, steps, sequenceLengths);
        projection.ThrowUnlessFor(_model, "session");
        projection.CheckTokens(tokens); // all of them first: a piece's layers may already be running on two threads

        for (int start = 0; start < steps; start += MaxSequenceLength)
        {
            int count = Math.Min(MaxSequenceLength, steps - start);
            RunPiece([], tokens.Slice(start * batch, count * batch), projection, output.Slice(start * OutputLength, count * OutputLength), count, sequenceLengths);
        }
    }
}
