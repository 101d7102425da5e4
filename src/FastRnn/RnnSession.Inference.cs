using FastRnn.Layers;
using System.Runtime.CompilerServices;
using FastRnn.Runtime;

namespace FastRnn;

public sealed partial class RnnSession
{
    /// <summary>
    /// Advances every stream by one time step: <paramref name="input"/> (B, I) in, the top layer's new hidden state
    /// (B, H_out) out. Forward unidirectional models only.
    /// </summary>
    /// <exception cref="ArgumentException">A span has the wrong length, or (with <see cref="RnnSessionOptions.ValidateInputs"/>) an input is NaN or ±∞.</exception>
    /// <exception cref="InvalidOperationException">The model is bidirectional or reads its input in reverse.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Step(ReadOnlySpan<float> input, Span<float> output)
    {
        ThrowIfDisposed();
        if (_config.Bidirectional || _config.Reverse)
            throw Errors.StepNeedsFuture(_config.Bidirectional);
        if (input.Length != InputLength)
            throw Errors.Length(nameof(input), input.Length, InputLength, $"(B, I) = ({BatchSize}, {_config.InputSize})");
        if (output.Length != OutputLength)
            throw Errors.Length(nameof(output), output.Length, OutputLength, $"(B, H_out) = ({BatchSize}, {_config.OutputHiddenSize})");
        _inputCheck?.Step(input);

        _team.NextStep();
        StepLayers(0, input, _config.InputSize, output);
    }

    // Layers first.. of one step from x (B, xWidth), the input of layer `first`; the top layer's h into output.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void StepLayers(int first, ReadOnlySpan<float> x, int xWidth, Span<float> output)
    {
        int batch = BatchSize;
        Span<float> scratch = _arena[_buffers[0].Scratch];
        for (int layer = first; layer < _config.NumLayers; layer++)
        {
            RecurrentCell cell = _model.Cell(layer, 0);
            Span<float> gates = _arena[_buffers[0].Gates][..(batch * cell.GateRows)];
            Span<float> h = LayerHidden(layer, 0);
            cell.StepFromInput(_team, x, xWidth, gates, h, LayerCell(layer, 0), scratch, batch);
            x = h;
            xWidth = cell.OutputSize;
        }
        x.CopyTo(output);
    }

    /// <summary>
    /// Runs a whole sequence from the current state and leaves the final state in the session:
    /// <paramref name="input"/> (T, B, I) in, <paramref name="output"/> (T, B, D·H_out) out, with T taken from the input
    /// length. The input projection of each layer is one matrix product over all T steps, hoisted out of the recurrence.
    /// </summary>
    /// <remarks>
    /// A forward unidirectional model runs sequences of any length, in pieces of <see cref="MaxSequenceLength"/> steps;
    /// a bidirectional or reverse one needs T ≤ <see cref="MaxSequenceLength"/>, since it starts at the end. A model with
    /// constant <see cref="RnnConfig.SequenceLengths"/> runs with those, as the overload that takes lengths does.
    /// </remarks>
    /// <exception cref="ArgumentException">A span has the wrong length, or a sequence that must fit in one piece is too long.</exception>
    public void Run(ReadOnlySpan<float> input, Span<float> output) => Run(input, output, _defaultLengths);

    /// <summary>
    /// Runs a batch of sequences of different lengths (ONNX <c>sequence_lens</c>): stream b uses the first
    /// <c>sequenceLengths[b]</c> steps of <paramref name="input"/>; later steps give zeros in <paramref name="output"/>
    /// and leave its state alone, and a backward direction starts at the stream's own last step. Empty
    /// <paramref name="sequenceLengths"/> means every stream is T long. Needs T ≤ <see cref="MaxSequenceLength"/>
    /// when lengths are given.
    /// </summary>
    /// <exception cref="ArgumentException">A span has the wrong length, a length is outside 0..T, or (with
    /// <see cref="RnnSessionOptions.ValidateInputs"/>) an input a stream reads is NaN or ±∞.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(ReadOnlySpan<float> input, Span<float> output, ReadOnlySpan<int> sequenceLengths)
    {
        ThrowIfDisposed();
        int perStep = InputLength;
        if (input.Length == 0 || input.Length % perStep != 0)
            throw Errors.SequenceLength(nameof(input), input.Length, perStep, $"(T, B, I) with B = {BatchSize}, I = {_config.InputSize}");
        int steps = input.Length / perStep;
        CheckRun(output, steps, sequenceLengths);
        _inputCheck?.Run(input, sequenceLengths);

        for (int start = 0; start < steps; start += MaxSequenceLength)
        {
            int count = Math.Min(MaxSequenceLength, steps - start);
            RunPiece(input.Slice(start * perStep, count * perStep), [], null, output.Slice(start * OutputLength, count * OutputLength), count, sequenceLengths);
        }
    }

