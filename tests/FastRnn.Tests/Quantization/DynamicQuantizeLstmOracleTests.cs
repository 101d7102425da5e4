using FastRnn.Benchmarks;
using FastRnn.Format;
using FastRnn.Kernels;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace FastRnn.Tests.Quantization;

/// <summary>
/// The benchmark's ONNX Runtime <c>DynamicQuantizeLSTM</c> model (same int8 weights and per-row scales as FastRnn's
/// int8 LSTM) loads, and ONNX Runtime — the oracle for its own operator — agrees with FastRnn's int8 LSTM within the
/// noise of the two activation quantizations, both being close to the float32 result.
/// </summary>
/// <remarks>
/// ONNX Runtime quantizes activations to u8 (0..255) and, on a CPU without VNNI (AVX2 only, e.g. Zen 3), multiplies
/// them with vpmaddubsw, whose int16 sum of two u8 × s8 products saturates once both exceed 32,767: with weights over
/// the whole ±127 its result there drifts from float32 (measured on Zen 3: 7.5e-2 against FastRnn int8's 1.5e-3 on
/// these weights). Its quantization tools' answer is weights of seven bits (<c>reduce_range</c>), for which 2 · 255 ·
/// 63 cannot saturate. So the agreement on the very weights FastRnn runs is asserted where the CPU has VNNI, and on
/// every CPU ONNX Runtime is checked on the same weights halved to seven bits. FastRnn's own activations are symmetric
/// (±127), so its vpmaddubsw path cannot saturate with eight-bit weights.
/// </remarks>
public class DynamicQuantizeLstmOracleTests(ITestOutputHelper output)
{
    private const int InputSize = 16, Hidden = 32, Steps = 8;

    // Measured: 1.5e-3 between the two, 1.0e-3 (ORT) and 1.5e-3 (FastRnn) against float32 where ORT has VNNI; with the
    // weights halved, 2.3e-3 (ORT) against float32. The bounds allow ~4-7x.
    [Fact]
    public void DynamicQuantizeLstm_AgreesWithFastRnnInt8()
    {
        var config = new RnnConfig { Kind = RecurrentKind.Lstm, InputSize = InputSize, HiddenSize = Hidden };
        Dictionary<string, float[]> parameters = FastRnn.Tests.Layers.OnnxFeatureTests.RandomParameters(config, new Random(21));
        byte[] fp32 = RnnModel.ToFrnn(config, parameters);
        byte[] int8;
        using (FrnnFile file = FrnnFile.Parse(fp32))
            int8 = FrnnQuantizer.Convert(file, WeightPrecision.Int8, minElements: 1).ToArray();

        var random = new Random(22);
        float[] x = Enumerable.Range(0, Steps * InputSize).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] ours = Run(RnnModel.Load(int8), x), reference = Run(RnnModel.Load(fp32), x);
        double oursVsFp32 = MaxDifference(ours, reference);
        Assert.True(oursVsFp32 < 0.01, $"FastRnn int8 against float32: {oursVsFp32:E3}");

        float[] bias = [.. parameters["bias_ih_l0"], .. parameters["bias_hh_l0"]];
        float[] ortSevenBits = RunOnnxRuntime(int8, bias, x, halve: true);
        double sevenVsFp32 = MaxDifference(ortSevenBits, reference), sevenVsOurs = MaxDifference(ortSevenBits, ours);
        float[] ort = RunOnnxRuntime(int8, bias, x, halve: false);
        double ortVsOurs = MaxDifference(ort, ours), ortVsFp32 = MaxDifference(ort, reference);
        bool vnni = OnnxRuntimeHasVnni();
        output.WriteLine($"VNNI {vnni}; FastRnn int8 against fp32 {oursVsFp32:E2}; ORT same weights: against fp32 {ortVsFp32:E2}, " +
            $"against FastRnn {ortVsOurs:E2}; ORT seven-bit weights: against fp32 {sevenVsFp32:E2}, against FastRnn {sevenVsOurs:E2}");

