using FastRnn.Layers;

namespace FastRnn.Import;

/// <summary>What one Keras layer's shapes say: kind (from G = recurrent_kernel columns / rows), units, input size, and the GRU form (from the bias shape).</summary>
internal sealed record KerasLayerShape(RecurrentKind Kind, int Units, int Input, bool HasBias, bool? ResetAfter)
{
    public string LayerType => Kind switch { RecurrentKind.Lstm => "LSTM", RecurrentKind.Gru => "GRU", _ => "SimpleRNN" };

    public int Gates => Kind switch { RecurrentKind.Lstm => 4, RecurrentKind.Gru => 3, _ => 1 };

    public static KerasLayerShape Infer(KerasLayerWeights w)
    {
        if (w.RecurrentKernel is null)
        {
            string found = string.Join(", ", new[] { w.KernelName, w.BiasName }.Where(n => n.Length > 0).Select(n => $"'{n}'"));
            throw ImportErrors.Inconsistent(
                $"layer '{w.Display}' ({found}) has no recurrent_kernel, so it is not a recurrent layer; select the recurrent layers with --prefix (ImportOptions.Prefix)");
        }
        if (w.Kernel is null)
            throw ImportErrors.MissingTensor(w.RecurrentKernelName.Replace("recurrent_kernel", "kernel", StringComparison.Ordinal), $"layer '{w.Display}' has a recurrent_kernel, so it needs a kernel");

        TensorData rk = w.RecurrentKernel, k = w.Kernel;
        if (rk.Shape.Length != 2)
            throw ImportErrors.TensorRank(w.RecurrentKernelName, rk.Shape, "(U, G·U), a matrix");
        int units = rk.Shape[0];
        int gates = units == 0 || rk.Shape[1] % units != 0 ? 0 : rk.Shape[1] / units;
        if (gates is not (1 or 3 or 4))
            throw ImportErrors.TensorRank(w.RecurrentKernelName, rk.Shape,
                "(U, G·U) with G = 4 (LSTM), 3 (GRU) or 1 (SimpleRNN): the columns must be 4, 3 or 1 times the rows");
        if (k.Shape.Length != 2 || k.Shape[1] != gates * units)
            throw ImportErrors.TensorRank(w.KernelName, k.Shape, $"(I, {gates * units}): (I, G·U) with G·U = {gates * units} from recurrent_kernel {rk.ShapeText}");
        RecurrentKind kind = gates switch { 4 => RecurrentKind.Lstm, 3 => RecurrentKind.Gru, _ => RecurrentKind.Rnn };

        bool? resetAfter = null;
        if (w.Bias is { } b)
        {
            int gu = gates * units;
            if (kind == RecurrentKind.Gru && b.Shape is [2, var n] && n == gu)
                resetAfter = true;
            else if (b.Shape is [var m] && m == gu)
                resetAfter = kind == RecurrentKind.Gru ? false : null;
            else
                throw ImportErrors.TensorRank(w.BiasName, b.Shape, kind == RecurrentKind.Gru
                    ? $"({gu},) for reset_after=False or (2, {gu}) for reset_after=True"
                    : $"({gu},) for a {(kind == RecurrentKind.Lstm ? "LSTM" : "SimpleRNN")} with {units} units");
        }
        return new KerasLayerShape(kind, units, k.Shape[0], w.Bias is not null, resetAfter);
    }

    /// <summary>A stacked layer must match the first in kind, units, bias and GRU form, and take the previous layer's output.</summary>
    public void CheckStackedOn(KerasLayerShape first, KerasLayerShape previous, KerasLayerWeights w)
    {
        if (Kind != first.Kind)
            throw ImportErrors.Inconsistent($"layer '{w.Display}' is a {LayerType} (recurrent_kernel {w.RecurrentKernel!.ShapeText}) but the first layer is a {first.LayerType}; a stack has one kind");
        if (Units != first.Units)
            throw ImportErrors.Inconsistent($"layer '{w.Display}' has {Units} units (recurrent_kernel {w.RecurrentKernel!.ShapeText}) but the first layer has {first.Units}; FastRnn stacks need equal sizes");
        if (HasBias != first.HasBias)
            throw ImportErrors.Inconsistent($"layer '{w.Display}' {(HasBias ? "has" : "has no")} bias but the first layer {(first.HasBias ? "has" : "has none")}; a stack must agree");
        if (ResetAfter != first.ResetAfter)
            throw ImportErrors.Inconsistent($"layer '{w.Display}' has bias {w.Bias!.ShapeText} (reset_after={ResetAfter}) unlike the first layer; a stack has one GRU form");
        if (Input != previous.Units)
            throw ImportErrors.TensorRank(w.KernelName, w.Kernel!.Shape, $"({previous.Units}, {Gates * Units}): its input is the previous layer's {previous.Units} units");
    }
}
