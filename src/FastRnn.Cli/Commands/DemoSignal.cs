namespace FastRnn.Cli.Commands;

/// <summary>
/// The demo's input: two sinusoids plus Gaussian noise (σ = 0.02), drawn like the sine-lstm model's training data
/// (tools/train/train_sine_lstm.py), with a fixed seed so every run streams the same samples.
/// </summary>
internal static class DemoSignal
{
    public static float[] Generate(int length, int seed)
    {
        var random = new Random(seed);
        var x = new float[length];
        for (int t = 0; t < length; t++)
        {
            // Divided by the sum of the amplitudes, as in training, so the clean signal stays in [-1, 1].
            double clean = (0.6 * Math.Sin(2 * Math.PI * 0.031 * t + 0.3) + 0.35 * Math.Sin(2 * Math.PI * 0.077 * t + 1.1)) / 0.95;
            // Box–Muller: one standard normal from two uniforms.
            double noise = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            x[t] = (float)(clean + 0.02 * noise);
        }
        return x;
    }
}
