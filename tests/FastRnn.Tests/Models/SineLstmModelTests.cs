using System.Globalization;
using FastRnn.Format;
using FastRnn.Layers;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Models;

/// <summary>
/// The shipped model weights/sine-lstm.frnn (written by tools/train/train_sine_lstm.py through the independent Python
/// writer tools/frnn.py) against PyTorch's float64 predictions on a held-out slice, Fixtures/models/sine-lstm-golden.
/// </summary>
public class SineLstmModelTests
{
    private const int Steps = 400, Batch = 4;

    // The golden outputs are float64 results rounded once to float32; 2e-5 leaves room for float32 accumulation over
    // 400 recurrent steps.
    private const double Tolerance = 2e-5;

    private static readonly string ModelPath = Fixtures.ShippedModel("sine-lstm.frnn");

    private static SafetensorsFile Golden()
        => SafetensorsFile.Read(Path.Combine(Fixtures.Directory("models"), "sine-lstm-golden.safetensors"));

    [Fact]
    public void Run_MatchesPyTorch_AndBeatsTheNaiveBaseline()
    {
        var golden = Golden();
        var model = RnnModel.Load(ModelPath);
        using var s = model.CreateSession(batchSize: Batch, maxSequenceLength: Steps);
        float[] input = golden["input"];
        var output = new float[Steps * Batch];

        s.Run(input, output);

        Compare.Close(golden["output"], output, Tolerance, "predictions");
        double rmse = NextSampleRmse(input, output);
        Assert.Equal(double.Parse(golden.Metadata["rmse_model"], CultureInfo.InvariantCulture), rmse, 1e-6);
        Assert.True(rmse < double.Parse(golden.Metadata["rmse_naive"], CultureInfo.InvariantCulture),
            $"model RMSE {rmse} is not below the repeat-last-sample baseline {golden.Metadata["rmse_naive"]}");
    }

    [Fact]
    public void Step_StreamingOneSampleAtATime_MatchesPyTorch()
    {
        var golden = Golden();
        var model = RnnModel.Load(ModelPath);
        using var s = model.CreateSession(batchSize: Batch, maxSequenceLength: Steps);
        float[] input = golden["input"];
        var output = new float[Steps * Batch];

        for (int t = 0; t < Steps; t++)
            s.Step(input.AsSpan(t * Batch, Batch), output.AsSpan(t * Batch, Batch)); // (B, I = 1) -> (B, H_out = 1)

        Compare.Close(golden["output"], output, Tolerance, "streamed predictions");
    }

    [Fact]
    public void Open_ReadsTheModelCardMetadata()
    {
        using FrnnFile file = FrnnFile.Open(ModelPath);

        Assert.Equal("sine-lstm", file.GetString("model.name"));
        Assert.Equal("next-sample prediction", file.GetString("model.task"));
    }

    /// <summary>RMSE, in double, of predicting x[t+1] by output[t] over t = 0..T-2, as the training script computes it.</summary>
    private static double NextSampleRmse(float[] input, float[] output)
    {
        double sum = 0;
        int count = (Steps - 1) * Batch;
        for (int i = 0; i < count; i++)
        {
            double error = (double)output[i] - input[i + Batch];
            sum += error * error;
        }
        return Math.Sqrt(sum / count);
    }

}
