namespace FastRnn.Import;

/// <summary>
/// Arithmetic on known tensors with NumPy broadcasting: what folds shape computations (int64, exactly) and constant
/// float expressions (in double, rounded once to float) at convert time.
/// </summary>
internal static class ConstMath
{
    /// <summary>
    /// The product of the dimensions, saturated at <see cref="long.MaxValue"/> (or <see cref="long.MinValue"/>) instead of
    /// wrapping: a wrapped product of hostile dimensions could pass the size checks it feeds.
    /// </summary>
    public static long Count(long[] shape)
    {
        if (shape.Contains(0))
            return 0;
        Int128 count = 1;
        foreach (long d in shape)
        {
            count *= d;
            if (count > long.MaxValue)
                return long.MaxValue;
            if (count < long.MinValue)
                return long.MinValue;
        }
        return (long)count;
    }

    public static long[]? BroadcastShape(long[] a, long[] b) => FastRnn.Graph.Ops.Shapes.Broadcast(a, b);

    /// <summary>Element <paramref name="flat"/> of a tensor of <paramref name="target"/> read from one of <paramref name="shape"/> by broadcasting.</summary>
    public static long Source(long[] shape, long[] target, long flat)
    {
        long source = 0, stride = 1;
        for (int k = target.Length - 1, j = shape.Length - 1; k >= 0; k--, j--)
        {
            long index = flat % target[k];
            flat /= target[k];
            if (j >= 0)
            {
                if (shape[j] != 1)
                    source += index * stride;
                stride *= shape[j];
            }
        }
        return source;
    }

    /// <summary>a ∘ b elementwise; integer when both are integer (then <paramref name="ints"/>), else float through <paramref name="floats"/>.</summary>
    public static ConstTensor? Binary(ConstTensor a, ConstTensor b, Func<long, long, long>? ints, Func<double, double, double> floats)
    {
        long[]? shape = BroadcastShape(a.Shape, b.Shape);
        if (shape is null)
            return null;
        long count = Count(shape);
        if (!a.IsFloat && !b.IsFloat && ints is not null)
        {
            var r = new long[count];
            for (long i = 0; i < count; i++)
                r[i] = ints(a.Ints![Source(a.Shape, shape, i)], b.Ints![Source(b.Shape, shape, i)]);
            return ConstTensor.Int(shape, r);
        }
        float[] fa = a.AsFloats(), fb = b.AsFloats();
        var f = new float[count];
        for (long i = 0; i < count; i++)
            f[i] = (float)floats(fa[Source(a.Shape, shape, i)], fb[Source(b.Shape, shape, i)]);
        return ConstTensor.Float(shape, f);
    }

    /// <summary>A comparison or logic result (ONNX bool, held as int64 0/1).</summary>
    public static ConstTensor? Compare(ConstTensor a, ConstTensor b, Func<double, double, bool> test)
    {
        long[]? shape = BroadcastShape(a.Shape, b.Shape);
        if (shape is null)
            return null;
        long count = Count(shape);
        var r = new long[count];
        bool exact = !a.IsFloat && !b.IsFloat;
        for (long i = 0; i < count; i++)
        {
            long ia = Source(a.Shape, shape, i), ib = Source(b.Shape, shape, i);
            // Integers compare exactly (int64 beyond 2^53 would not survive a double).
            bool t = exact ? test(a.Ints![ia].CompareTo(b.Ints![ib]), 0) : test(a.AsFloats()[ia], b.AsFloats()[ib]);
            r[i] = t ? 1 : 0;
        }
        return ConstTensor.Int(shape, r);
    }

    public static ConstTensor Map(ConstTensor x, Func<double, double> f)
        => ConstTensor.Float(x.Shape, x.AsFloats().Select(v => (float)f(v)).ToArray());

    /// <summary><paramref name="x"/> broadcast to <paramref name="shape"/>.</summary>
    public static ConstTensor Expand(ConstTensor x, long[] shape) => x.Gather(shape, index =>
    {
        long flat = 0;
        for (int k = 0; k < shape.Length; k++)
            flat = flat * shape[k] + index[k];
        return Source(x.Shape, shape, flat);
    });
}
