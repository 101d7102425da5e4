using FastRnn.Benchmarks;
using FastRnn.Format;
using FastRnn.Kernels;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace FastRnn.Tests.Quantization;

/// <summary>
/// The benchmark's ONNX Runtime <c>DynamicQuantizeLSTM</c> model (same int8 weights and per-row scales as FastRnn's
/// int8 LSTM) loads, and ONNX Runtime — the oracle for its own operator — agrees with FastRnn's int8 LSTM within the
/// noise of the two activation quantizations, both being close to the float32 result.
/// </summary>
public class DynamicQuantizeLstmOracleTests(ITestOutputHelper output)
{
    // Measured: 1.5e-3 between the two, 1.0e-3 (ORT) and 1.5e-3 (FastRnn) against float32; the bounds allow ~7x.
    [Fact]
    public void DynamicQuantizeLstm_AgreesWithFastRnnInt8()
    {
        const int inputSize = 16, hidden = 32, steps = 8;
        var config = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = inputSize, HiddenSize = hidden };
        Dictionary<string, float[]> parameters = FastRnn.Tests.Layers.OnnxFeatureTests.RandomParameters(config, new Random(21));
        byte[] fp32 = RnnModel.ToFrnn(config, parameters);
        byte[] int8;
        using (FrnnFile file = FrnnFile.Parse(fp32))
            int8 = FrnnQuantizer.Convert(file, WeightPrecision.Int8, minElements: 1).ToArray();

        byte[] onnx;
        using (FrnnFile file = FrnnFile.Parse(int8))
        {
            WeightData wih = file.GetWeights("weight_ih_l0", [4 * hidden, inputSize]), whh = file.GetWeights("weight_hh_l0", [4 * hidden, hidden]);
            float[] bias = [.. parameters["bias_ih_l0"], .. parameters["bias_hh_l0"]];
            onnx = OnnxQuantizedLstmModel.Build(wih.Int8.ToArray(), wih.Scales.ToArray(), whh.Int8.ToArray(), whh.Scales.ToArray(), bias, inputSize, hidden, steps);
        }

        var random = new Random(22);
        float[] x = Enumerable.Range(0, steps * inputSize).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] ours = Run(RnnModel.Load(int8), x, steps), reference = Run(RnnModel.Load(fp32), x, steps);

        using var session = new InferenceSession(onnx);
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("X", new DenseTensor<float>(x, [steps, 1, inputSize])),
            NamedOnnxValue.CreateFromTensor("initial_h", new DenseTensor<float>(new float[hidden], [1, 1, hidden])),
            NamedOnnxValue.CreateFromTensor("initial_c", new DenseTensor<float>(new float[hidden], [1, 1, hidden])),
        ]);
        float[] ort = results.First(r => r.Name == "Y").AsEnumerable<float>().ToArray();

        double ortVsOurs = MaxDifference(ort, ours), ortVsFp32 = MaxDifference(ort, reference), oursVsFp32 = MaxDifference(ours, reference);
        output.WriteLine($"max |ORT - FastRnn int8| {ortVsOurs:E2}; against fp32: ORT {ortVsFp32:E2}, FastRnn int8 {oursVsFp32:E2}");
        Assert.True(ortVsFp32 < 0.01 && oursVsFp32 < 0.01, $"int8 against float32: ORT {ortVsFp32:E3}, FastRnn {oursVsFp32:E3}");
        Assert.True(ortVsOurs < 0.01, $"ONNX Runtime's DynamicQuantizeLSTM and FastRnn's int8 LSTM differ by {ortVsOurs:E3}");
    }

    private static float[] Run(RnnModel model, float[] x, int steps)
    {
        using var session = model.CreateSession(1, maxSequenceLength: steps);
        var y = new float[steps * model.Config.OutputSize];
        session.Run(x, y);
        return y;
    }

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (p, q) => Math.Abs((double)p - q)).Max();
}
