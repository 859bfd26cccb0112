/// The reference distribution every probabilistic forecast is compared with: seasonal naive
/// with empirical residual quantiles (statsforecast's "empirical" intervals for a naive model).
///
/// For forecast step h (1-based) the point forecast is the value k = ⌈h/m⌉ seasons back,
/// `ŷ_{T+h} = y_{T+h−km}`; its h-step residuals over the history are `r_t = y_t − y_{t−km}`,
/// and the quantile at level τ is `ŷ_{T+h} + Q_τ(r)` (empirical quantile, type 7).
public enum SeasonalNaiveIntervals {
    /// Quantiles `[horizon][K]` at `levels` for the `horizon` steps after `history`;
    /// `residualHistory` (default: `history`) is where the residuals come from (the training
    /// rows in `evaluate`, so the reference never sees the test split). NaN where the history
    /// is too short.
    public static func quantiles(history: ArraySlice<Float>, residualHistory: ArraySlice<Float>? = nil, horizon: Int, season m: Int,
                                 levels: [Float]) -> [[Float]] {
        quantiles(history: history, residuals: Residuals(residualHistory ?? history, horizon: horizon, season: m),
                  horizon: horizon, season: m, levels: levels)
    }

    /// The same with the residuals already sorted (``Residuals``): scoring many windows of one
    /// series against one residual history sorts them once instead of once per window.
    public static func quantiles(history: ArraySlice<Float>, residuals: Residuals, horizon: Int, season m: Int,
                                 levels: [Float]) -> [[Float]] {
        let m = max(1, m)
        let point = Baseline.seasonalNaive.forecast(history: history, horizon: horizon, season: m)
        return (0..<horizon).map { i in
            let r = residuals.sorted(lag: Residuals.lag(step: i, season: m))
            return levels.map { point[i] + QuantileLevels.empirical(sorted: r, $0) }
        }
    }

    /// The finite h-step residuals `r_t = y_t − y_{t−km}` of one history, sorted ascending,
    /// for every lag km that `horizon` steps need (k = 1…⌈horizon/m⌉).
    public struct Residuals: Sendable {
        private var byLag: [Int: [Float]] = [:]

        /// The lag of forecast step `step` (0-based): ⌈(step+1)/m⌉ seasons.
        static func lag(step: Int, season m: Int) -> Int { m * ((step + 1 + m - 1) / m) }

        public init(_ source: ArraySlice<Float>, horizon: Int, season m: Int) {
            let m = max(1, m)
            for i in 0..<horizon {
                let lag = Residuals.lag(step: i, season: m)
                if byLag[lag] != nil { continue }
                var v: [Float] = []
                var t = source.startIndex + lag
                while t < source.endIndex {
                    let d = source[t] - source[t - lag]
                    if d.isFinite { v.append(d) }
                    t += 1
                }
                v.sort()
                byLag[lag] = v
            }
        }

        /// The sorted residuals at `lag` (empty when the history is shorter than the lag).
        func sorted(lag: Int) -> [Float] { byLag[lag] ?? [] }
    }
}
