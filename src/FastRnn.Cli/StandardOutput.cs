using System.Text;
using Microsoft.Win32.SafeHandles;

namespace FastRnn.Cli;

/// <summary>
/// The tool's standard output, and the guard that turns a reader closing it into <see cref="OutputClosedException"/>.
/// </summary>
/// <remarks>
/// .NET's console stream ignores a broken pipe, so <c>fastrnn generate --tokens 1000000 | head</c> would sample every
/// token into the void. On Unix a stdout that is a pipe is therefore written through its file descriptor, whose writes
/// report the broken pipe, and <see cref="Guard"/> stops the command at the first such write.
/// </remarks>
internal static class StandardOutput
{
    // EPIPE on Linux and macOS; ERROR_BROKEN_PIPE and ERROR_NO_DATA as HRESULTs on Windows.
    private static readonly int[] BrokenPipeCodes = [32, unchecked((int)0x8007006D), unchecked((int)0x800700E8)];

    /// <summary>A writer for the process's standard output.</summary>
    public static TextWriter Open()
    {
        if (OperatingSystem.IsWindows() || !Console.IsOutputRedirected)
            return Console.Out;
        var stream = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        if (stream.CanSeek)
        {
            // A regular file has no reader to lose, and FileStream writes it at offsets of its own, which would leave
            // the descriptor's shared offset behind: `{ fastrnn …; fastrnn …; } > log` would overwrite itself.
            stream.Dispose();
            return Console.Out;
        }
        return new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 4096) { AutoFlush = true };
    }

    /// <summary><paramref name="output"/>, with a broken pipe reported as <see cref="OutputClosedException"/>.</summary>
    public static TextWriter Guard(TextWriter output) => output is GuardedWriter ? output : new GuardedWriter(output);

    /// <summary>Whether <paramref name="e"/> says the reader of a pipe has gone.</summary>
    public static bool IsBrokenPipe(IOException e) => BrokenPipeCodes.Contains(e.HResult);

    private sealed class GuardedWriter(TextWriter inner) : TextWriter
    {
        public override Encoding Encoding => inner.Encoding;

        public override IFormatProvider FormatProvider => inner.FormatProvider;

        public override string NewLine
        {
            get => inner.NewLine;
#pragma warning disable CS8765 // TextWriter.NewLine's setter accepts null; so does the inner writer's
            set => inner.NewLine = value;
#pragma warning restore CS8765
        }

        public override void Write(char value) => Do(() => inner.Write(value));

        public override void Write(string? value) => Do(() => inner.Write(value));

        public override void Write(char[] buffer, int index, int count) => Do(() => inner.Write(buffer, index, count));

        public override void Write(ReadOnlySpan<char> buffer)
        {
            try
            {
                inner.Write(buffer);
            }
            catch (IOException e) when (IsBrokenPipe(e))
            {
                throw new OutputClosedException(e);
            }
        }

        public override void WriteLine(string? value) => Do(() => inner.WriteLine(value));

        public override void Flush() => Do(inner.Flush);

        private static void Do(Action write)
        {
            try
            {
                write();
            }
            catch (IOException e) when (IsBrokenPipe(e))
            {
                throw new OutputClosedException(e);
            }
        }
    }
}
