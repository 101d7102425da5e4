namespace FastRnn.Import;

/// <summary>
/// Reads one <see cref="TorchTensor"/> as float32 in C order, whatever its strides: every element it addresses must
/// lie inside its storage, checked before anything is allocated.
/// </summary>
internal static class TorchTensorReader
{
    private const int MaxRank = 16;

    /// <exception cref="ImportException">The tensor is not floating point, or its view reaches outside its storage.</exception>
    public static TensorData Read(TorchContainer container, string name, TorchTensor t, string nonFloatAdvice)
    {
        string file = container.File;
        TorchStorage storage = t.Storage;
        if (storage.Type.Format is not { } format)
            throw TorchErrors.Tensor(file, name, $"has dtype {storage.Type.DType}, which no recurrent layer has; {nonFloatAdvice}");
        if (t.Size.Length > MaxRank)
            throw TorchErrors.Tensor(file, name, $"has {t.Size.Length} dimensions; at most {MaxRank} are read");
        long count = 1, last = t.Offset;
        for (int i = 0; i < t.Size.Length; i++)
        {
            if (t.Size[i] < 0 || t.Stride[i] < 0)
                throw TorchErrors.Tensor(file, name, $"has size {TensorData.FormatShape(t.Size)} and stride {TensorData.FormatShape(t.Stride)}; negative values are not valid");
            count = t.Size[i] == 0 || count == 0 ? 0 : checked(count * t.Size[i]);
        }
        if (count > storage.ElementCount)
            throw TorchErrors.Tensor(file, name, $"has {count} elements but its storage '{storage.Key}' holds {storage.ElementCount}; expanded (stride 0) views are not read");
        if (count > 0)
        {
            for (int i = 0; i < t.Size.Length; i++)
                last = checked(last + (t.Size[i] - 1) * t.Stride[i]);
            if (t.Offset < 0 || last >= storage.ElementCount)
                throw TorchErrors.Tensor(file, name,
                    $"reaches element {last} of storage '{storage.Key}' (offset {t.Offset}, size {TensorData.FormatShape(t.Size)}, stride {TensorData.FormatShape(t.Stride)}), which holds {storage.ElementCount}");
        }
        int[] shape = TensorData.CheckedShape(file, $"tensor '{name}'", t.Size, count);

        byte[] bytes = container.Bytes(storage);
        (FloatConversion.ConvertSpan convert, int size) = FloatConversion.For(format);
        var data = new float[count];
        if (count == 0)
            return new TensorData(shape, data);
        if (IsContiguous(t))
        {
            convert(bytes.AsSpan(checked((int)(t.Offset * size)), checked((int)count * size)), data);
            return new TensorData(shape, data);
        }
        // A strided view: gather its elements in C order, then convert them in one pass.
        var gathered = new byte[count * size];
        var index = new long[t.Size.Length];
        long at = t.Offset;
        for (long e = 0; e < count; e++)
        {
            bytes.AsSpan((int)(at * size), size).CopyTo(gathered.AsSpan((int)(e * size), size));
            for (int d = index.Length - 1; d >= 0; d--)
            {
                at += t.Stride[d];
                if (++index[d] < t.Size[d])
                    break;
                at -= t.Stride[d] * t.Size[d];
                index[d] = 0;
            }
        }
        convert(gathered, data);
        return new TensorData(shape, data);
    }

    private static bool IsContiguous(TorchTensor t)
    {
        long expected = 1;
        for (int d = t.Size.Length - 1; d >= 0; d--)
        {
            if (t.Size[d] != 1 && t.Stride[d] != expected)
                return false;
            expected *= t.Size[d];
        }
        return true;
    }
}
