using System.Buffers.Binary;
using System.Text;

namespace FastRnn.Import;

/// <summary>
/// Walks a pickle's opcodes without executing them, before the unpickler sees a byte: every global it names must be
/// on <see cref="PickleAllowList"/>, every length field must fit in the bytes that follow, and opcodes PyTorch never
/// writes (INST, OBJ, the extension registry, out-of-band buffers, text persistent ids) are refused. A refused global
/// is reported by its module and name; nothing in the pickle is imported, called or instantiated.
/// </summary>
/// <remarks>
/// <para>The scan also returns where each BUILD opcode is. BUILD applies a pickled state to the object below it (a
/// state dict's <c>_metadata</c>, the only BUILD <c>torch.save</c> writes); FastRnn needs no state, so the loader
/// turns each into POP, which drops the state and leaves the same stack, and the unpickler's reflection-based
/// BUILD never runs (it would not under NativeAOT).</para>
/// <para>
/// Globals are named inline by GLOBAL ("module\nname\n", protocols 0–3, what <c>torch.save</c> writes) or taken from
/// the stack by STACK_GLOBAL (protocol 4+, after two string pushes or memo reads of strings). The scan tracks just
/// enough of the stack and memo to know those two strings; a STACK_GLOBAL whose operands are anything else is refused,
/// since no pickler writes one.
/// </para>
/// </remarks>
internal static class PickleScan
{
    private const int HighestProtocol = 5;

    /// <summary>
    /// Checks the pickle that starts at <paramref name="start"/>; returns the offset just past its STOP and the offsets
    /// of its BUILD opcodes.
    /// </summary>
    /// <exception cref="ImportException">A refused global or opcode, or a truncated or malformed pickle.</exception>
    public static (int End, List<int> Builds) Check(ReadOnlySpan<byte> data, int start, string file, string part)
    {
        var builds = new List<int>();
        var memoStrings = new Dictionary<long, string>();
        var memoKeys = new HashSet<long>();
        string? top = null, second = null; // the top two stack items, when they are known strings
        int at = start;
        while (true)
        {
            if (at >= data.Length)
                throw TorchErrors.Pickle(file, part, at, "ends before its STOP opcode (the file is truncated)");
            int opAt = at;
            byte op = data[at++];
            string? pushed = null;
            bool keepsStack = false;
            switch (op)
            {
                case (byte)'.': // STOP
                    return (at, builds);
                case (byte)'b': // BUILD
                    builds.Add(opAt);
                    break;
                // No argument.
                case (byte)'(' or (byte)'0' or (byte)'1' or (byte)'2' or (byte)'N' or (byte)'Q' or (byte)'R' or (byte)'a'
                    or (byte)'d' or (byte)'}' or (byte)'e' or (byte)'l' or (byte)']' or (byte)'s' or (byte)'t' or (byte)')' or (byte)'u'
                    or 0x81 or 0x85 or 0x86 or 0x87 or 0x88 or 0x89 or 0x8f or 0x90 or 0x91 or 0x92:
                    break;
                case 0x94: // MEMOIZE: memo[len(memo)] = top
                    Remember(memoKeys.Count, top);
                    keepsStack = true;
                    break;
                case (byte)'F' or (byte)'I' or (byte)'L': // FLOAT, INT, LONG: a decimal line
                    Line(data, ref at, file, part, opAt);
                    break;
                case (byte)'S' or (byte)'V': // STRING, UNICODE: a quoted or raw-unicode line
                    Line(data, ref at, file, part, opAt);
                    break;
                case (byte)'g': // GET
                    pushed = memoStrings.GetValueOrDefault(MemoIndex(Line(data, ref at, file, part, opAt), file, part, opAt));
                    break;
                case (byte)'p': // PUT
                    Remember(MemoIndex(Line(data, ref at, file, part, opAt), file, part, opAt), top);
                    keepsStack = true;
                    break;
                case (byte)'c': // GLOBAL: module and name inline
                    string module = Line(data, ref at, file, part, opAt);
                    string name = Line(data, ref at, file, part, opAt);
                    PickleAllowList.Require(module, name, file, part);
                    break;
                case 0x93: // STACK_GLOBAL: module and name from the stack
                    if (top is null || second is null)
                        throw TorchErrors.Pickle(file, part, opAt, "names a global through values that are not literal strings; refused");
                    PickleAllowList.Require(second, top, file, part);
                    break;
                case 0x80: // PROTO
                    byte protocol = Fixed(data, ref at, 1, file, part, opAt)[0];
                    if (protocol > HighestProtocol)
                        throw TorchErrors.Pickle(file, part, opAt, $"uses pickle protocol {protocol}; protocols 0 to {HighestProtocol} exist");
                    keepsStack = true;
                    break;
                case (byte)'K': // BININT1
                    Fixed(data, ref at, 1, file, part, opAt);
                    break;
                case (byte)'h': // BINGET
                    pushed = memoStrings.GetValueOrDefault(Fixed(data, ref at, 1, file, part, opAt)[0]);
                    break;
                case (byte)'q': // BINPUT
                    Remember(Fixed(data, ref at, 1, file, part, opAt)[0], top);
                    keepsStack = true;
                    break;
                case (byte)'M': // BININT2
                    Fixed(data, ref at, 2, file, part, opAt);
                    break;
                case (byte)'J': // BININT
                    Fixed(data, ref at, 4, file, part, opAt);
                    break;
                case (byte)'j': // LONG_BINGET
                    pushed = memoStrings.GetValueOrDefault(BinaryPrimitives.ReadUInt32LittleEndian(Fixed(data, ref at, 4, file, part, opAt)));
                    break;
                case (byte)'r': // LONG_BINPUT
                    Remember(BinaryPrimitives.ReadUInt32LittleEndian(Fixed(data, ref at, 4, file, part, opAt)), top);
                    keepsStack = true;
                    break;
                case (byte)'G' or 0x95: // BINFLOAT, FRAME (a length hint only)
                    Fixed(data, ref at, 8, file, part, opAt);
                    keepsStack = op == 0x95;
                    break;
                case (byte)'U' or (byte)'C' or 0x8a: // SHORT_BINSTRING, SHORT_BINBYTES, LONG1: 1-byte length
                    Counted(data, ref at, Fixed(data, ref at, 1, file, part, opAt)[0], file, part, opAt);
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    pushed = Utf8(Counted(data, ref at, Fixed(data, ref at, 1, file, part, opAt)[0], file, part, opAt), file, part, opAt);
                    break;
                case (byte)'T' or (byte)'B' or 0x8b: // BINSTRING, BINBYTES, LONG4: 4-byte length
                    Counted(data, ref at, BinaryPrimitives.ReadUInt32LittleEndian(Fixed(data, ref at, 4, file, part, opAt)), file, part, opAt);
                    break;
                case (byte)'X': // BINUNICODE
                    pushed = Utf8(Counted(data, ref at, BinaryPrimitives.ReadUInt32LittleEndian(Fixed(data, ref at, 4, file, part, opAt)), file, part, opAt), file, part, opAt);
                    break;
                case 0x8d: // BINUNICODE8
                    pushed = Utf8(Counted(data, ref at, BinaryPrimitives.ReadUInt64LittleEndian(Fixed(data, ref at, 8, file, part, opAt)), file, part, opAt), file, part, opAt);
                    break;
                case 0x8e or 0x96: // BINBYTES8, BYTEARRAY8
                    Counted(data, ref at, BinaryPrimitives.ReadUInt64LittleEndian(Fixed(data, ref at, 8, file, part, opAt)), file, part, opAt);
                    break;
                case (byte)'i':
                    throw TorchErrors.Pickle(file, part, opAt, "uses INST, which builds an object of a named class; refused");
                case (byte)'o':
                    throw TorchErrors.Pickle(file, part, opAt, "uses OBJ, which builds an object of a class from the stack; refused");
                case 0x82 or 0x83 or 0x84:
                    throw TorchErrors.Pickle(file, part, opAt, "uses the copyreg extension registry (EXT1/EXT2/EXT4), which names globals by number; refused");
                case 0x97 or 0x98:
                    throw TorchErrors.Pickle(file, part, opAt, "refers to out-of-band buffers, which a .pt file does not have");
                case (byte)'P':
                    throw TorchErrors.Pickle(file, part, opAt, "uses a text persistent id (PERSID); torch.save writes binary ones");
                default:
                    throw TorchErrors.Pickle(file, part, opAt, $"has unknown opcode 0x{op:x2}");
            }
            if (keepsStack)
                continue;
            (second, top) = pushed is null ? (null, null) : (top, pushed);
        }

        void Remember(long index, string? value)
        {
            memoKeys.Add(index);
            if (value is null)
                memoStrings.Remove(index);
            else
                memoStrings[index] = value;
        }
    }

