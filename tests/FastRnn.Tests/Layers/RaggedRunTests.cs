using FastRnn.Tests.Support;

namespace FastRnn.Tests.Layers;

/// <summary>
/// A stream of a ragged batch gets the same bits whatever the other streams' lengths: a batch sorted longest first
/// steps only the streams still running, but never fewer than two rows, so a stream never moves from the batched
/// product to the one-vector one (which sums in another order) because the others ended.
/// </summary>
public class RaggedRunTests
{
    [Theory]
    [InlineData(RecurrentKind.Lstm, false)]
    [InlineData(RecurrentKind.Gru, true)]
    public void LongestStream_IsTheSameBits_WhateverTheOthersLengths(RecurrentKind kind, bool bidirectional)
    {
        const int steps = 30, batch = 3;
        var config = new RnnConfig { Kind = kind, InputSize = 7, HiddenSize = 40, Bidirectional = bidirectional };
        var model = RnnModel.FromPyTorch(config, Streaming.StreamModels.Parameters(config, initialState: false, seed: 5));
        float[] input = Enumerable.Range(0, steps * batch * config.InputSize).Select(i => MathF.Sin(i * 0.37f)).ToArray();

        float[] Run(int[] lengths)
        {
            using RnnSession session = model.CreateSession(batch, steps);
            var output = new float[steps * batch * config.OutputSize];
            session.Run(input, output, lengths);
            return output;
        }

        float[] alone = Run([steps, steps, steps]), ragged = Run([steps, 17, 3]);
        int width = config.OutputSize;
        for (int t = 0; t < steps; t++)
        {
            Assert.True(alone.AsSpan(t * batch * width, width).SequenceEqual(ragged.AsSpan(t * batch * width, width)),
                $"{kind}: stream 0 at t = {t} differs when the other streams are shorter");
        }
    }
}
