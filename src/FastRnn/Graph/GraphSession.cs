using System.Runtime.CompilerServices;
using FastRnn.Graph.Ops;

namespace FastRnn.Graph;

/// <summary>
/// The mutable half of a <see cref="GraphModel"/>: one arena holding the inputs, outputs, every intermediate and the
/// carried recurrent state, allocated at creation. Setting inputs, <see cref="Run()"/>, reading outputs and the state
/// accessors allocate nothing. Not thread-safe: one session per thread (sessions share the model's weights).
/// </summary>
/// <remarks>
/// A state input (<see cref="GraphModel.States"/>) starts at zero and after every run receives the output paired with
/// it, so a stream of calls continues where the last one stopped; <see cref="SetInput(string, ReadOnlySpan{float})"/>
/// on it, or <see cref="State"/>, replaces the carried value, and <see cref="ResetState"/> zeroes it. Other inputs keep
/// the last value set.
/// </remarks>
public sealed class GraphSession : IDisposable
{
    private readonly GraphModel _model;
    private readonly GraphFrame _frame;
    private readonly int[] _inputs, _outputs; // value indices
    private readonly (int Input, int Output)[] _states;
    private readonly int _soleInput = -1, _soleOutput = -1; // positions of the only non-state input / output, if one
    private bool _disposed;

    internal GraphSession(GraphModel model)
    {
        _model = model;
        GraphDefinition g = model.Definition;
        var recurrent = new RnnSession?[g.Nodes.Count];
        for (int n = 0; n < recurrent.Length; n++)
            recurrent[n] = (model.Kernels[n] as RecurrentKernel)?.CreateSession();
        _frame = new GraphFrame(model.Plan, model.Constants, recurrent);
        _inputs = [.. g.Inputs];
        _outputs = [.. g.Outputs];
        _states = [.. g.States];
        int[] free = Enumerable.Range(0, _inputs.Length).Where(i => !_states.Any(s => s.Input == _inputs[i])).ToArray();
        int[] results = Enumerable.Range(0, _outputs.Length).Where(i => !_states.Any(s => s.Output == _outputs[i])).ToArray();
        if (free.Length == 1)
            _soleInput = free[0];
        if (results.Length == 1)
            _soleOutput = results[0];
        ResetState();
    }

    /// <summary>The model this session runs.</summary>
    public GraphModel Model => _model;

    /// <summary>Runs the graph on the inputs as they are now set, then feeds every state output into its input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run()
    {
        ThrowIfDisposed();
        IReadOnlyList<GraphKernel> kernels = _model.Kernels;
        foreach (int n in _model.RunOrder)
            kernels[n].Run(_frame, n);
        foreach ((int input, int output) in _states)
            _frame.In(output).CopyTo(_frame.Out(input));
    }

    /// <summary>
    /// One call of a model with one input and one output besides its state (a VAD: audio in, probability out): sets
    /// the input, runs, copies the output.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model has several inputs or outputs besides its state; name them.</exception>
    public void Run(ReadOnlySpan<float> input, Span<float> output)
    {
        if (_soleInput < 0 || _soleOutput < 0)
            throw new InvalidOperationException($"the graph has {_model.Inputs.Count} inputs and {_model.Outputs.Count} outputs; name the ones to use");
        Run(_soleInput, input, _soleOutput, output);
    }

    /// <summary>Sets input <paramref name="inputName"/>, runs, and copies output <paramref name="outputName"/>.</summary>
    public void Run(string inputName, ReadOnlySpan<float> input, string outputName, Span<float> output)
        => Run(InputIndex(inputName), input, OutputIndex(outputName), output);

    /// <summary>Sets the input at <paramref name="inputIndex"/> (of <see cref="GraphModel.Inputs"/>), runs, and copies the output at <paramref name="outputIndex"/>.</summary>
    public void Run(int inputIndex, ReadOnlySpan<float> input, int outputIndex, Span<float> output)
    {
        SetInput(inputIndex, input);
        Run();
        GetOutput(outputIndex, output);
    }

    /// <summary>Copies <paramref name="values"/> into the float32 input <paramref name="name"/> (its shape's element count).</summary>
    public void SetInput(string name, ReadOnlySpan<float> values) => SetInput(InputIndex(name), values);

