using System.Runtime.InteropServices;
using FastRnn.Kernels;

namespace FastRnn.Format;

// Access to float16, bfloat16 and int8 tensors: raw views for the packers, widened copies for everything else.
public sealed partial class FrnnFile
{
    private readonly Dictionary<string, float[]> _widened = new(StringComparer.Ordinal);

    /// <summary>
    /// The data of weight matrix <paramref name="name"/> as stored — float32, bfloat16, or int8 with its row scales —
    /// so it can be packed without a float copy; float16 is widened (no kernel reads it). Checks the shape.
    /// </summary>
    internal WeightData GetWeights(string name, ReadOnlySpan<int> expectedShape)
    {
        FrnnTensorInfo info = GetTensorInfo(name);
        if (!ShapeEquals(info.Shape, expectedShape))
        {
            FormatErrors.ThrowWrongShape(name, expectedShape, info.Shape);
        }

        // ElementCount and ByteLength were checked against the data section when the file was opened.
        return info.DType switch
        {
            FrnnDType.BFloat16 => new WeightData(MemoryMarshal.Cast<byte, ushort>(Bytes(info)), TrackChecksum(info)) { PackThreads = _packThreads },
            FrnnDType.Int8 => new WeightData(MemoryMarshal.Cast<byte, sbyte>(Bytes(info)), Scales(info), TrackChecksum(info)) { PackThreads = _packThreads },
            FrnnDType.Float32 => new WeightData(Float32View(info), TrackChecksum(info)) { PackThreads = _packThreads },
            _ => new WeightData(Float32View(info)) { PackThreads = _packThreads },
        };
    }

    /// <summary>The row scales of int8 tensor <paramref name="info"/>, each finite and non-negative: a NaN, infinite or
    /// negative scale would turn a whole row's outputs into garbage without any error.</summary>
    private ReadOnlySpan<float> Scales(FrnnTensorInfo info)
    {
        ReadOnlySpan<float> scales = Float32View(GetTensorInfo(info.Name + FrnnLayout.ScaleSuffix));
        for (int r = 0; r < scales.Length; r++)
        {
            if (!(scales[r] >= 0f) || float.IsInfinity(scales[r]))
            {
                FormatErrors.ThrowBadScaleValue(info.Name, r, scales[r]);
            }
        }

        return scales;
    }

    private ReadOnlySpan<byte> Bytes(FrnnTensorInfo info) => _storage.GetBytes(info.FileOffset, (int)info.ByteLength);

    private float[] Widened(FrnnTensorInfo info)
    {
        lock (_widened)
        {
            if (_widened.TryGetValue(info.Name, out float[]? cached))
            {
                return cached;
            }

            var result = new float[info.ElementCount];
            ReadOnlySpan<byte> bytes = Bytes(info);
            switch (info.DType)
            {
                case FrnnDType.Float16:
                    ReadOnlySpan<Half> halves = MemoryMarshal.Cast<byte, Half>(bytes);
                    for (int i = 0; i < result.Length; i++)
                    {
                        result[i] = (float)halves[i];
                    }

                    break;
                case FrnnDType.BFloat16:
                    WeightQuantizer.WidenBFloat16(MemoryMarshal.Cast<byte, ushort>(bytes), result);
                    break;
                default:
                    int cols = info.Shape[^1];
                    result = new WeightData(MemoryMarshal.Cast<byte, sbyte>(bytes), Scales(info)).ToFloat32(Math.Max(cols, 1));
                    break;
            }

            _widened[info.Name] = result;
            return result;
        }
    }
}
