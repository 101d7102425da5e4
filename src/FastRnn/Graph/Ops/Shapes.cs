namespace FastRnn.Graph.Ops;

/// <summary>Shape arithmetic shared by the kernels: products, strides, axis normalisation, broadcasting.</summary>
internal static class Shapes
{
    public static int Product(ReadOnlySpan<int> dims)
    {
        int p = 1;
        foreach (int d in dims)
            p *= d;
        return p;
    }

    /// <summary>Row-major strides of <paramref name="shape"/>.</summary>
    public static int[] Strides(int[] shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= shape[i];
        }
        return strides;
    }

    public static string Text(IEnumerable<int> shape) => $"[{string.Join(", ", shape)}]";

    public static string Text(IEnumerable<long> values) => $"[{string.Join(", ", values)}]";

    /// <summary>The NumPy broadcast of two shapes, or null when they do not broadcast.</summary>
    public static int[]? Broadcast(int[] a, int[] b)
        => Broadcast(a.Select(d => (long)d).ToArray(), b.Select(d => (long)d).ToArray())?.Select(d => (int)d).ToArray();

    /// <summary>The NumPy broadcast of two shapes, or null when they do not broadcast (the importer's folding uses it too).</summary>
    public static long[]? Broadcast(long[] a, long[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            long db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
                return null;
            result[i] = Math.Max(da, db);
        }
        return result;
    }

    /// <summary>Strides of <paramref name="shape"/> read as <paramref name="target"/> under broadcasting: 0 on broadcast axes.</summary>
    public static int[] BroadcastStrides(int[] shape, int[] target)
    {
        int[] own = Strides(shape);
        var strides = new int[target.Length];
        int shift = target.Length - shape.Length;
        for (int i = 0; i < target.Length; i++)
            strides[i] = i < shift || shape[i - shift] == 1 ? 0 : own[i - shift];
        return strides;
    }

    /// <summary>
    /// The offset, through <paramref name="strides"/>, of the first element of every row of <paramref name="shape"/>
    /// (a row being its last axis): the index tables the strided kernels walk without any per-call arithmetic.
    /// </summary>
    public static int[] RowOffsets(int[] shape, int[] strides, int start = 0)
    {
        int rank = shape.Length;
        int rows = rank <= 1 ? 1 : Product(shape.AsSpan(0, rank - 1));
        var offsets = new int[rows];
        var index = new int[Math.Max(rank - 1, 0)];
        int offset = start;
        for (int r = 0; r < rows; r++)
        {
            offsets[r] = offset;
            for (int k = rank - 2; k >= 0; k--)
            {
                offset += strides[k];
                if (++index[k] < shape[k])
                    break;
                offset -= strides[k] * shape[k];
                index[k] = 0;
            }
        }
        return offsets;
    }
}
