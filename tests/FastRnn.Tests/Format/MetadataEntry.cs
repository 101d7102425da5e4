using System.Text;

namespace FastRnn.Tests.Format;

/// <summary>Byte positions of one metadata entry's fields in a raw .frnn file (see <see cref="FrnnBytes"/>).</summary>
internal readonly record struct MetadataEntry(string Key, int KeyAt, int TypeAt, int ValueAt, int End)
{
    public static MetadataEntry At(byte[] file, int position)
    {
        int keyLength = (int)FrnnBytes.U32(file, position);
        int keyAt = position + 4;
        int typeAt = keyAt + keyLength;
        int valueAt = typeAt + 1;
        return new MetadataEntry(Encoding.UTF8.GetString(file, keyAt, keyLength), keyAt, typeAt, valueAt, valueAt + ValueLength(file, file[typeAt], valueAt));
    }

    private static int ValueLength(byte[] file, byte type, int at) => type switch
    {
        1 or 2 => 8,
        3 => 4 + (int)FrnnBytes.U32(file, at),
        4 => 1,
        5 => 4 + (8 * (int)FrnnBytes.U32(file, at)),
        6 => StringArrayLength(file, at),
        _ => throw new InvalidOperationException($"test setup: metadata type {type}"),
    };

    private static int StringArrayLength(byte[] file, int at)
    {
        int count = (int)FrnnBytes.U32(file, at);
        int position = at + 4;
        for (int i = 0; i < count; i++)
        {
            position += 4 + (int)FrnnBytes.U32(file, position);
        }

        return position - at;
    }
}