    private static ReadOnlySpan<byte> Fixed(ReadOnlySpan<byte> data, ref int at, int count, string file, string part, int opAt)
    {
        if (data.Length - at < count)
            throw TorchErrors.Pickle(file, part, opAt, $"needs {count} argument bytes but {data.Length - at} remain (the file is truncated)");
        ReadOnlySpan<byte> result = data.Slice(at, count);
        at += count;
        return result;
    }

    private static ReadOnlySpan<byte> Counted(ReadOnlySpan<byte> data, ref int at, ulong count, string file, string part, int opAt)
    {
        if ((ulong)(data.Length - at) < count)
            throw TorchErrors.Pickle(file, part, opAt, $"says {count} bytes follow but {data.Length - at} remain (the file is truncated)");
        ReadOnlySpan<byte> result = data.Slice(at, (int)count);
        at += (int)count;
        return result;
    }

    private static string Line(ReadOnlySpan<byte> data, ref int at, string file, string part, int opAt)
    {
        int end = data[at..].IndexOf((byte)'\n');
        if (end < 0)
            throw TorchErrors.Pickle(file, part, opAt, "has an argument line without its newline (the file is truncated)");
        string line = Utf8(data.Slice(at, end), file, part, opAt);
        at += end + 1;
        return line;
    }

    private static long MemoIndex(string text, string file, string part, int opAt)
        => long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long index)
            ? index
            : throw TorchErrors.Pickle(file, part, opAt, $"has memo index '{text}', which is not a number");

    private static string Utf8(ReadOnlySpan<byte> bytes, string file, string part, int opAt)
    {
        try
        {
            return Strict.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw TorchErrors.Pickle(file, part, opAt, "has a string that is not valid UTF-8");
        }
    }

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
