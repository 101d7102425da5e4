namespace FastRnn.Kernels;

/// <summary>The instruction-set variants of the matrix kernels, from slowest to fastest.</summary>
public enum KernelIsa
{
    /// <summary>Plain scalar code; the reference every other variant is tested against.</summary>
    Scalar = 0,

    /// <summary>128-bit vectors through <c>Vector128</c> (SSE on x64, AdvSimd on Arm64).</summary>
    Vector128 = 1,

    /// <summary>256-bit AVX2 with FMA.</summary>
    Avx2 = 2,

    /// <summary>512-bit AVX-512F.</summary>
    Avx512 = 3,
}
