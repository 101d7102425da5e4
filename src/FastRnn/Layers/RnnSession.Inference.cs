using System.Runtime.CompilerServices;
using FastRnn.Runtime;

namespace FastRnn.Layers;

public sealed partial class RnnSession
{
    /// <summary>
    /// Advances every stream by one time step: <paramref name="input"/> (B, I) in, the top layer's new hidden state
    /// (B, H_out) out. Unidirectional models only.
    /// </summary>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    /// <exception cref="InvalidOperationException">The model is bidirectional.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Step(ReadOnlySpan<float> input, Span<float> output)
    {
        ThrowIfDisposed();
        if (_config.Bidirectional)
            throw Errors.StepOnBidirectional();
        if (input.Length != InputLength)
            throw Errors.Length(nameof(input), input.Length, InputLength, $"(B, I) = ({BatchSize}, {_config.InputSize})");
        if (output.Length != OutputLength)
            throw Errors.Length(nameof(output), output.Length, OutputLength, $"(B, H_out) = ({BatchSize}, {_config.OutputHiddenSize})");

        int batch = BatchSize;
        ReadOnlySpan<float> x = input;
        int xWidth = _config.InputSize;
        Span<float> scratch = _arena[_scratch];
        for (int layer = 0; layer < _config.NumLayers; layer++)
        {
            RecurrentCell cell = _model.Cell(layer, 0);
            Span<float> gates = _arena[_gates][..(batch * cell.GateRows)];
            cell.ProjectInputs(x, xWidth, batch, gates);
            Span<float> h = LayerHidden(layer, 0);
            cell.Step(gates, h, LayerCell(layer, 0), scratch, batch);
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
    /// A unidirectional model runs sequences of any length, in pieces of <see cref="MaxSequenceLength"/> steps; a
    /// bidirectional one needs T ≤ <see cref="MaxSequenceLength"/>, since its backward direction starts at the end.
    /// </remarks>
    /// <exception cref="ArgumentException">A span has the wrong length, or a bidirectional sequence is too long.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(ReadOnlySpan<float> input, Span<float> output)
    {
        ThrowIfDisposed();
        int perStep = InputLength;
        if (input.Length == 0 || input.Length % perStep != 0)
            throw Errors.SequenceLength(nameof(input), input.Length, perStep, $"(T, B, I) with B = {BatchSize}, I = {_config.InputSize}");
        int steps = input.Length / perStep;
        if (output.Length != (long)steps * OutputLength)
            throw Errors.Length(nameof(output), output.Length, (long)steps * OutputLength, $"(T, B, D·H_out) = ({steps}, {BatchSize}, {_config.OutputSize})");
        if (_config.Bidirectional && steps > MaxSequenceLength)
            throw Errors.SequenceTooLong(steps, MaxSequenceLength);

        for (int start = 0; start < steps; start += MaxSequenceLength)
        {
            int count = Math.Min(MaxSequenceLength, steps - start);
            RunPiece(input.Slice(start * perStep, count * perStep), output.Slice(start * OutputLength, count * OutputLength), count);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunPiece(ReadOnlySpan<float> input, Span<float> output, int steps)
    {
        int batch = BatchSize, layers = _config.NumLayers, directions = _config.Directions, hOut = _config.OutputHiddenSize;
        int width = _config.OutputSize;
        Span<float> scratch = _arena[_scratch];
        Span<float> layerOut = _arena[_layerOut];

        ReadOnlySpan<float> x = input;
        int xWidth = _config.InputSize;
        for (int layer = 0; layer < layers; layer++)
        {
            // Layers alternate between the caller's output and the arena's layer buffer, arranged so the top layer
            // writes straight into the output: a layer never reads the buffer it writes.
            Span<float> y = (layers - 1 - layer) % 2 == 0 ? output : layerOut[..(steps * batch * width)];
            for (int d = 0; d < directions; d++)
            {
                RecurrentCell cell = _model.Cell(layer, d);
                int g = cell.GateRows;
                Span<float> gates = _arena[_gates][..(steps * batch * g)];
                cell.ProjectInputs(x, xWidth, steps * batch, gates);

                Span<float> h = LayerHidden(layer, d), c = LayerCell(layer, d);
                for (int s = 0; s < steps; s++)
                {
                    int t = d == 0 ? s : steps - 1 - s;
                    cell.Step(gates.Slice(t * batch * g, batch * g), h, c, scratch, batch);
                    for (int b = 0; b < batch; b++)
                        h.Slice(b * hOut, hOut).CopyTo(y.Slice((t * batch + b) * width + d * hOut, hOut));
                }
            }
            x = y;
            xWidth = width;
        }
    }
}
