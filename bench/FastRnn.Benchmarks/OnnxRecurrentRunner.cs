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
/// One intra-op and one inter-op thread: FastRnn runs a step on the calling thread, and a batch-1 step is far too
/// small to split profitably across threads.
/// </remarks>
internal sealed class OnnxRecurrentRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions;
    private readonly List<OrtValue> _values = [];
    private readonly bool _lstm;

    public OnnxRecurrentRunner(RecurrentWeights weights, int steps)
    {
        int i = weights.InputSize, h = weights.HiddenSize;
        _lstm = weights.Kind == RecurrentKind.Lstm;
        Steps = steps;
        Input = new float[steps * i];
        Output = new float[steps * h];
        InitialHidden = new float[h];
        FinalHidden = new float[h];
        InitialCell = new float[h];
        FinalCell = new float[h];

        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(OnnxRecurrentModel.Build(weights, steps), options);
        _runOptions = new RunOptions();
        _binding = _session.CreateIoBinding();

        _binding.BindInput("X", Pin(Input, steps, 1, i));
        _binding.BindInput("initial_h", Pin(InitialHidden, 1, 1, h));
        _binding.BindOutput("Y", Pin(Output, steps, 1, 1, h));
        _binding.BindOutput("Y_h", Pin(FinalHidden, 1, 1, h));
        if (_lstm)
        {
            _binding.BindInput("initial_c", Pin(InitialCell, 1, 1, h));
            _binding.BindOutput("Y_c", Pin(FinalCell, 1, 1, h));
        }
    }

    /// <summary>T, the sequence length the model was built for.</summary>
    public int Steps { get; }

    /// <summary>X, (T, 1, I).</summary>
    public float[] Input { get; }

    /// <summary>Y, (T, 1, 1, H).</summary>
    public float[] Output { get; }

    /// <summary>initial_h, (1, 1, H).</summary>
    public float[] InitialHidden { get; }

    /// <summary>Y_h, (1, 1, H).</summary>
    public float[] FinalHidden { get; }

    /// <summary>initial_c, (1, 1, H); unused for a GRU.</summary>
    public float[] InitialCell { get; }

    /// <summary>Y_c, (1, 1, H); unused for a GRU.</summary>
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
