using FastRnn.Import;

namespace FastRnn.Tests.Import;

/// <summary>Synthetic state dicts: only names and shapes matter to inference, so the data is zeros.</summary>
internal static class StateDicts
{
    public static TensorData Zeros(params int[] shape) => new(shape, new float[shape.Aggregate(1, (a, b) => a * b)]);

    /// <summary>The state dict of <c>nn.LSTM/GRU/RNN(i, h, layers, bias, bidirectional, proj_size)</c> under <paramref name="prefix"/>.</summary>
    public static Dictionary<string, TensorData> Stack(int gates, int i, int h, int layers = 1, bool bidirectional = false, int proj = 0, bool bias = true, string prefix = "")
    {
        var d = new Dictionary<string, TensorData>();
        int hOut = proj > 0 ? proj : h, dirs = bidirectional ? 2 : 1;
        for (int l = 0; l < layers; l++)
        {
            for (int r = 0; r < dirs; r++)
            {
                string s = $"_l{l}{(r == 1 ? "_reverse" : "")}";
                d[$"{prefix}weight_ih{s}"] = Zeros(gates * h, l == 0 ? i : dirs * hOut);
                d[$"{prefix}weight_hh{s}"] = Zeros(gates * h, hOut);
                if (bias)
                {
                    d[$"{prefix}bias_ih{s}"] = Zeros(gates * h);
                    d[$"{prefix}bias_hh{s}"] = Zeros(gates * h);
                }
                if (proj > 0)
                    d[$"{prefix}weight_hr{s}"] = Zeros(proj, h);
            }
        }
        return d;
    }

    /// <summary>The state dict of <c>nn.LSTMCell/GRUCell/RNNCell(i, h)</c>.</summary>
    public static Dictionary<string, TensorData> Cell(int gates, int i, int h, string prefix = "")
        => new()
        {
            [$"{prefix}weight_ih"] = Zeros(gates * h, i),
            [$"{prefix}weight_hh"] = Zeros(gates * h, h),
            [$"{prefix}bias_ih"] = Zeros(gates * h),
            [$"{prefix}bias_hh"] = Zeros(gates * h),
        };
}
