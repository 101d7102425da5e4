namespace FastRnn.Kernels;

/// <summary>The int8 panel dot products (one vector, several vectors) of one instruction set, chosen with its <see cref="KernelSet"/>.</summary>
internal abstract class Int8Kernel
{
    /// <summary>The name of the integer instructions, for diagnostics (e.g. <c>avx-vnni</c>).</summary>
    public abstract string Name { get; }

    /// <inheritdoc cref="Int8PanelKernel{TOps, TAcc, TBytes}.Dot"/>
    public abstract void Dot(ref sbyte panel, ref int rowSums, ref int xQuads, int quads, ref int acc);

    /// <inheritdoc cref="Int8TileKernel{TOps, TAcc, TBytes}.Dot"/>
    public abstract void DotTiled(ref sbyte panel, ref int rowSums, ref int xQuads, int xStride, int quads, int count, ref int acc);
}

/// <summary><see cref="Int8Kernel"/> for one <see cref="IInt8Ops{TAcc, TBytes}"/> struct.</summary>
internal sealed class Int8Kernel<TOps, TAcc, TBytes>(string name) : Int8Kernel
    where TOps : IInt8Ops<TAcc, TBytes>
    where TAcc : struct
    where TBytes : struct
{
    public override string Name => name;

    public override void Dot(ref sbyte panel, ref int rowSums, ref int xQuads, int quads, ref int acc)
        => Int8PanelKernel<TOps, TAcc, TBytes>.Dot(ref panel, ref rowSums, ref xQuads, quads, ref acc);

    public override void DotTiled(ref sbyte panel, ref int rowSums, ref int xQuads, int xStride, int quads, int count, ref int acc)
        => Int8TileKernel<TOps, TAcc, TBytes>.Dot(ref panel, ref rowSums, ref xQuads, xStride, quads, count, ref acc);
}

/// <summary>
/// One instruction set for one vector, another for several: on a CPU with AVX-512BW and AVX-VNNI (Zen 4, Zen 5),
/// 512-bit vpmaddubsw for a step's single vector and 256-bit vpdpbusd for tiles of vectors, each where it measured
/// faster (docs/benchmarks.md). Integer sums are exact, so the pair gives the same bits as either alone.
/// </summary>
internal sealed class Int8KernelPair(Int8Kernel one, Int8Kernel several) : Int8Kernel
{
    public override string Name => $"{one.Name} for one vector, {several.Name} for several";

    public override void Dot(ref sbyte panel, ref int rowSums, ref int xQuads, int quads, ref int acc)
        => one.Dot(ref panel, ref rowSums, ref xQuads, quads, ref acc);

    public override void DotTiled(ref sbyte panel, ref int rowSums, ref int xQuads, int xStride, int quads, int count, ref int acc)
        => several.DotTiled(ref panel, ref rowSums, ref xQuads, xStride, quads, count, ref acc);
}
