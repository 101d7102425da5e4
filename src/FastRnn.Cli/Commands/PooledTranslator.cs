using FastRnn.Decoding;
using FastRnn.Streaming;

namespace FastRnn.Cli.Commands;

/// <summary>
/// Translates the lines of a reader through a <see cref="Seq2SeqPool"/>: up to <c>batch</c> lines decode together,
/// each joining as soon as rows are free and leaving when done, and the answers are written in input order through a
/// reorder queue: one output line per input line, a line that cannot be translated answered in its place by an empty
/// line (its error on stderr), never dropped and never stopping the rest.
/// </summary>
internal sealed class PooledTranslator(Seq2SeqModel model, string modelName, int batch, int beamSize, int maxLength) : IDisposable
{
    private readonly Seq2SeqPool _pool = new(model, checked(batch * beamSize), beamSize, maxLength);
    private readonly DecodingOptions _greedy = DecodingOptions.Greedy(maxLength);
    private readonly BeamOptions _beam = new() { BeamSize = beamSize, NBest = 1, MaxLength = maxLength };

    /// <inheritdoc cref="Translator.Strict"/>
    public bool Strict { get; init; }

    /// <inheritdoc cref="Translator.Scores"/>
    public bool Scores { get; init; }

    /// <summary>Answers every line of <paramref name="input"/>; returns how many could not be translated.</summary>
    public int TranslateLines(TextReader input, CliContext context)
    {
        // Lines read ahead but not yet answered, in input order. Lines that fail take no rows, so the queue also stops
        // reading ahead at a bound of its own, lest a long run of bad lines behind a slow one fill memory.
        var queue = new Queue<Answer>();
        int lineNumber = 0, failed = 0, readAhead = 4 * batch;
        bool ended = false;
        while (!ended || queue.Count > 0)
        {
            while (!ended && queue.Count < readAhead && _pool.FreeRows >= beamSize && _pool.OpenCount < _pool.Capacity)
            {
                if (input.ReadLine() is not { } line)
                {
                    ended = true;
                    break;
                }
                queue.Enqueue(Start(line, $"stdin line {++lineNumber}"));
            }
            if (_pool.RunningCount > 0)
                _pool.Step();
            while (queue.Count > 0 && (queue.Peek().Error is not null || _pool.IsFinished(queue.Peek().Request)))
            {
                Answer answer = queue.Dequeue();
                if (answer.Warning is not null)
                    context.Error.WriteLine(answer.Warning);
                if (answer.Error is not null)
                {
                    context.Out.WriteLine();
                    context.Out.Flush();
                    CliErrors.Report(context, answer.Error, ExitCodes.BadInput);
                    failed++;
                    continue;
                }
                context.Out.WriteLine(model.DecodeText(_pool.Tokens(answer.Request)) + Translator.LineEnd(Scores, _pool.Score(answer.Request)));
                _pool.Close(answer.Request);
            }
            context.Out.Flush();
        }
        return failed;
    }

    /// <inheritdoc/>
    public void Dispose() => _pool.Dispose();

    private Answer Start(string line, string what)
    {
        int[] source;
        string? warning;
        try
        {
            source = Translator.Prepare(model, modelName, Strict, line, what, out warning);
        }
        catch (InvalidDataException e)
        {
            return new Answer(default, null, e.Message);
        }
        // Rows were checked free by the caller, so the start cannot be refused.
        StreamHandle request = beamSize == 1 ? _pool.Start(source, _greedy) : _pool.StartBeam(source, _beam);
        return new Answer(request, warning, null);
    }

    private readonly record struct Answer(StreamHandle Request, string? Warning, string? Error);
}
