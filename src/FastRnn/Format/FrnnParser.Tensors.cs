namespace FastRnn.Format;

// Tensor table: `count` entries of (u32 name length, UTF-8 name, u8 dtype, u8 rank, u64 dims[rank], u64 offset,
// u64 byte length), nothing after the last. Offsets are relative to the data section.
internal static partial class FrnnParser
{
    private static FrnnTensorInfo[] ReadTensorTable(ReadOnlySpan<byte> section, uint count, ulong dataOffset, ulong dataLength)
    {
        var reader = new SectionReader(section, "tensor table");
        var tensors = new FrnnTensorInfo[count];
        var names = new HashSet<string>((int)count, StringComparer.Ordinal);
        Span<ulong> dims = stackalloc ulong[FrnnLayout.MaxRank];
        for (int i = 0; i < tensors.Length; i++)
        {
            reader.Entry = i;
            reader.EntryName = null;
            string name = reader.ReadString("name", allowEmpty: false);
            reader.EntryName = name;
            if (!names.Add(name))
            {
                FormatErrors.ThrowDuplicateTensor(name);
            }

            FrnnDType dtype = CheckDType(name, reader.ReadU8("dtype"));
            byte rank = reader.ReadU8("rank");
            if (rank > FrnnLayout.MaxRank)
            {
                FormatErrors.ThrowRankTooLarge(name, rank);
            }

            for (int d = 0; d < rank; d++)
            {
                dims[d] = reader.ReadU64("dimension");
                if (dims[d] > int.MaxValue)
                {
                    FormatErrors.ThrowDimensionTooLarge(name, d, dims[d]);
                }
            }

            long elementCount = ElementCount(name, dims[..rank]);
            ulong offset = reader.ReadU64("offset");
            ulong byteLength = reader.ReadU64("byte length");

            // elementCount <= int.MaxValue, so this product fits comfortably in a u64.
            ulong expectedLength = (ulong)elementCount * (ulong)FrnnLayout.ElementSize(dtype);
            if (byteLength != expectedLength)
            {
                FormatErrors.ThrowByteLengthMismatch(name, expectedLength, byteLength);
            }

            if (offset % FrnnLayout.Alignment != 0)
            {
                FormatErrors.ThrowMisalignedTensor(name, offset);
            }

            if (offset > dataLength || byteLength > dataLength - offset)
            {
                FormatErrors.ThrowTensorOutsideData(name, offset, byteLength, dataLength);
            }

            int[] shape = new int[rank];
            for (int d = 0; d < rank; d++)
            {
                shape[d] = (int)dims[d];
            }

            tensors[i] = new FrnnTensorInfo(name, dtype, shape, elementCount, (long)offset, (long)byteLength, (long)(dataOffset + offset));
        }

        if (reader.Remaining != 0)
        {
            FormatErrors.ThrowTrailingBytes("tensor table", count, reader.Position, section.Length);
        }

        return tensors;
    }

    private static FrnnDType CheckDType(string name, byte code)
    {
        var dtype = (FrnnDType)code;
        if (Enum.IsDefined(dtype))
        {
            return dtype;
        }

        FormatErrors.ThrowUnknownDType(name, code);
        return default;
    }

    /// <summary>Product of the dimensions, each already at most <see cref="int.MaxValue"/>; refuses a product above
    /// <see cref="int.MaxValue"/> because tensors are handed out as spans.</summary>
    private static long ElementCount(string name, ReadOnlySpan<ulong> dims)
    {
        // A zero anywhere makes the tensor empty however large the other dimensions are.
        if (dims.Contains(0UL))
        {
            return 0;
        }

        ulong product = 1;
        foreach (ulong dim in dims)
        {
            // product <= int.MaxValue and dim <= int.MaxValue before this multiply, so it cannot wrap.
            product *= dim;
            if (product > int.MaxValue)
            {
                FormatErrors.ThrowElementCountTooLarge(name, dims);
            }
        }

        return (long)product;
    }

    /// <summary>Every int8 tensor has at least one dimension and a float32 <c>&lt;name&gt;.scale</c> tensor whose shape is
    /// its shape without the last dimension: one scale per row.</summary>
    private static void CheckScales(FrnnTensorInfo[] tensors)
    {
        Dictionary<string, FrnnTensorInfo> byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (FrnnTensorInfo t in tensors)
        {
            if (t.DType != FrnnDType.Int8)
            {
                continue;
            }

            if (t.Rank == 0)
            {
                FormatErrors.ThrowInt8Scalar(t.Name);
            }

            string scaleName = t.Name + FrnnLayout.ScaleSuffix;
            if (!byName.TryGetValue(scaleName, out FrnnTensorInfo? scale))
            {
                FormatErrors.ThrowMissingScale(t.Name, scaleName);
            }

            if (scale.DType != FrnnDType.Float32 || !scale.Shape.SequenceEqual(t.Shape.Take(t.Rank - 1)))
            {
                FormatErrors.ThrowBadScale(t.Name, scale, t.Shape.Take(t.Rank - 1).ToArray());
            }
        }
    }

    /// <summary>Sorts non-empty tensors by offset and checks each starts at or after the previous one's end, and that
    /// the data section ends where the last of them does, rounded up to 64. Empty tensors occupy no bytes and may
    /// share an offset with anything.</summary>
    /// <remarks>The second rule bounds the file by its tensors, so the checksum, which reads every byte, reads only
    /// bytes some tensor uses: a file that claims gigabytes no tensor describes is refused before that pass.</remarks>
    private static void CheckDataLayout(FrnnTensorInfo[] tensors, ulong dataLength)
    {
        FrnnTensorInfo[] byOffset = tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.ByteOffset).ToArray();
        for (int i = 1; i < byOffset.Length; i++)
        {
            // Sorted and pairwise disjoint so far, so the previous tensor has the largest end seen.
            FrnnTensorInfo previous = byOffset[i - 1];
            long previousEnd = previous.ByteOffset + previous.ByteLength;
            if (byOffset[i].ByteOffset < previousEnd)
            {
                FormatErrors.ThrowOverlappingTensors(previous.Name, (ulong)previous.ByteOffset, (ulong)previousEnd, byOffset[i].Name, (ulong)byOffset[i].ByteOffset);
            }
        }

        FrnnTensorInfo? last = byOffset.Length == 0 ? null : byOffset[^1];
        ulong used = last is null ? 0 : FrnnLayout.AlignUp((ulong)(last.ByteOffset + last.ByteLength));
        if (dataLength != used)
        {
            FormatErrors.ThrowUnusedData(dataLength, used, last?.Name);
        }
    }
}
