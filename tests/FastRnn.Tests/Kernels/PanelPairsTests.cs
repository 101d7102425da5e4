using FastRnn.Kernels;

namespace FastRnn.Tests.Kernels;

public class PanelPairsTests
{
    // The fp32, bfloat16 and int8 products read a panel range as two streams in this order; written out here by hand:
    // forwards (0, h), (1, h + 1), …, (h - 1, 2h - 1) then a lone last panel; backwards the lone panel first, then the
    // pairs from (h - 1, 2h - 1) down to (0, h).
    public static TheoryData<int, int, bool> Ranges()
    {
        var data = new TheoryData<int, int, bool>();
        foreach (int first in new[] { 0, 5 })
        {
            foreach (int count in new[] { 1, 2, 3, 4, 7, 8, 33 })
            {
                data.Add(first, count, false);
                data.Add(first, count, true);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Ranges))]
    public void Pairs_VisitEveryPanelOnce_HalfWithHalf_LonePanelWhereTheSweepMeetsIt(int first, int count, bool reverse)
    {
        var expected = new List<(int A, int B)>();
        int half = count / 2;
        for (int i = 0; i < half; i++)
            expected.Add((first + i, first + half + i));
        if (reverse)
            expected.Reverse();
        if (count % 2 == 1)
            expected.Insert(reverse ? 0 : expected.Count, (first + count - 1, -1));

        PanelPairs pairs = new PanelSweep(first, count, reverse).Pairs;
        var actual = new List<(int A, int B)>();
        for (int v = 0; v < pairs.Count; v++)
            actual.Add(pairs[v]);

        Assert.Equal(expected, actual);
        var panels = actual.SelectMany(p => p.B < 0 ? new[] { p.A } : new[] { p.A, p.B }).Order();
        Assert.Equal(Enumerable.Range(first, count), panels);
    }
}
