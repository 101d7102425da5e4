using Xunit.Sdk;

namespace FastRnn.Tests.Support;

internal static class Compare
{
    /// <summary>Fails naming the first index whose absolute error exceeds <paramref name="tolerance"/>.</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        if (expected.Length != actual.Length)
            throw new XunitException($"{what}: length {actual.Length}, expected {expected.Length}");
        double worst = 0;
        int worstIndex = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)expected[i] - actual[i]);
            if (double.IsNaN(error) || error > worst)
            {
                worst = error;
                worstIndex = i;
            }
        }
        if (!(worst <= tolerance))
            throw new XunitException($"{what}: |error| {worst:E3} > {tolerance:E1} at index {worstIndex} (expected {expected[worstIndex]}, got {actual[worstIndex]})");
    }
}
