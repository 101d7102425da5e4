using FastRnn.Layers;
using FastRnn.Runtime;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Layers;

/// <summary>
/// An output layer (<see cref="Linear"/>) split across a team's threads, as a language model's is: the double-precision
/// y = W x + b, and one thread's bits, for one vector and for blocks of rows, including a row count that leaves a
/// partial panel.
/// </summary>
public class LinearTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    public void Forward_OnTwoThreads_MatchesDoubleReference_AndOneThreadBitForBit(int rows)
    {
        const int outputs = 1_000, inputs = 200; // 200,000 multiply-adds a row: split even for one vector
        var random = new Random(rows);
        float[] weight = ThreadedSessionTests.Uniform(random, outputs * inputs), bias = ThreadedSessionTests.Uniform(random, outputs);
        float[] x = ThreadedSessionTests.Uniform(random, rows * inputs);
        var source = new DictionaryTensorSource(new Dictionary<string, float[]> { ["output.weight"] = weight, ["output.bias"] = bias });
        var linear = new Linear(source, "output", outputs, inputs, bias: true);

        using var one = new WorkerTeam(1);
        using var two = new WorkerTeam(2);
        var y1 = new float[rows * outputs];
        var y2 = new float[y1.Length];
        linear.Forward(one, x, inputs, y1, outputs, rows);
        linear.Forward(two, x, inputs, y2, outputs, rows);

        var expected = new float[y1.Length];
        for (int n = 0; n < rows; n++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double sum = bias[o];
                for (int i = 0; i < inputs; i++)
                    sum += (double)weight[o * inputs + i] * x[n * inputs + i];
                expected[n * outputs + o] = (float)sum;
            }
        }
        Compare.Close(expected, y2, 1e-4, "two threads against the double reference");
        Assert.Equal(y1, y2);
    }
}
