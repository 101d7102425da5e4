namespace FastRnn.Import;

/// <summary>The kernel, recurrent kernel and bias of one Keras layer, with their names as the file spells them.</summary>
internal sealed class KerasLayerWeights(string path, string display)
{
    public string Path { get; } = path;

    public string Display { get; } = display;

    public TensorData? Kernel { get; private set; }

    public TensorData? RecurrentKernel { get; private set; }

    public TensorData? Bias { get; private set; }

    public string KernelName { get; private set; } = "";

    public string RecurrentKernelName { get; private set; } = "";

    public string BiasName { get; private set; } = "";

    public void Add(string role, string full, TensorData tensor)
    {
        switch (role)
        {
            case "kernel" when Kernel is null:
                (Kernel, KernelName) = (tensor, full);
                break;
            case "recurrent_kernel" when RecurrentKernel is null:
                (RecurrentKernel, RecurrentKernelName) = (tensor, full);
                break;
            case "bias" when Bias is null:
                (Bias, BiasName) = (tensor, full);
                break;
            case "kernel" or "recurrent_kernel" or "bias":
                throw ImportErrors.Inconsistent($"tensor '{full}' is a second {role} for layer '{Display}'");
            default:
                throw ImportErrors.UnexpectedTensor(full,
                    $"a Keras recurrent layer has only kernel, recurrent_kernel and bias{(PyTorchStateDictImporter.IsParameterName(role) ? "; it looks like a PyTorch state dict: import without the Keras option" : "")}");
        }
    }
}
