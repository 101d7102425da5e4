namespace FastRnn.Graph;

/// <summary>
/// Recurrent state a graph carries from call to call: after each run the output <paramref name="Output"/> is copied
/// into the input <paramref name="Input"/>, so the next run continues where this one stopped (Silero VAD's
/// <c>stateN</c> feeding <c>state</c>).
/// </summary>
/// <param name="Input">The graph input that receives the state.</param>
/// <param name="Output">The graph output that produces it; same element type and shape.</param>
public sealed record GraphStatePair(string Input, string Output);
