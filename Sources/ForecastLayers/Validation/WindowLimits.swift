/// The largest windows and forecasts, for options and model files alike:
///
///     lookback (input steps, in-frames)           1 ... 1000000
///     horizon (output steps, out-frames)          1 ... 100000
///     recursive steps                             1 ... 100000
///     season length                               1 ... 1000000
///     minibatch                                   1 ... 65536
///
/// Memory for a (lookback × inputs × batch) workload is estimated separately against the
/// machine's memory (``MemoryBudget``).
public enum WindowLimits {
    public static let lookback = 1...1_000_000
    public static let horizon = 1...100_000
    public static let recursiveSteps = 1...100_000
    public static let season = 1...1_000_000
    public static let batch = 1...65_536
}
