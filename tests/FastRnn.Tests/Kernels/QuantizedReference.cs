using FastRnn.Kernels;

namespace FastRnn.Tests.Kernels;

/// <summary>
/// The quantization rules of the format spec, written out independently of the engine's quantizer, and the products
/// they imply in double precision: the reference the quantized kernel tests compare against.
/// </summary>
internal static class QuantizedReference
{
    /// <summary>Per-row symmetric int8, in float32 as the spec states it: s = max|v| / 127, q = round-half-even(v · (127 / max|v|)).</summary>
    public static (sbyte[] Bytes, float[] Scales) QuantizeRows(float[] w, int rows, int cols)
    {
        var bytes = new sbyte[w.Length];
        var scales = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            float max = 0;
            for (int k = 0; k < cols; k++)
                max = Math.Max(max, Math.Abs(w[r * cols + k]));
            scales[r] = max / 127f;
            float inverse = 127f / max;
            for (int k = 0; k < cols; k++)
                bytes[r * cols + k] = max == 0 ? (sbyte)0 : (sbyte)MathF.Round(w[r * cols + k] * inverse, MidpointRounding.ToEven);
        }
        return (bytes, scales);
    }

    /// <summary>W · x for the (rows, cols) row-major <paramref name="w"/> and the vector x[offset..offset + cols), both
    /// quantized by the spec's rule, the integer sum exact and scaled in double.</summary>
    public static double[] Int8Product(float[] w, int rows, int cols, float[] x, int offset = 0)
    {
        (sbyte[] qw, float[] sw) = QuantizeRows(w, rows, cols);
        (sbyte[] qx, float[] sx) = QuantizeRows(x[offset..(offset + cols)], 1, cols);
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            long sum = 0;
            for (int k = 0; k < cols; k++)
                sum += qw[r * cols + k] * qx[k];
            y[r] = sum * (double)sw[r] * sx[0];
        }
        return y;
    }

    /// <summary>W · x in double for the weights rounded to bfloat16 and x[offset..offset + cols).</summary>
    public static double[] BFloat16Product(float[] w, int rows, int cols, float[] x, int offset = 0)
    {
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int k = 0; k < cols; k++)
                sum += (double)BFloat16(w[r * cols + k]) * x[offset + k];
            y[r] = sum;
        }
        return y;
    }

    /// <summary>[A | B] packed with the element type kept, int8 blocks with their own scales.</summary>
    public static PackedMatrix Pair(float[] a, int colsA, float[] b, int colsB, int rows, WeightElement element)
    {
        if (element == WeightElement.BFloat16)
        {
            ushort[] ha = a.Select(BFloat16Bits).ToArray(), hb = b.Select(BFloat16Bits).ToArray();
            return PackedMatrix.FromWeightPair(new WeightData(ha), colsA, new WeightData(hb), colsB, rows);
        }
        (sbyte[] qa, float[] sa) = QuantizeRows(a, rows, colsA);
        (sbyte[] qb, float[] sb) = QuantizeRows(b, rows, colsB);
        return PackedMatrix.FromWeightPair(new WeightData(qa, sa), colsA, new WeightData(qb, sb), colsB, rows);
    }

    /// <summary>The int8 dot products by the names <see cref="QuantizedKernelTests.Int8Kernels"/> lists, built directly so
    /// that those the default kernel set does not pick (plain AVX2 where AVX-VNNI exists) are tested too.</summary>
    public static Int8Kernel Int8KernelNamed(string name) => name switch
    {
        "ssse3" => new Int8Kernel<Int8OpsSsse3, System.Runtime.Intrinsics.Vector128<int>, System.Runtime.Intrinsics.Vector128<sbyte>>(name),
        "avx2" => new Int8Kernel<Int8OpsAvx2, System.Runtime.Intrinsics.Vector256<int>, System.Runtime.Intrinsics.Vector256<sbyte>>(name),
        "avx-vnni" => new Int8Kernel<Int8OpsAvxVnni, System.Runtime.Intrinsics.Vector256<int>, System.Runtime.Intrinsics.Vector256<sbyte>>(name),
        "avx512bw" => new Int8Kernel<Int8OpsAvx512, System.Runtime.Intrinsics.Vector512<int>, System.Runtime.Intrinsics.Vector512<sbyte>>(name),
        _ => new Int8Kernel<Int8OpsScalar, int, int>(name),
    };

    /// <summary>Σ_k w[r, k] for the 32 rows of a raw panel segment of <paramref name="quads"/> quads (<c>Int8Panels</c>
    /// layout: <c>panel[(q · 32 + r) · 4 + j]</c>), the row sums the offset kernels need.</summary>
    public static int[] PanelRowSums(sbyte[] panel, int quads)
    {
        var sums = new int[PackedMatrix.PanelRows];
        for (int q = 0; q < quads; q++)
        {
            for (int r = 0; r < PackedMatrix.PanelRows; r++)
            {
                for (int j = 0; j < 4; j++)
                    sums[r] += panel[(q * PackedMatrix.PanelRows + r) * 4 + j];
            }
        }
        return sums;
    }

    /// <summary>binary32 → bfloat16 bits, round to nearest even.</summary>
    public static ushort BFloat16Bits(float v)
    {
        uint bits = BitConverter.SingleToUInt32Bits(v);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    public static float BFloat16(float v) => BitConverter.UInt32BitsToSingle((uint)BFloat16Bits(v) << 16);

    public static float[] RandomVector(Random random, int length)
    {
        var v = new float[length];
        for (int i = 0; i < length; i++)
            v[i] = (float)(random.NextDouble() * 2 - 1);
        return v;
    }
}
