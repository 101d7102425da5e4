using FastRnn.Format;
using FastRnn.Tests.Support;
using Xunit.Abstractions;

namespace FastRnn.Tests.Quantization;

/// <summary>
/// Every PyTorch golden case (Fixtures/rnn, float64) run with all its weight matrices in bfloat16 or int8: the output
/// sequence and final states must stay within the error bounds docs/format.md states, measured as the maximum
/// absolute error and as that error relative to the largest golden magnitude.
/// </summary>
public class QuantizedParityTests(ITestOutputHelper output)
{
    // Twice the largest error measured over the 49 cases (bfloat16: 4.5e-3 absolute, 4.7e-3 relative; int8: 2.0e-2
    // and 2.0e-2), leaving room for other instruction sets' summation orders; docs/format.md states the same bounds.
    private const double BFloat16MaxAbs = 0.01, BFloat16MaxRelative = 0.01;
    private const double Int8MaxAbs = 0.04, Int8MaxRelative = 0.04;

    public static IEnumerable<object[]> Cases() => RnnFixture.All();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Run_WithBFloat16Weights_StaysWithinTheStatedBound(string name) => Check(name, WeightPrecision.BFloat16, BFloat16MaxAbs, BFloat16MaxRelative);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Run_WithInt8Weights_StaysWithinTheStatedBound(string name) => Check(name, WeightPrecision.Int8, Int8MaxAbs, Int8MaxRelative);

    private void Check(string name, WeightPrecision weights, double maxAbs, double maxRelative)
    {
        var f = RnnFixture.Load(name);
        byte[] quantized;
        using (FrnnFile file = FrnnFile.Parse(RnnModel.ToFrnn(f.Config, f.Parameters)))
            quantized = FrnnQuantizer.Convert(file, weights, minElements: 1).ToArray();
        var model = RnnModel.Load(quantized);
        using var session = model.CreateSession(f.Batch, maxSequenceLength: f.Steps);
        f.ApplyInitialState(session);
        var y = new float[f.Output.Length];
        session.Run(f.Input, y);

        double abs = 0, scale = 0;
        foreach ((float[] golden, float[] actual) in new[] { (f.Output, y), (f.FinalHidden, session.HiddenState.ToArray()), (f.FinalCell, session.CellState.ToArray()) })
        {
            for (int i = 0; i < golden.Length; i++)
            {
                abs = Math.Max(abs, Math.Abs(golden[i] - actual[i]));
                scale = Math.Max(scale, Math.Abs(golden[i]));
            }
        }
        double relative = abs / Math.Max(scale, 1e-30);
        output.WriteLine($"{name} {weights}: max abs {abs:E2}, relative {relative:E2}");
        Assert.True(abs <= maxAbs && relative <= maxRelative, $"{name} {weights}: max abs error {abs:E3} (bound {maxAbs}), relative {relative:E3} (bound {maxRelative})");
    }
}