        Assert.True(sevenVsFp32 < 0.01 && sevenVsOurs < 0.015,
            $"DynamicQuantizeLSTM with seven-bit weights: {sevenVsFp32:E3} from float32, {sevenVsOurs:E3} from FastRnn int8");
        if (vnni)
        {
            Assert.True(ortVsFp32 < 0.01, $"DynamicQuantizeLSTM against float32: {ortVsFp32:E3}");
            Assert.True(ortVsOurs < 0.01, $"ONNX Runtime's DynamicQuantizeLSTM and FastRnn's int8 LSTM differ by {ortVsOurs:E3}");
        }
    }

    // ONNX Runtime's DynamicQuantizeLSTM over the int8 file's weights and scales, or over the same weights halved
    // (rounded towards zero) with their scales doubled: seven bits, the range that cannot saturate vpmaddubsw.
    private static float[] RunOnnxRuntime(byte[] int8, float[] bias, float[] x, bool halve)
    {
        byte[] onnx;
        using (FrnnFile file = FrnnFile.Parse(int8))
        {
            WeightData wih = file.GetWeights("weight_ih_l0", [4 * Hidden, InputSize]), whh = file.GetWeights("weight_hh_l0", [4 * Hidden, Hidden]);
            onnx = OnnxQuantizedLstmModel.Build(Weights(wih.Int8), Scales(wih.Scales), Weights(whh.Int8), Scales(whh.Scales),
                bias, InputSize, Hidden, Steps);
        }
        using var session = new InferenceSession(onnx);
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("X", new DenseTensor<float>(x, [Steps, 1, InputSize])),
            NamedOnnxValue.CreateFromTensor("initial_h", new DenseTensor<float>(new float[Hidden], [1, 1, Hidden])),
            NamedOnnxValue.CreateFromTensor("initial_c", new DenseTensor<float>(new float[Hidden], [1, 1, Hidden])),
        ]);
        return results.First(r => r.Name == "Y").AsEnumerable<float>().ToArray();

        sbyte[] Weights(ReadOnlySpan<sbyte> w) => halve ? [.. w.ToArray().Select(v => (sbyte)(v / 2))] : w.ToArray();
        float[] Scales(ReadOnlySpan<float> scales) => halve ? [.. scales.ToArray().Select(v => v * 2)] : scales.ToArray();
    }

    // Whether the CPU has AVX512-VNNI (CPUID leaf 7, ECX bit 11) or AVX-VNNI (leaf 7 subleaf 1, EAX bit 4), with which
    // ONNX Runtime's u8 x s8 kernels accumulate in int32 without the int16 step. Read from CPUID because .NET 10 does
    // not expose AVX512-VNNI as an ISA class; where the runtime's intrinsics are switched off (DOTNET_EnableHWIntrinsic=0,
    // which does not change ONNX Runtime's native kernels), from the kernel's CPU flags on Linux, else taken as absent.
    private static bool OnnxRuntimeHasVnni()
    {
        if (RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.X86))
            return true; // ONNX Runtime has no vpmaddubsw path there
        if (X86Base.IsSupported)
        {
            if (X86Base.CpuId(0, 0).Eax < 7)
                return false;
            var (_, _, ecx, _) = X86Base.CpuId(7, 0);
            var (eax1, _, _, _) = X86Base.CpuId(7, 1);
            return (ecx & (1 << 11)) != 0 || (eax1 & (1 << 4)) != 0;
        }
        const string cpuInfo = "/proc/cpuinfo";
        if (!File.Exists(cpuInfo))
            return false;
        string? flags = File.ReadLines(cpuInfo).FirstOrDefault(line => line.StartsWith("flags", StringComparison.Ordinal));
        return flags is not null && flags.Split(' ', ':', '\t').Any(flag => flag is "avx512_vnni" or "avx_vnni");
    }

    private static float[] Run(RnnModel model, float[] x)
    {
        using var session = model.CreateSession(1, maxSequenceLength: Steps);
        var y = new float[Steps * model.Config.OutputSize];
        session.Run(x, y);
        return y;
    }

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (p, q) => Math.Abs((double)p - q)).Max();
}
