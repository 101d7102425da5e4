using System.Text;

namespace FastRnn.Tests.Format;

/// <summary>Byte positions of one tensor table entry's fields in a raw .frnn file (see <see cref="FrnnBytes"/>).</summary>
internal readonly record struct TensorEntry(string Name, int NameAt, int DTypeAt, int RankAt, int DimsAt, int OffsetAt, int ByteLengthAt, int End)
{
    public static TensorEntry At(byte[] file, int position)
    {
        int nameLength = (int)FrnnBytes.U32(file, position);
        int nameAt = position + 4;
        int dtypeAt = nameAt + nameLength;
        int rankAt = dtypeAt + 1;
        int dimsAt = rankAt + 1;
        int offsetAt = dimsAt + (8 * file[rankAt]);
        return new TensorEntry(
            Encoding.UTF8.GetString(file, nameAt, nameLength), nameAt, dtypeAt, rankAt, dimsAt, offsetAt, offsetAt + 8, offsetAt + 16);
    }
}
