using FastRnn.Kernels;

namespace FastRnn.Layers;

/// <summary>
/// The PyTorch parameters of one (layer, direction), read and shape-checked; cells repack what they need from here.
/// </summary>
internal sealed class CellParameters
{
    public CellParameters(RnnConfig config, int layer, int direction, ITensorSource source)
    {
        int g = config.GateCount, h = config.HiddenSize, hOut = config.OutputHiddenSize, input = config.LayerInputSize(layer);
        HiddenSize = h;
        OutputSize = hOut;
        InputSize = input;
        // (G·H, input) and (G·H, H_out), PyTorch's row-major layout.
        InputWeights = source.Get(RecurrentCell.ParameterName("weight_ih", layer, direction), [g * h, input]).ToArray();
        RecurrentWeights = source.Get(RecurrentCell.ParameterName("weight_hh", layer, direction), [g * h, hOut]).ToArray();
        if (config.HasBias)
        {
            // (G·H) each.
            InputBias = source.Get(RecurrentCell.ParameterName("bias_ih", layer, direction), [g * h]).ToArray();
            RecurrentBias = source.Get(RecurrentCell.ParameterName("bias_hh", layer, direction), [g * h]).ToArray();
        }
        else
        {
            InputBias = new float[g * h];
            RecurrentBias = new float[g * h];
        }
        if (config.ProjSize > 0)
        {
            // (P, H).
            ProjectionWeights = source.Get(RecurrentCell.ParameterName("weight_hr", layer, direction), [hOut, h]).ToArray();
        }
    }

    public int InputSize { get; }

    public int HiddenSize { get; }

    public int OutputSize { get; }

    public float[] InputWeights { get; }

    public float[] RecurrentWeights { get; }

    public float[] InputBias { get; }

    public float[] RecurrentBias { get; }

    public float[]? ProjectionWeights { get; }

    public int GateRows => InputBias.Length;

    public PackedMatrix PackInput() => PackedMatrix.FromRowMajor(InputWeights, GateRows, InputSize);

    public PackedMatrix PackRecurrent() => PackedMatrix.FromRowMajor(RecurrentWeights, GateRows, OutputSize);

    /// <summary>b_ih + b_hh, for cells where both biases simply add (LSTM, RNN).</summary>
    public float[] SummedBias()
    {
        var sum = new float[GateRows];
        for (int i = 0; i < sum.Length; i++)
            sum[i] = InputBias[i] + RecurrentBias[i];
        return sum;
    }
}
