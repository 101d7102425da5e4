using System.Diagnostics;

namespace FastRnn.Format;

// Metadata section: `count` entries of (u32 key length, UTF-8 key, u8 type, value), nothing after the last.
internal static partial class FrnnParser
{
    private static MetadataDictionary ReadMetadata(ReadOnlySpan<byte> section, uint count)
    {
        var reader = new SectionReader(section, "metadata");
        var entries = new MetadataDictionary((int)count);
        for (int i = 0; i < (int)count; i++)
        {
            reader.Entry = i;
            reader.EntryName = null;
            string key = reader.ReadString("key", allowEmpty: false);
            reader.EntryName = key;
            if (entries.ContainsKey(key))
            {
                FormatErrors.ThrowDuplicateKey(key);
            }

            byte code = reader.ReadU8("type");
            if (!Enum.IsDefined((FrnnMetadataType)code))
            {
                FormatErrors.ThrowUnknownMetadataType(key, code);
            }

            entries.Add(key, ReadValue(ref reader, key, (FrnnMetadataType)code));
        }

        if (reader.Remaining != 0)
        {
            FormatErrors.ThrowTrailingBytes("metadata", count, reader.Position, section.Length);
        }

        return entries;
    }

    // Values are stored as the types FrnnFile's accessors return: long, double, string, bool, and read-only lists
    // for arrays so the dictionary handed to callers stays immutable.
    private static object ReadValue(ref SectionReader reader, string key, FrnnMetadataType type)
    {
        switch (type)
        {
            case FrnnMetadataType.Int64:
                return reader.ReadI64("value");
            case FrnnMetadataType.Float64:
                return reader.ReadF64("value");
            case FrnnMetadataType.String:
                return reader.ReadString("value", allowEmpty: true);
            case FrnnMetadataType.Bool:
                byte flag = reader.ReadU8("value");
                if (flag > 1)
                {
                    FormatErrors.ThrowInvalidBool(key, flag);
                }

                return flag == 1;
            case FrnnMetadataType.Int64Array:
                var longs = new long[reader.ReadCount("element count", sizeof(long))];
                for (int i = 0; i < longs.Length; i++)
                {
                    longs[i] = reader.ReadI64("element");
                }

                return Array.AsReadOnly(longs);
            case FrnnMetadataType.StringArray:
                // Each element needs at least its 4-byte length, which bounds the array before it is allocated.
                var strings = new string[reader.ReadCount("element count", sizeof(uint))];
                for (int i = 0; i < strings.Length; i++)
                {
                    strings[i] = reader.ReadString("element", allowEmpty: true);
                }

                return Array.AsReadOnly(strings);
            default:
                throw new UnreachableException($"metadata type {type} passed the known-type check");
        }
    }
}