    /// <summary>Copies <paramref name="values"/> into the float32 input at <paramref name="index"/>.</summary>
    public void SetInput(int index, ReadOnlySpan<float> values)
    {
        ThrowIfDisposed();
        int v = Input(index, GraphElementType.Float32);
        Span<float> target = _frame.Out(v);
        if (values.Length != target.Length)
            throw Length("input", v, values.Length);
        values.CopyTo(target);
    }

    /// <summary>Copies <paramref name="values"/> into the int64 input <paramref name="name"/> (token ids).</summary>
    public void SetInput(string name, ReadOnlySpan<long> values) => SetInput(InputIndex(name), values);

    /// <summary>Copies <paramref name="values"/> into the int64 input at <paramref name="index"/>.</summary>
    public void SetInput(int index, ReadOnlySpan<long> values)
    {
        ThrowIfDisposed();
        int v = Input(index, GraphElementType.Int64);
        Span<long> target = _frame.Ints(v);
        if (values.Length != target.Length)
            throw Length("input", v, values.Length);
        values.CopyTo(target);
    }

    /// <summary>Copies output <paramref name="name"/> of the last run into <paramref name="destination"/>.</summary>
    public void GetOutput(string name, Span<float> destination) => GetOutput(OutputIndex(name), destination);

    /// <summary>Copies the output at <paramref name="index"/> of the last run into <paramref name="destination"/>.</summary>
    public void GetOutput(int index, Span<float> destination)
    {
        ReadOnlySpan<float> source = Output(index);
        if (destination.Length != source.Length)
            throw Length("output", _outputs[index], destination.Length);
        source.CopyTo(destination);
    }

    /// <summary>Output <paramref name="name"/> of the last run: a live view, valid until the next run.</summary>
    public ReadOnlySpan<float> Output(string name) => Output(OutputIndex(name));

    /// <summary>The output at <paramref name="index"/> of the last run: a live view, valid until the next run.</summary>
    public ReadOnlySpan<float> Output(int index)
    {
        ThrowIfDisposed();
        if ((uint)index >= (uint)_outputs.Length)
            throw GraphErrors.Index("output", index, _outputs.Length);
        return _frame.In(_outputs[index]);
    }

    /// <summary>
    /// The state the next run will read for state input <paramref name="input"/>: a live, writable view (write it to
    /// restore a saved stream; read it to save one).
    /// </summary>
    public Span<float> State(string input)
    {
        ThrowIfDisposed();
        int v = _inputs[InputIndex(input)];
        if (!_states.Any(s => s.Input == v))
            throw new ArgumentException($"input '{input}' is not a state input (states: {string.Join(", ", _model.States.Select(s => s.Input))})", nameof(input));
        return _frame.Out(v);
    }

    /// <summary>Sets every state input to zero, the state of a fresh stream.</summary>
    public void ResetState()
    {
        ThrowIfDisposed();
        foreach ((int input, _) in _states)
            _frame.Out(input).Clear();
    }

    /// <summary>The position of input <paramref name="name"/> in <see cref="GraphModel.Inputs"/>.</summary>
    public int InputIndex(string name)
    {
        for (int i = 0; i < _inputs.Length; i++)
        {
            if (string.Equals(_model.Inputs[i].Name, name, StringComparison.Ordinal))
                return i;
        }
        throw GraphErrors.UnknownName("input", name, _model.Inputs.Select(x => x.Name));
    }

    /// <summary>The position of output <paramref name="name"/> in <see cref="GraphModel.Outputs"/>.</summary>
    public int OutputIndex(string name)
    {
        for (int i = 0; i < _outputs.Length; i++)
        {
            if (string.Equals(_model.Outputs[i].Name, name, StringComparison.Ordinal))
                return i;
        }
        throw GraphErrors.UnknownName("output", name, _model.Outputs.Select(x => x.Name));
    }

    /// <summary>Releases the session; later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => _disposed = true;

    private int Input(int index, GraphElementType type)
    {
        if ((uint)index >= (uint)_inputs.Length)
            throw GraphErrors.Index("input", index, _inputs.Length);
        if (_model.Inputs[index].ElementType != type)
            throw GraphErrors.ElementType(_model.Inputs[index].Name, _model.Inputs[index].ElementType);
        return _inputs[index];
    }

    private ArgumentException Length(string what, int value, int actual)
    {
        GraphValue v = _model.Definition.Values[value];
        return GraphErrors.Length(what, v.Name, actual, v.Length, v.ShapeText);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
