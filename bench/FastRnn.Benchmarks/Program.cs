using BenchmarkDotNet.Running;
using FastRnn.Benchmarks;
using FastRnn.Kernels;

// Pick benchmarks on the command line, e.g. `-- --filter '*RecurrentStep*'`, `-- --list flat`, `-- --job short`.
// The kernel variant is not in BenchmarkDotNet's header, and every FastRnn figure depends on it: say it up front.
Console.WriteLine($"// FastRnn kernel: {KernelSelector.Active} (supported: {string.Join(", ", KernelSelector.Supported)})");
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchmarkConfig.Create());

/// <summary>The benchmark runner's entry point.</summary>
public partial class Program;
