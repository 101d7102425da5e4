using Microsoft.ML.OnnxRuntime;

namespace FastRnn.Benchmarks;

/// <summary>The session options of every ONNX Runtime contender, so that all of them run ONNX Runtime alike.</summary>
internal static class OnnxSessionOptions
{
    /// <summary>
    /// One inter-op thread and, unless a benchmark compares threads, one intra-op thread (the threads FastRnn is
    /// given); sequential execution and every graph optimisation: ONNX Runtime at its best on those threads.
    /// </summary>
    public static SessionOptions Create(int intraOpThreads = 1) => new()
    {
        IntraOpNumThreads = intraOpThreads,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    };
}
