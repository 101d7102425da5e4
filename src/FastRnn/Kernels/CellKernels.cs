namespace FastRnn.Kernels;

/// <summary>
/// The element-wise kernels with the process-wide variant (<see cref="KernelSelector.Default"/>), for callers that
/// hold no <see cref="KernelSet"/> of their own. Nothing is switched here: each call is one virtual call on the
/// resolved set.
/// </summary>
internal static class CellKernels
{
    /// <inheritdoc cref="KernelSet.Lstm"/>
    public static void Lstm(Span<float> gates, Span<float> c, Span<float> m) => KernelSelector.Default.Lstm(gates, c, m);

    /// <inheritdoc cref="KernelSet.Tanh"/>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => KernelSelector.Default.Tanh(x, y);

    /// <inheritdoc cref="KernelSet.Relu"/>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => KernelSelector.Default.Relu(x, y);

    /// <inheritdoc cref="KernelSet.Sigmoid"/>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => KernelSelector.Default.Sigmoid(x, y);
}
