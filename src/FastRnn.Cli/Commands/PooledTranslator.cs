using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using FastRnn.Decoding;
using FastRnn.Streaming;

namespace FastRnn.Cli.Commands;

/// <summary>
/// Translates the lines of a reader through a <see cref="Seq2SeqPool"/>: up to <c>batch</c> lines decode together,
/// each joining as soon as rows are free and leaving when done, and the answers are written in input order through a
/// reorder queue: one output line per input line, a line that cannot be translated answered in its place by an empty
/// line (its error on stderr), never dropped and never stopping the rest.
/// </summary>
/// <remarks>
/// The lines are read on a thread of their own into a bounded queue, and the decoding loop takes only the lines already
/// there while requests are running, blocking for the next one only when it has nothing else to do. So lines that
/// arrive together (a file, a fast pipe) are batched, and a client that writes one line and waits for its answer (a
/// co-process, a person at a terminal) gets it without the tool waiting for more input first.
/// </remarks>
internal sealed class PooledTranslator : IDisposable
{
    private readonly Seq2SeqModel _model;
    private readonly string _modelName;
    private readonly int _batch, _beamSize;
    private readonly Seq2SeqPool _pool;
    private readonly DecodingOptions _greedy;
    private readonly BeamOptions _beam;

    /// <exception cref="ArgumentOutOfRangeException">The pool's buffers do not fit in memory; the message names the sizes.</exception>
    public PooledTranslator(Seq2SeqModel model, string modelName, int batch, int beamSize, int maxLength)
    {
        (_model, _modelName, _batch, _beamSize) = (model, modelName, batch, beamSize);
        // Rows for every line's beam, but request slots (a source's memory and a beam's hypotheses) only per line.
        _pool = new Seq2SeqPool(model, checked(batch * beamSize), beamSize, maxLength, maxRequests: batch);
        _greedy = DecodingOptions.Greedy(maxLength);
        _beam = new BeamOptions { BeamSize = beamSize, NBest = 1, MaxLength = maxLength };
    }

    /// <inheritdoc cref="Translator.Strict"/>
    public bool Strict { get; init; }

    /// <inheritdoc cref="Translator.Scores"/>
    public bool Scores { get; init; }

    /// <summary>Answers every line of <paramref name="input"/>; returns how many could not be translated.</summary>
    /// <remarks>Whatever reading <paramref name="input"/> throws is rethrown here once the lines read before it are answered.</remarks>
    public int TranslateLines(TextReader input, CliContext context)
    {
        using var lines = new BlockingCollection<string>(boundedCapacity: 4 * _batch);
        ExceptionDispatchInfo? readError = null;
        var reader = new Thread(() =>
        {
            try
            {
                while (input.ReadLine() is { } line)
                    lines.Add(line);
            }
#pragma warning disable CA1031 // whatever reading throws is rethrown on the translating thread, where the CLI reports it
            catch (Exception e)
#pragma warning restore CA1031
            {
                readError = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                try
                {
                    lines.CompleteAdding();
                }
                catch (ObjectDisposedException)
                {
                    // the translating thread has already given up (its output closed, or it failed)
                }
            }
        }) { IsBackground = true, Name = "fastrnn translate stdin" };
        reader.Start();

        // Lines taken but not yet answered, in input order. Lines that fail take no rows, so the queue also stops taking
        // at a bound of its own, lest a long run of bad lines behind a slow one fill memory.
        var queue = new Queue<Answer>();
        int lineNumber = 0, failed = 0, bound = 4 * _batch;
        while (true)
        {
            while (queue.Count < bound && _pool.FreeRows >= _beamSize && _pool.OpenCount < _pool.MaxRequests)
            {
                // Block only when nothing is decoding: then the next line is all there is to wait for.
                bool idle = _pool.RunningCount == 0 && queue.Count == 0;
                if (!(idle ? TakeBlocking(lines, out string? line) : lines.TryTake(out line)))
                    break;
                queue.Enqueue(Start(line!, $"stdin line {++lineNumber}"));
            }
            if (queue.Count == 0 && lines.IsCompleted)
                break;
            if (_pool.RunningCount > 0)
                _pool.Step();
            failed += Flush(queue, context);
        }
        reader.Join();
        readError?.Throw(); // as it was thrown, so the CLI reports it as it would from the translating thread
        return failed;
    }

    /// <inheritdoc/>
    public void Dispose() => _pool.Dispose();

    private static bool TakeBlocking(BlockingCollection<string> lines, out string? line)
    {
        try
        {
            line = lines.Take();
            return true;
        }
        catch (InvalidOperationException)
        {
            line = null; // the input has ended
            return false;
        }
    }

    // Writes the answers at the front of the queue that are ready, in order; returns how many of them failed.
    private int Flush(Queue<Answer> queue, CliContext context)
    {
        int failed = 0;
        while (queue.Count > 0 && (queue.Peek().Error is not null || _pool.IsFinished(queue.Peek().Request)))
        {
            Answer answer = queue.Dequeue();
            if (answer.Warning is not null)
                context.Error.WriteLine(answer.Warning);
            if (answer.Error is not null)
            {
                Translator.AnswerFailed(context, answer.Error);
                failed++;
                continue;
            }
            context.Out.WriteLine(_model.DecodeText(_pool.Tokens(answer.Request)) + Translator.LineEnd(Scores, _pool.Score(answer.Request)));
            _pool.Close(answer.Request);
        }
        context.Out.Flush();
        return failed;
    }

    private Answer Start(string line, string what)
    {
        int[] source;
        string? warning;
        try
        {
            source = Translator.Prepare(_model, _modelName, Strict, line, what, out warning);
        }
        catch (InvalidDataException e)
        {
            return new Answer(default, null, e.Message);
        }
        // Rows and a request slot were checked free by the caller, so the start cannot be refused.
        StreamHandle request = _beamSize == 1 ? _pool.Start(source, _greedy) : _pool.StartBeam(source, _beam);
        return new Answer(request, warning, null);
    }

    private readonly record struct Answer(StreamHandle Request, string? Warning, string? Error);
}