    // The output and lengths of a Run of T = steps: one (B, D·H_out) row block per step, lengths in 0..T, and a sequence
    // that needs all of its steps at once (reverse, bidirectional, variable-length) no longer than the session holds.
    private void CheckRun(Span<float> output, int steps, ReadOnlySpan<int> sequenceLengths)
    {
        if (output.Length != (long)steps * OutputLength)
            throw Errors.Length(nameof(output), output.Length, (long)steps * OutputLength, $"(T, B, D·H_out) = ({steps}, {BatchSize}, {_config.OutputSize})");
        bool ragged = !sequenceLengths.IsEmpty;
        if (ragged)
            CheckSequenceLengths(sequenceLengths, steps);
        bool whole = _config.Bidirectional || _config.Reverse || ragged;
        if (whole && steps > MaxSequenceLength)
            throw Errors.SequenceTooLong(steps, MaxSequenceLength, _config.Bidirectional ? "a bidirectional" : _config.Reverse ? "a reverse" : "a variable-length");
    }

    private void CheckSequenceLengths(ReadOnlySpan<int> lengths, int steps)
    {
        if (lengths.Length != BatchSize)
            throw Errors.Length("sequenceLengths", lengths.Length, BatchSize, "(B)");
        for (int b = 0; b < lengths.Length; b++)
        {
            if ((uint)lengths[b] > (uint)steps)
                throw new ArgumentException($"sequenceLengths[{b}] = {lengths[b]} is outside 0..T = 0..{steps}", "sequenceLengths");
        }
    }

    // The first layer's input is `input` (T, B, I), or with a projection the tokens (T, B) whose gate rows it holds.
    private void RunPiece(ReadOnlySpan<float> input, ReadOnlySpan<int> tokens, EmbeddingProjection? projection, Span<float> output, int steps,
                          ReadOnlySpan<int> lengths)
    {
        int batch = BatchSize, layers = _config.NumLayers, directions = _config.Directions;
        int width = _config.OutputSize;
        Span<float> layerOut = _arena[_layerOut];

        if (RunsLayersTogether(steps, lengths))
        {
            _pipeline!.Run(input, tokens, projection, output, layerOut[..(steps * batch * width)], steps);
            return;
        }

        ReadOnlySpan<float> x = input;
        int xWidth = _config.InputSize;
        for (int layer = 0; layer < layers; layer++)
        {
            // Layers alternate between the caller's output and the arena's layer buffer, arranged so the top layer
            // writes straight into the output: a layer never reads the buffer it writes.
            Span<float> y = (layers - 1 - layer) % 2 == 0 ? output : layerOut[..(steps * batch * width)];
            if (RunsDirectionsTogether(layer, xWidth, steps))
            {
                _together!.RunLayer(layer, x, xWidth, tokens, projection, y, steps, lengths);
            }
            else
            {
                for (int d = 0; d < directions; d++)
                    RunDirection(_team, _buffers[0], layer, d, x, xWidth, tokens, projection, y, steps, lengths);
            }
            x = y;
            xWidth = width;
        }
    }

