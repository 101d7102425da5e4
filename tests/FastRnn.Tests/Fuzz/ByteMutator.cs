using System.Globalization;
using System.Text;

namespace FastRnn.Tests.Fuzz;

/// <summary>
/// A seeded mutator over valid files: bit flips, boundary bytes and integers (the sizes and offsets a hostile header
/// would claim), truncation, deleted, inserted and duplicated runs, splices with another file, and decimal numbers
/// rewritten in text headers (.npy dicts, safetensors JSON). The same seed gives the same mutants.
/// </summary>
internal sealed class ByteMutator(int seed)
{
    private static readonly byte[] Bytes = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF];
    private static readonly uint[] Ints = [0, 1, 2, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x4000_0000];
    private static readonly ulong[] Longs = [0, 1, 64, 0xFFFF_FFFF, 0x1_0000_0000, 1UL << 40, 0x7FFF_FFFF_FFFF_FFFF, ulong.MaxValue, 1UL << 62];
    private static readonly string[] Numbers = ["0", "1", "-1", "2147483647", "2147483648", "4294967296", "1073741824", "281474976710656", "9223372036854775807", "99999999999999999999"];

    private readonly Random _random = new(seed);

    /// <summary>One to four mutations of <paramref name="original"/>; <paramref name="other"/> is spliced in sometimes.</summary>
    public byte[] Mutate(byte[] original, byte[] other)
    {
        var bytes = new List<byte>(original);
        int count = 1 + _random.Next(4);
        for (int i = 0; i < count; i++)
            MutateOnce(bytes, other);
        return [.. bytes];
    }

    private void MutateOnce(List<byte> bytes, byte[] other)
    {
        if (bytes.Count == 0)
        {
            bytes.AddRange(other.Take(_random.Next(other.Length + 1)));
            return;
        }
        int at = _random.Next(bytes.Count);
        switch (_random.Next(10))
        {
            case 0:
                bytes[at] ^= (byte)(1 << _random.Next(8));
                break;
            case 1:
                bytes[at] = Bytes[_random.Next(Bytes.Length)];
                break;
            case 2:
                Overwrite(bytes, at, BitConverter.GetBytes(Ints[_random.Next(Ints.Length)]));
                break;
            case 3:
                Overwrite(bytes, at, BitConverter.GetBytes(Longs[_random.Next(Longs.Length)]));
                break;
            case 4:
                bytes.RemoveRange(at, bytes.Count - at);
                break;
            case 5:
                bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + _random.Next(64)));
                break;
            case 6:
                bytes.InsertRange(at, Enumerable.Range(0, 1 + _random.Next(64)).Select(_ => (byte)_random.Next(256)));
                break;
            case 7:
            {
                int from = _random.Next(bytes.Count), length = Math.Min(bytes.Count - from, 1 + _random.Next(256));
                bytes.InsertRange(at, bytes.GetRange(from, length));
                break;
            }
            case 8:
            {
                int from = _random.Next(other.Length + 1);
                bytes.RemoveRange(at, bytes.Count - at);
                bytes.AddRange(other.Skip(from).Take(1 + _random.Next(4096)));
                break;
            }
            default:
                RewriteNumber(bytes, at);
                break;
        }
    }

    // Little-endian integers as headers store them, wherever they land (clipped at the end).
    private static void Overwrite(List<byte> bytes, int at, byte[] value)
    {
        if (!BitConverter.IsLittleEndian)
            Array.Reverse(value);
        for (int i = 0; i < value.Length && at + i < bytes.Count; i++)
            bytes[at + i] = value[i];
    }

    // The first run of ASCII digits at or after `at` becomes a boundary number: shapes, offsets, header lengths.
    private void RewriteNumber(List<byte> bytes, int at)
    {
        int start = bytes.FindIndex(at, b => b is >= (byte)'0' and <= (byte)'9');
        if (start < 0)
            return;
        int end = start;
        while (end < bytes.Count && bytes[end] is >= (byte)'0' and <= (byte)'9')
            end++;
        bytes.RemoveRange(start, end - start);
        bytes.InsertRange(start, Encoding.ASCII.GetBytes(Numbers[_random.Next(Numbers.Length)]));
    }

    /// <summary>A value from 0 to <paramref name="max"/> − 1, for the structure-aware mutators.</summary>
    public int Next(int max) => _random.Next(max);

    /// <summary>A boundary 64-bit value (sizes, dimensions), as the structure-aware mutators plant them.</summary>
    public long BoundaryLong() => _random.Next(3) switch
    {
        0 => (long)(Longs[_random.Next(Longs.Length)] & long.MaxValue),
        1 => -_random.Next(3),
        _ => long.Parse(Numbers[_random.Next(Numbers.Length - 1)], CultureInfo.InvariantCulture),
    };
}
