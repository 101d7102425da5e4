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

    /// <summary>A runner over a node of one direction or, given two, a bidirectional one (<see cref="OnnxRecurrentModel.Build(IReadOnlyList{RecurrentWeights}, int, int)"/>).</summary>
    public OnnxRecurrentRunner(IReadOnlyList<RecurrentWeights> directions, int steps, int batch = 1, int threads = 1)
        : this(OnnxRecurrentModel.Build(directions, steps, batch), directions[0].Kind == RecurrentKind.Lstm, directions[0].InputSize,
               directions[0].HiddenSize, steps, batch, threads, directions.Count)
    {
    }

    /// <summary>A runner over any model with the inputs and outputs of <see cref="OnnxRecurrentModel"/> (for example
    /// <see cref="OnnxQuantizedLstmModel"/>'s).</summary>
    public OnnxRecurrentRunner(byte[] model, bool lstm, int inputSize, int hiddenSize, int steps, int batch = 1, int threads = 1, int directions = 1)
    {
        int i = inputSize, h = hiddenSize, d = directions;
        _lstm = lstm;
        Steps = steps;
        Input = new float[steps * batch * i];
        Output = new float[steps * d * batch * h];
        InitialHidden = new float[d * batch * h];
        FinalHidden = new float[d * batch * h];
        InitialCell = new float[d * batch * h];
        FinalCell = new float[d * batch * h];

        using SessionOptions options = OnnxSessionOptions.Create(threads);
        _session = new InferenceSession(model, options);
        _runOptions = new RunOptions();
        _binding = _session.CreateIoBinding();

        _binding.BindInput("X", Pin(Input, steps, batch, i));
        _binding.BindInput("initial_h", Pin(InitialHidden, d, batch, h));
        _binding.BindOutput("Y", Pin(Output, steps, d, batch, h));
        _binding.BindOutput("Y_h", Pin(FinalHidden, d, batch, h));
        if (_lstm)
        {
            _binding.BindInput("initial_c", Pin(InitialCell, d, batch, h));
            _binding.BindOutput("Y_c", Pin(FinalCell, d, batch, h));
        }
    }

    /// <summary>T, the sequence length the model was built for.</summary>
    public int Steps { get; }

    /// <summary>X, (T, B, I).</summary>
    public float[] Input { get; }

    /// <summary>Y, (T, D, B, H).</summary>
    public float[] Output { get; }

    /// <summary>initial_h, (D, B, H).</summary>
    public float[] InitialHidden { get; }

    /// <summary>Y_h, (D, B, H).</summary>
    public float[] FinalHidden { get; }

    /// <summary>initial_c, (D, B, H); unused for a GRU.</summary>
    public float[] InitialCell { get; }

    /// <summary>Y_c, (D, B, H); unused for a GRU.</summary>
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
