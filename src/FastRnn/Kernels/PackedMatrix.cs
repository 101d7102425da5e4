using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastRnn.Format;
using FastRnn.Runtime;

namespace FastRnn.Kernels;

/// <summary>
/// A weight matrix repacked at load time into the layout the matrix–vector kernels stream through.
/// </summary>
/// <remarks>
/// The rows are cut into panels of <see cref="PanelRows"/> (32) consecutive rows; a panel stores its columns one after
/// another, and each column holds the panel's 32 row values contiguously:
/// <c>data[(p * Cols + k) * 32 + r] = W[p * 32 + r, k]</c>, rows past <see cref="Rows"/> are zero.
/// Why: a panel times a vector is then a single forward stream over memory in which every load feeds a
/// vertical FMA against one broadcast element of x — no horizontal sums, no gathers, and the same layout serves
/// 128-, 256- and 512-bit vectors (8, 4 or 2 vectors per column).
/// <para>A float32 pair [A | B] (<see cref="FromRowMajorPair"/>, a cell's [W_ih | W_hh]) is stored as two such
/// matrices one after the other in one buffer, <see cref="First"/> and <see cref="Second"/>, so that each is one
/// contiguous stream: a sequence's recurrence reads W_hh alone at every step, and as the second half of every panel
/// of [W_ih | W_hh] it would use only half the cache sets (measured on Zen 5: 3–13 % of an LSTM Run per step). A
/// product with the pair runs each panel of both halves into the same accumulators (one pass, as one matrix).</para>
/// </remarks>
internal sealed partial class PackedMatrix
{
    /// <summary>Rows per panel; every vector width we target divides it.</summary>
    public const int PanelRows = 32;

    private readonly AlignedBuffer _data;
    private readonly int _panelStride; // floats from one panel to the next: the stored column count × 32
    private readonly int _offset;      // floats from a panel's start to this view's first column
    private readonly PackedMatrix? _first, _second; // a pair's two halves (views of _data); null for one matrix

    private PackedMatrix(int rows, int cols, AlignedBuffer data, int panelStride, int offset)
    {
        Rows = rows;
        Cols = cols;
        _data = data;
        _panelStride = panelStride;
        _offset = offset;
        WeightBytes = (long)sizeof(float) * PanelCount * PanelRows * cols;
        Kernels = KernelSelector.KernelsForWeights((long)rows * cols * sizeof(float));
        BlockKernels = KernelSelector.Default;
    }

    // A pair over the halves' shared buffer.
    private PackedMatrix(PackedMatrix first, PackedMatrix second)
    {
        Rows = first.Rows;
        Cols = first.Cols + second.Cols;
        _data = first._data;
        _first = first;
        _second = second;
        WeightBytes = first.WeightBytes + second.WeightBytes;
        Kernels = KernelSelector.KernelsForWeights((long)Rows * Cols * sizeof(float));
        BlockKernels = KernelSelector.Default;
    }

    /// <summary>Columns [0, <see cref="First"/>.Cols) of a float32 pair, stored contiguously; null for a single matrix.</summary>
    public PackedMatrix? First => _first;

    /// <summary>The pair's remaining columns, stored contiguously after <see cref="First"/>; null for a single matrix.</summary>
    public PackedMatrix? Second => _second;

    /// <summary>The kernels of this matrix's products with one vector, chosen once from its size when it is packed.</summary>
    public KernelSet Kernels { get; }

    /// <summary>
    /// The kernels of its products with several vectors: always the widest variant. The streamed-weights rule of
    /// <see cref="KernelSelector.ForWeights"/> is about a product bound by reading the weights once; a register-tiled
    /// product reuses every weight load for several rows and is bound by FMAs, where 512-bit vectors do twice the work
    /// (measured on Zen 5: a batch-16 LSTM 1024 step took 5.2 ms with the AVX2 GEMM).
    /// </summary>
    public KernelSet BlockKernels { get; }

    /// <summary>The kernels for a product with <paramref name="count"/> vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public KernelSet KernelsFor(int count) => count == 1 ? Kernels : BlockKernels;

    /// <summary>
    /// y_n = (accumulate ? y_n : 0) + bias + W · x_n for <paramref name="count"/> vectors (see <see cref="KernelSet.Multiply"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Multiply(ReadOnlySpan<float> x, int xStride, Span<float> y, int yStride, int count, ReadOnlySpan<float> bias, bool accumulate)
        => KernelsFor(count).Multiply(this, x, xStride, y, yStride, count, bias, accumulate);

    /// <summary>Logical row count (outputs of the product).</summary>
    public int Rows { get; }

    /// <summary>Column count (length of the vector it multiplies).</summary>
    public int Cols { get; }

    /// <summary>Number of 32-row panels, the last one zero-padded.</summary>
    public int PanelCount => (Rows + PanelRows - 1) / PanelRows;

    /// <summary>The Cols × 32 floats of panel <paramref name="panel"/> (column-major within the panel); a pair's panels are its halves'.</summary>
    public ReadOnlySpan<float> Panel(int panel)
    {
        if (_first is not null)
            throw new InvalidOperationException("a pair stores its panels in its two halves: read First.Panel and Second.Panel");
        return _data.Span.Slice(panel * _panelStride + _offset, Cols * PanelRows);
    }

    /// <summary>Reference to the first float of panel <paramref name="panel"/> (not of a pair: its kernels go through the halves).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref float PanelRef(int panel)
    {
        Debug.Assert(_first is null, "a pair's panels are its halves'");
        return ref Unsafe.Add(ref _data.Reference, (nint)panel * _panelStride + _offset);
    }