    // Steps start .. end − 1 of a piece whose every stream runs them all (backward: end − 1 first), one batched step per
    // time index; gates holds the gx rows of those steps only.
    private void Recur(WorkerTeam team, in DirectionBuffers buffers, RecurrentCell cell, int layer, int d, Span<float> gates, Span<float> y,
                       int start, int end, bool backward)
    {
        int batch = BatchSize, g = cell.GateRows, hOut = _config.OutputHiddenSize, width = _config.OutputSize;
        Span<float> h = LayerHidden(layer, d), c = LayerCell(layer, d), scratch = _arena[buffers.Scratch];
        for (int s = 0; s < end - start; s++)
        {
            int t = backward ? end - 1 - s : start + s;
            team.NextStep();
            cell.StepFromGates(team, gates.Slice((t - start) * batch * g, batch * g), h, c, scratch, batch);
            for (int b = 0; b < batch; b++)
                h.Slice(b * hOut, hOut).CopyTo(y.Slice((t * batch + b) * width + d * hOut, hOut));
        }
    }

    // Streams of different lengths. Step s of stream b is time s forwards, or lengths[b] − 1 − s backwards; its gate row
    // is gathered into one contiguous (B, G·H) block and the batched step runs. When the lengths do not increase from
    // stream to stream (a batch sorted longest first, as the seq2seq batch encoder makes it), the streams still running
    // at step s are a prefix of the batch, and only that prefix (at least two rows) is stepped: ended streams cost
    // nothing. Otherwise every stream steps. Streams stepped past their end get their state back from a copy taken
    // before the step.
    private void RecurRagged(WorkerTeam team, in DirectionBuffers buffers, RecurrentCell cell, int layer, int d, Span<float> gates, Span<float> y, int steps,
                             bool backward, ReadOnlySpan<int> lengths)
    {
        int batch = BatchSize, g = cell.GateRows, hOut = _config.OutputHiddenSize, hs = _config.HiddenSize, width = _config.OutputSize;
        Span<float> h = LayerHidden(layer, d), c = LayerCell(layer, d), scratch = _arena[buffers.Scratch];
        Span<float> stepGates = _arena[buffers.StepGates][..(batch * g)], saved = _arena[buffers.Saved];
        int cellWidth = c.IsEmpty ? 0 : hs;

        // Positions past a stream's end are zeros in every direction's half of the output.
        int longest = 0;
        bool longestFirst = true;
        for (int b = 0; b < batch; b++)
        {
            for (int t = lengths[b]; t < steps; t++)
                y.Slice((t * batch + b) * width + d * hOut, hOut).Clear();
            longest = Math.Max(longest, lengths[b]);
            longestFirst &= b == 0 || lengths[b] <= lengths[b - 1];
        }

        // At least two rows stay in the step while the batch has two: one row alone would take the matrix–vector
        // kernel, which sums in another order, and a stream's numbers would then depend on the others' lengths.
        int rows = batch, fewest = Math.Min(batch, 2);
        for (int s = 0; s < longest; s++)
        {
            if (longestFirst)
            {
                while (rows > fewest && lengths[rows - 1] <= s)
                    rows--; // stream rows − 1 has ended, and every one after it
            }
            for (int b = 0; b < rows; b++)
            {
                Span<float> row = stepGates.Slice(b * g, g);
                if (s < lengths[b])
                {
                    int t = backward ? lengths[b] - 1 - s : s;
                    gates.Slice((t * batch + b) * g, g).CopyTo(row);
                }
                else
                {
                    row.Clear(); // computed and then discarded: finite values keep the step well-defined
                    h.Slice(b * hOut, hOut).CopyTo(saved.Slice(b * (hOut + cellWidth), hOut));
                    c.Slice(b * cellWidth, cellWidth).CopyTo(saved.Slice(b * (hOut + cellWidth) + hOut, cellWidth));
                }
            }

            team.NextStep();
            cell.StepFromGates(team, stepGates[..(rows * g)], h[..(rows * hOut)], c[..(rows * cellWidth)], scratch, rows);

            for (int b = 0; b < rows; b++)
            {
                if (s < lengths[b])
                {
                    int t = backward ? lengths[b] - 1 - s : s;
                    h.Slice(b * hOut, hOut).CopyTo(y.Slice((t * batch + b) * width + d * hOut, hOut));
                }
                else
                {
                    saved.Slice(b * (hOut + cellWidth), hOut).CopyTo(h.Slice(b * hOut, hOut));
                    saved.Slice(b * (hOut + cellWidth) + hOut, cellWidth).CopyTo(c.Slice(b * cellWidth, cellWidth));
                }
            }
        }
    }
}
