namespace FastRnn.Benchmarks;

public partial class RecurrentStepBenchmarks
{
    /// <summary>
    /// Largest absolute difference tolerated between contenders. Outputs lie in (−1, 1); the engines sum the same
    /// products in different orders and use different sigmoid/tanh approximations, which costs a few 1e-6.
    /// </summary>
    private const float Tolerance = 1e-4f;

    private const int VerifiedSteps = 8;

    /// <summary>
    /// Proves the contenders compute the same function before any of them is timed: FastRnn against ONNX Runtime
    /// (which also proves the PyTorch-to-ONNX gate reordering) and against the naive cell, step by step and over a
    /// whole run. Throws if any output differs by more than <see cref="Tolerance"/>.
    /// </summary>
    private void VerifyAgreement()
    {
        _session.Reset();
        _naive.Reset();
        _onnxStep.Reset();
        var naiveOutput = new float[Size];
        for (int t = 0; t < VerifiedSteps; t++)
        {
            ReadOnlySpan<float> x = _sequence.AsSpan(t * Size, Size);
            _session.Step(x, _stepOutput);
            _naive.Step(x, naiveOutput);
            x.CopyTo(_onnxStep.Input);
            _onnxStep.RunAndCarryState();
            Check("ONNX Runtime Step", t, _stepOutput, _onnxStep.FinalHidden);
            Check("naive scalar Step", t, _stepOutput, naiveOutput);
        }

        _session.Reset();
        _session.Run(_sequence, _runOutput);
        _onnxRun.Reset();
        _onnxRun.Run();
        Check("ONNX Runtime Run", SequenceLength - 1, _runOutput, _onnxRun.Output);
    }

    private void Check(string contender, int lastStep, ReadOnlySpan<float> fastRnn, ReadOnlySpan<float> other)
    {
        if (fastRnn.Length != other.Length)
            throw new InvalidOperationException($"{Kind} {Size}: {contender} produced {other.Length} floats, FastRnn {fastRnn.Length}");
        for (int i = 0; i < fastRnn.Length; i++)
        {
            float difference = MathF.Abs(fastRnn[i] - other[i]);
            if (!(difference <= Tolerance))
            {
                throw new InvalidOperationException(
                    $"{Kind} {Size}: {contender} disagrees with FastRnn at output {i} (steps 0..{lastStep}): "
                    + $"{other[i]} vs {fastRnn[i]}, difference {difference} > {Tolerance}");
            }
        }
    }
}
