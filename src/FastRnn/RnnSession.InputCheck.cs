using FastRnn.Runtime;

namespace FastRnn;

public sealed partial class RnnSession
{
    // Set once, right after construction, for sessions created with RnnSessionOptions.ValidateInputs; null otherwise,
    // so an unchecked session pays one null test per call.
    private FiniteInputCheck? _inputCheck;

    internal void CheckInputs() => _inputCheck = new FiniteInputCheck(BatchSize, _config.InputSize);
}
