using FastRnn.Layers;
using Microsoft.ML.OnnxRuntime;

namespace FastRnn.Benchmarks;

/// <summary>
/// An ONNX Runtime session over <see cref="OnnxRecurrentModel"/> with every input and output bound once to pinned
/// managed arrays, so a run is a single native call with no marshalling, copying or managed allocation.
/// </summary>
/// <remarks>
/// On the CPU provider a tensor created over existing memory is used in place, so writing <see cref="Input"/> or the
/// state arrays between runs changes what the next run reads, without rebinding.
/// One inter-op thread and, unless a benchmark compares threads, one intra-op thread: the same threads FastRnn is
/// given.
/// </remarks>
internal sealed class OnnxRecurrentRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions;
    private readonly List<OrtValue> _values = [];
    private readonly bool _lstm;

    public OnnxRecurrentRunner(RecurrentWeights weights, int steps, int batch = 1, int threads = 1)
        : this(OnnxRecurrentModel.Build(weights, steps, batch), weights.Kind == RecurrentKind.Lstm, weights.InputSize, weights.HiddenSize, steps, batch, threads)
    {
    }

    /// <summary>A runner over any model with the inputs and outputs of <see cref="OnnxRecurrentModel"/> (for example
    /// <see cref="OnnxQuantizedLstmModel"/>'s).</summary>
    public OnnxRecurrentRunner(byte[] model, bool lstm, int inputSize, int hiddenSize, int steps, int batch = 1, int threads = 1)
    {
        int i = inputSize, h = hiddenSize;
        _lstm = lstm;
        Steps = steps;
        Input = new float[steps * batch * i];
        Output = new float[steps * batch * h];
        InitialHidden = new float[batch * h];
        FinalHidden = new float[batch * h];
        InitialCell = new float[batch * h];
        FinalCell = new float[batch * h];

        using SessionOptions options = OnnxSessionOptions.Create(threads);
        _session = new InferenceSession(model, options);
        _runOptions = new RunOptions();
        _binding = _session.CreateIoBinding();

        _binding.BindInput("X", Pin(Input, steps, batch, i));
        _binding.BindInput("initial_h", Pin(InitialHidden, 1, batch, h));
        _binding.BindOutput("Y", Pin(Output, steps, 1, batch, h));
        _binding.BindOutput("Y_h", Pin(FinalHidden, 1, batch, h));
        if (_lstm)
        {
            _binding.BindInput("initial_c", Pin(InitialCell, 1, batch, h));
            _binding.BindOutput("Y_c", Pin(FinalCell, 1, batch, h));
        }
    }

    /// <summary>T, the sequence length the model was built for.</summary>
    public int Steps { get; }

    /// <summary>X, (T, B, I).</summary>
    public float[] Input { get; }

    /// <summary>Y, (T, 1, B, H).</summary>
    public float[] Output { get; }

    /// <summary>initial_h, (1, B, H).</summary>
    public float[] InitialHidden { get; }

    /// <summary>Y_h, (1, B, H).</summary>
    public float[] FinalHidden { get; }

    /// <summary>initial_c, (1, B, H); unused for a GRU.</summary>
    public float[] InitialCell { get; }

    /// <summary>Y_c, (1, B, H); unused for a GRU.</summary>
    public float[] FinalCell { get; }

    /// <summary>Runs the T steps of <see cref="Input"/> from the initial state.</summary>
    public void Run() => _session.RunWithBinding(_runOptions, _binding);

    /// <summary>Runs, then makes the final state the next run's initial state: a streaming step when T = 1.</summary>
    public void RunAndCarryState()
    {
        Run();
        FinalHidden.AsSpan().CopyTo(InitialHidden);
        if (_lstm)
            FinalCell.AsSpan().CopyTo(InitialCell);
    }

    /// <summary>Zeroes the initial state.</summary>
    public void Reset()
    {
        Array.Clear(InitialHidden);
        Array.Clear(InitialCell);
    }

    public void Dispose()
    {
        _binding.Dispose();
        foreach (OrtValue value in _values)
            value.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }

    private OrtValue Pin(float[] data, params long[] shape)
    {
        // The value pins the array until it is disposed, so ONNX Runtime reads and writes it in place.
        var value = OrtValue.CreateTensorValueFromMemory(data, shape);
        _values.Add(value);
        return value;
    }
}