    /// <summary>
    /// Columns [start, start + count) as a matrix of their own, sharing this one's memory: inside a panel the columns
    /// are stored one after another, so a column range of every panel is again contiguous.
    /// </summary>
    public PackedMatrix Columns(int start, int count)
    {
        if (start < 0 || count <= 0 || start + count > Cols)
            throw new ArgumentOutOfRangeException(nameof(start), $"columns [{start}, {start + count}) are outside 0..{Cols}");
        if (Element != WeightElement.Float32)
            return QuantizedColumns(start, count);
        if (_first is not null)
        {
            if (start + count <= _first.Cols)
                return _first.Columns(start, count);
            if (start >= _first.Cols)
                return _second!.Columns(start - _first.Cols, count);
            throw new ArgumentOutOfRangeException(nameof(start), $"columns [{start}, {start + count}) span both halves of a pair ({_first.Cols} | {_second!.Cols}); take them from each half");
        }
        return new PackedMatrix(Rows, count, _data, _panelStride, _offset + start * PanelRows);
    }

    /// <summary>
    /// Packs [A | B] — row-major (rows, colsA) and (rows, colsB) side by side — as one (rows, colsA + colsB) matrix, so
    /// one pass can multiply it with [a ; b] while <see cref="Columns"/> still gives A and B alone: A's panels, then
    /// B's, each half contiguous (<see cref="First"/>, <see cref="Second"/>).
    /// </summary>
    public static PackedMatrix FromRowMajorPair(ReadOnlySpan<float> a, int colsA, ReadOnlySpan<float> b, int colsB, int rows,
        bool? streamStores = null, SourceChecksum? checksumA = null, SourceChecksum? checksumB = null, int threads = 1)
    {
        if (a.Length != (long)rows * colsA || b.Length != (long)rows * colsB)
            throw new ArgumentException($"matrix data has {a.Length} and {b.Length} elements; expected ({rows}, {colsA}) and ({rows}, {colsB})");
        if (rows <= 0 || colsA <= 0 || colsB <= 0)
            throw new ArgumentOutOfRangeException(nameof(rows), $"a packed pair needs positive dimensions, got ({rows}, {colsA} | {colsB})");
        int panels = (rows + PanelRows - 1) / PanelRows;
        int firstFloats = checked(panels * colsA * PanelRows);
        var buffer = new AlignedBuffer(checked(firstFloats + panels * colsB * PanelRows));
        Span<float> first = buffer.Span[..firstFloats], second = buffer.Span[firstFloats..];
        ClearPadding(first, rows, colsA);
        ClearPadding(second, rows, colsB);
        bool stream = streamStores ?? StreamsStores(buffer.Length);
        PackColumns(a, rows, colsA, first, colsA, 0, stream, checksumA, threads);
        PackColumns(b, rows, colsB, second, colsB, 0, stream, checksumB, threads);
        return new PackedMatrix(
            new PackedMatrix(rows, colsA, buffer, colsA * PanelRows, 0),
            new PackedMatrix(rows, colsB, buffer, colsB * PanelRows, firstFloats));
    }

    /// <summary>Packs a row-major (rows, cols) matrix.</summary>
    public static PackedMatrix FromRowMajor(ReadOnlySpan<float> source, int rows, int cols, bool? streamStores = null, SourceChecksum? checksum = null, int threads = 1)
    {
        if (rows <= 0 || cols <= 0)
            throw new ArgumentOutOfRangeException(nameof(rows), $"a packed matrix needs positive dimensions, got ({rows}, {cols})");
        long expected = (long)rows * cols;
        if (source.Length != expected)
            throw new ArgumentException($"matrix data has {source.Length} elements; expected rows * cols = {rows} * {cols} = {expected}", nameof(source));

        int panels = (rows + PanelRows - 1) / PanelRows;
        var buffer = new AlignedBuffer(checked(panels * cols * PanelRows));
        ClearPadding(buffer.Span, rows, cols);
        PackColumns(source, rows, cols, buffer.Span, cols, 0, streamStores ?? StreamsStores(buffer.Length), checksum, threads);
        return new PackedMatrix(rows, cols, buffer, cols * PanelRows, 0);
    }

    /// <summary>
    /// Whether packing a buffer of <paramref name="floats"/> writes it with streaming stores: when its products stream
    /// the weights from memory (<see cref="KernelSelector.StreamsFromMemory"/>), the packed copy would not stay in the
    /// cache, and a normal store first reads every line it writes (packing a 32 MiB LSTM: about 1 ms of its 4).
    /// </summary>
    private static bool StreamsStores(int floats) => KernelSelector.StreamsFromMemory((long)floats * sizeof(float));

    // The buffer is not zeroed when allocated: only a partial last panel has lanes no row writes, and they must be 0.
    internal static void ClearPadding<T>(Span<T> packed, int rows, int cols)
    {
        if (rows % PanelRows != 0)
            packed.Slice(rows / PanelRows * cols * PanelRows, cols * PanelRows).Clear();
    }

    /// <summary>Value of W[row, col], read back from the packed layout (for tests and diagnostics).</summary>
    public float this[int row, int col]
    {
        get
        {
            if ((uint)row >= (uint)Rows || (uint)col >= (uint)Cols)
                throw new ArgumentOutOfRangeException(nameof(row), $"({row}, {col}) is outside ({Rows}, {Cols})");
            if (Element != WeightElement.Float32)
                return QuantizedValue(row, col);
            if (_first is not null)
                return col < _first.Cols ? _first[row, col] : _second![row, col - _first.Cols];
            return Panel(row / PanelRows)[col * PanelRows + row % PanelRows];
        }
    }
}
