using System.Buffers.Binary;

namespace FastRnn.Cli.Commands;

/// <summary>
/// A small, validated reader of RIFF/WAVE files holding 16-bit PCM: every chunk length is checked against the file
/// before it is used, so a truncated or hostile file is refused with a message naming the field, never misread.
/// </summary>
internal static class WavFile
{
    private const long MaxBytes = 1L << 31;

    /// <summary>The samples scaled to [−1, 1) (s / 32768, as Silero's own loaders do), with the sample rate and channels.</summary>
    public static (float[] Samples, int SampleRate, int Channels) Read(FileInfo file)
    {
        if (!file.Exists)
            throw CliErrors.Missing("audio", file);
        if (file.Length > MaxBytes)
            throw Bad(file, $"is {file.Length:N0} bytes; FastRnn reads WAV files up to 2 GiB");
        byte[] bytes = File.ReadAllBytes(file.FullName);
        if (bytes.Length < 12 || !bytes.AsSpan(0, 4).SequenceEqual("RIFF"u8) || !bytes.AsSpan(8, 4).SequenceEqual("WAVE"u8))
            throw Bad(file, "is not a RIFF/WAVE file (no 'RIFF' … 'WAVE' header)");
        int sampleRate = 0, channels = 0;
        bool format = false;
        int at = 12;
        while (at + 8 <= bytes.Length)
        {
            ReadOnlySpan<byte> id = bytes.AsSpan(at, 4);
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 4));
            int body = at + 8;
            if (length > bytes.Length - body)
                throw Bad(file, $"chunk '{System.Text.Encoding.ASCII.GetString(id)}' at byte {at} claims {length} bytes; {bytes.Length - body} remain (truncated?)");
            if (id.SequenceEqual("fmt "u8))
            {
                if (length < 16)
                    throw Bad(file, $"has a 'fmt ' chunk of {length} bytes; expected at least 16");
                ushort tag = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(body));
                channels = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(body + 2));
                sampleRate = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(body + 4)), int.MaxValue);
                ushort bits = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(body + 14));
                bool extensiblePcm = tag == 0xFFFE && length >= 40 && BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(body + 24)) == 1;
                if ((tag != 1 && !extensiblePcm) || bits != 16)
                    throw Bad(file, $"holds format tag {tag} with {bits} bits per sample; FastRnn reads 16-bit PCM");
                if (channels < 1)
                    throw Bad(file, "has 0 channels");
                format = true;
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (!format)
                    throw Bad(file, "has its 'data' chunk before the 'fmt ' chunk");
                int frames = (int)(length / 2 / channels);
                var samples = new float[frames * channels];
                for (int i = 0; i < samples.Length; i++)
                    samples[i] = BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(body + 2 * i)) / 32768f;
                return (samples, sampleRate, channels);
            }
            at = body + (int)length + (int)(length & 1); // chunks are padded to an even length
        }
        throw Bad(file, format ? "has no 'data' chunk" : "has no 'fmt ' chunk");
    }

    private static InvalidDataException Bad(FileInfo file, string problem) => CliErrors.BadData($"audio: {file} {problem}");
}
