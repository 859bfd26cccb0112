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
        let m = max(1, m)
        let point = Baseline.seasonalNaive.forecast(history: history, horizon: horizon, season: m)
        let source = residualHistory ?? history
        var cache: [Int: [Float]] = [:]
        return (0..<horizon).map { i in
            let lag = m * ((i + 1 + m - 1) / m)
            let r: [Float]
            if let c = cache[lag] { r = c } else {
                var v: [Float] = []
                var t = source.startIndex + lag
                while t < source.endIndex {
                    let d = source[t] - source[t - lag]
                    if d.isFinite { v.append(d) }
                    t += 1
                }
                v.sort()
                cache[lag] = v
                r = v
            }
            return levels.map { point[i] + QuantileLevels.empirical(sorted: r, $0) }
        }
    }
}
