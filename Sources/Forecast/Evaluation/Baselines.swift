/// The classical baselines every forecast is compared with, computed from the raw history up to
/// a forecast origin (`history` ends with the last observed value):
///
/// - naive: the last value, repeated;
/// - seasonal naive: the value one season before each target step, `y[T + h - m⌈h/m⌉]`;
/// - drift: the last value plus h times the average step over the history,
///   `y_T + h (y_T - y_1) / (T - 1)`.
public enum Baseline: String, CaseIterable, Sendable {
    case naive, seasonalNaive = "seasonal_naive", drift

    /// Forecasts `horizon` steps after the end of `history` (NaN when the history is too short).
    public func forecast(history: ArraySlice<Float>, horizon: Int, season m: Int) -> [Float] {
        guard let last = history.last else { return [Float](repeating: .nan, count: horizon) }
        switch self {
        case .naive:
            return [Float](repeating: last, count: horizon)
        case .seasonalNaive:
            let m = max(1, m)
            return (1...max(horizon, 1)).prefix(horizon).map { h in
                let back = m * ((h + m - 1) / m) - h      // steps before the last value
                let i = history.endIndex - 1 - back
                return i >= history.startIndex ? history[i] : .nan
            }
        case .drift:
            let n = history.count
            let slope = n > 1 ? (last - history[history.startIndex]) / Float(n - 1) : 0
            return (1...max(horizon, 1)).prefix(horizon).map { last + Float($0) * slope }
        }
    }
}
