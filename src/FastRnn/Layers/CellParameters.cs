using FastRnn.Kernels;

namespace FastRnn.Layers;

/// <summary>
/// The PyTorch parameters of one (layer, direction), read by the names and shapes <see cref="RecurrentParameterSchema"/> gives. Weight matrices are packed
/// straight from the source's span — for a memory-mapped .frnn file, from the mapping itself — so the repacked
/// copy is the only one made.
/// </summary>
internal sealed class CellParameters
{
    private readonly RecurrentParameterSchema _schema;
    private readonly ITensorSource _source;
    private readonly int _layer;
    private readonly int _direction;

    public CellParameters(RecurrentParameterSchema schema, int layer, int direction, ITensorSource source)
    {
        RnnConfig config = schema.Config;
        _schema = schema;
        _source = source;
        _layer = layer;
        _direction = direction;
        HiddenSize = config.HiddenSize;
        OutputSize = config.OutputHiddenSize;
        InputSize = config.LayerInputSize(layer);
        GateRows = config.GateCount * config.HiddenSize;
        HasBias = config.HasBias;
        HasProjection = config.ProjSize > 0;
        InputForget = config.InputForget;
        General = config.UsesGeneralCells ? new GeneralCellMath(config.DirectionActivations(direction), config.Clip) : null;
        Peepholes = config.Peepholes ? Tensor(RecurrentParameterRole.Peepholes).ToArray() : [];
    }

    /// <summary>The element-wise math for ONNX-only features, or null for the fused fast path.</summary>
    public GeneralCellMath? General { get; }

    /// <summary>LSTM peepholes, (3, H) in order i, f, o; empty without.</summary>
    public float[] Peepholes { get; }

    /// <summary>LSTM with a coupled forget gate, f = 1 − i.</summary>
    public bool InputForget { get; }

    public int InputSize { get; }

    public int HiddenSize { get; }

    public int OutputSize { get; }

    /// <summary>G·H.</summary>
    public int GateRows { get; }

    public bool HasBias { get; }

    public bool HasProjection { get; }

    /// <summary>W_ih, (G·H, input).</summary>
    public PackedMatrix PackInput() => PackedMatrix.FromWeights(Weights(RecurrentParameterRole.InputWeights), GateRows, InputSize);

    /// <summary>[W_ih | W_hh], (G·H, input + H_out): one matrix whose column ranges are W_ih and W_hh.</summary>
    public PackedMatrix PackInputAndRecurrent()
        => PackedMatrix.FromWeightPair(Weights(RecurrentParameterRole.InputWeights), InputSize, Weights(RecurrentParameterRole.RecurrentWeights), OutputSize, GateRows);

    /// <summary>W_hh, (G·H, H_out).</summary>
    public PackedMatrix PackRecurrent() => PackRecurrentRows(0, GateRows);

    /// <summary>Rows [start, start + count) of W_hh, e.g. a GRU's r/z block or its n block.</summary>
    public PackedMatrix PackRecurrentRows(int start, int count)
    {
        WeightData all = Weights(RecurrentParameterRole.RecurrentWeights);
        // The whole tensor keeps its checksum range (its packer reads the file's bytes once); a block of rows does
        // not, and the loader's final check reads the tensor itself.
        if (start == 0 && count == GateRows)
            return PackedMatrix.FromWeights(all, count, OutputSize);
        WeightData rows = all.Element switch
        {
            WeightElement.BFloat16 => new WeightData(all.BFloat16.Slice(start * OutputSize, count * OutputSize)) { PackThreads = all.PackThreads },
            WeightElement.Int8 => new WeightData(all.Int8.Slice(start * OutputSize, count * OutputSize), all.Scales.Slice(start, count)) { PackThreads = all.PackThreads },
            _ => new WeightData(all.Float32.Slice(start * OutputSize, count * OutputSize)) { PackThreads = all.PackThreads },
        };
        return PackedMatrix.FromWeights(rows, count, OutputSize);
    }

    /// <summary>W_hr, (P, H); only with a projection.</summary>
    public PackedMatrix PackProjection() => PackedMatrix.FromWeights(Weights(RecurrentParameterRole.Projection), OutputSize, HiddenSize);

    /// <summary>b_ih, (G·H); zeros without biases.</summary>
    public float[] InputBias() => Bias(RecurrentParameterRole.InputBias);

    /// <summary>b_hh, (G·H); zeros without biases.</summary>
    public float[] RecurrentBias() => Bias(RecurrentParameterRole.RecurrentBias);

    /// <summary>b_ih + b_hh, for cells where both biases simply add (LSTM, RNN).</summary>
    public float[] SummedBias()
    {
        float[] sum = InputBias();
        if (HasBias)
        {
            ReadOnlySpan<float> recurrent = Tensor(RecurrentParameterRole.RecurrentBias);
            for (int i = 0; i < sum.Length; i++)
                sum[i] += recurrent[i];
        }
        return sum;
    }

    private float[] Bias(RecurrentParameterRole role) => HasBias ? Tensor(role).ToArray() : new float[GateRows];

    private WeightData Weights(RecurrentParameterRole role)
    {
        RecurrentParameter p = _schema.Get(role, _layer, _direction);
        return _source.GetWeights(p.Name, p.Dimensions);
    }

    private ReadOnlySpan<float> Tensor(RecurrentParameterRole role)
    {
        RecurrentParameter p = _schema.Get(role, _layer, _direction);
        return _source.Get(p.Name, p.Dimensions);
    }
}
