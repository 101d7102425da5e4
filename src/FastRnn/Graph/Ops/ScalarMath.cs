namespace FastRnn.Graph.Ops;

/// <summary>Element functions TensorPrimitives does not have, in double precision and rounded once to float.</summary>
internal static class ScalarMath
{
    /// <summary>
    /// erf(x) by Abramowitz and Stegun 7.1.28's successor 7.1.26 is too coarse (1.5e-7 absolute); this is W. J. Cody's
    /// complementary-error-function form via <see cref="Erfc"/>, accurate to double rounding well past float's 6e-8.
    /// </summary>
    public static double Erf(double x) => x < 0 ? -(1 - Erfc(-x)) : 1 - Erfc(x);

    // erfc(x) for x ≥ 0: the Chebyshev fit of Numerical Recipes (3rd ed., §6.2.2), relative error below 1.2e-16.
    private static readonly double[] Coefficients =
    [
        -1.3026537197817094, 6.4196979235649026e-1, 1.9476473204185836e-2, -9.561514786808631e-3, -9.46595344482036e-4,
        3.66839497852761e-4, 4.2523324806907e-5, -2.0278578112534e-5, -1.624290004647e-6, 1.303655835580e-6,
        1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9, 5.059343495e-9, -9.91364156e-10, -2.27365122e-10,
        9.6467911e-11, 2.394038e-12, -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13, 3.81e-16, 7.106e-15,
        -1.523e-15, -9.4e-17, 1.21e-16, -2.8e-17,
    ];

    private static double Erfc(double z)
    {
        double t = 2.0 / (2.0 + z), ty = 4.0 * t - 2.0, d = 0.0, dd = 0.0;
        for (int j = Coefficients.Length - 1; j > 0; j--)
        {
            double tmp = d;
            d = ty * d - dd + Coefficients[j];
            dd = tmp;
        }
        return t * Math.Exp(-z * z + 0.5 * (Coefficients[0] + ty * d) - dd);
    }

    /// <summary>log(1 + eˣ) without overflow for large x or loss for very negative x.</summary>
    public static float Softplus(float x) => x > 0 ? x + (float)Math.Log(1 + Math.Exp(-x)) : (float)Math.Log(1 + Math.Exp(x));

    /// <summary>GELU: x·Φ(x), exactly (erf) or with the tanh approximation of Hendrycks and Gimpel.</summary>
    public static float Gelu(float x, bool tanh)
        => tanh
            ? (float)(0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))))
            : (float)(0.5 * x * (1 + Erf(x / Math.Sqrt(2))));
}
