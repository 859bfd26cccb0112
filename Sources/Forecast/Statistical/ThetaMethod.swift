#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Theta method of Assimakopoulos & Nikolopoulos (2000) in the form of Hyndman & Billah
/// (2003), as R's `forecast::thetaf` computes it: simple exponential smoothing with drift equal
/// to half the slope of the linear trend, on seasonally adjusted data.
///
/// 1. When ``SeasonalDecomposition/isSeasonal(_:period:)`` says so, divide y by its classical
///    multiplicative seasonal indices (additive ones when y is not positive).
/// 2. SES: ℓ_t = α x_t + (1 − α) ℓ_{t-1}; α and ℓ_0 minimise the one-step squared errors.
/// 3. Forecast ŷ_{n+h} = ℓ_n + (b/2) ((h − 1) + (1 − (1 − α)^n) / α), b the least-squares
///    slope of x against t, then re-seasonalised.
///
/// α, ℓ_0 and the seasonality decision are fitted once (on a history that starts at row 0);
/// forecasting from a later origin recomputes the seasonal indices, the slope and the SES level
/// on the whole history up to it with the same α and ℓ_0.
public struct ThetaMethod: Codable, Sendable, Equatable {
    public var period: Int
    /// Seasonal adjustment applied (nil: none).
    public var decomposition: SeasonalDecomposition.Kind?
    public var alpha: Double
    public var level0: Double

    /// The deseasonalised history and the seasonal indices used (nil without adjustment).
    func adjusted(_ y: ArraySlice<Double>) -> (x: [Double], indices: [Double]?) {
        adjusted(y, indices: decomposition.flatMap { SeasonalDecomposition.indices(y, period: period, kind: $0) })
    }

    /// `y` divided by (or less) the given seasonal indices.
    func adjusted(_ y: ArraySlice<Double>, indices: [Double]?) -> (x: [Double], indices: [Double]?) {
        guard let kind = decomposition, let idx = indices else { return (Array(y), nil) }
        let x = y.enumerated().map { t, v in kind == .multiplicative ? v / idx[t % period] : v - idx[t % period] }
        return (x, idx)
    }

    static func sesSSE(_ x: [Double], alpha: Double, level0: Double) -> (sse: Double, level: Double) {
        var l = level0, sse = 0.0
        for v in x { let e = v - l; sse += e * e; l += alpha * e }
        return (sse, l)
    }

    /// The `horizon`-step forecast after `history`.
    public func forecast(history y: ArraySlice<Double>, horizon: Int) -> [Double] {
        forecast(history: y, indices: decomposition.flatMap { SeasonalDecomposition.indices(y, period: period, kind: $0) }, horizon: horizon)
    }

    /// The forecasts after `history[history.startIndex...e]` for every `e` of `ends` (indices of
    /// `history`, any order), in the order of `ends`: bit for bit what
    /// ``forecast(history:horizon:)`` gives for each prefix. The seasonal indices of each prefix
    /// come from running sums (one pass); the level and slope are still recomputed per origin,
    /// since they depend on the indices.
    public func forecasts(history: ArraySlice<Double>, ends: [Int], horizon: Int) -> [[Double]] {
        var out = [[Double]](repeating: [], count: ends.count)
        let order = ends.indices.sorted { ends[$0] < ends[$1] }
        var sums = SeasonalDecomposition.Sums(period: period)
        for i in order {
            let prefix = history[history.startIndex...min(ends[i], history.endIndex - 1)]
            var idx: [Double]? = nil
            if let kind = decomposition {
                sums.extend(history, to: prefix.endIndex, kind: kind)
                idx = sums.indices(rows: prefix.count, kind: kind)
            }
            out[i] = forecast(history: prefix, indices: idx, horizon: horizon)
        }
        return out
    }

    /// The forecast after `y` with the seasonal indices of `y` (nil: no adjustment).
    func forecast(history y: ArraySlice<Double>, indices: [Double]?, horizon: Int) -> [Double] {
        let n = y.count
        guard n > 0 else { return [Double](repeating: .nan, count: horizon) }
        let (x, idx) = adjusted(y, indices: indices)
        let level = ThetaMethod.sesSSE(x, alpha: alpha, level0: level0).level
        // Least-squares slope of x on t = 0..n-1.
        let tMean = Double(n - 1) / 2, xMean = x.reduce(0, +) / Double(n)
        var sxy = 0.0, sxx = 0.0
        for (t, v) in x.enumerated() { let dt = Double(t) - tMean; sxy += dt * (v - xMean); sxx += dt * dt }
        let b = sxx > 0 ? sxy / sxx : 0
        let a = max(alpha, 1e-10)
        let tail = (1 - pow(1 - a, Double(n))) / a
        return (0..<horizon).map { h in
            let f = level + b / 2 * (Double(h) + tail)
            guard let idx, let kind = decomposition else { return f }
            let j = (n + h) % period
            return kind == .multiplicative ? f * idx[j] : f + idx[j]
        }
    }

    /// Fits α and ℓ_0 (and the seasonality decision) to `y`. Needs at least 3 values.
    public static func fit(_ y: [Double], season m: Int) -> ThetaMethod? {
        guard y.count >= 3 else { return nil }
        var model = ThetaMethod(period: max(1, m), decomposition: nil, alpha: 0.5, level0: y[0])
        if m >= 2, SeasonalDecomposition.isSeasonal(y[...], period: m) {
            model.decomposition = y.allSatisfy({ $0 > 0 }) ? .multiplicative : .additive
        }
        let x = model.adjusted(y[...]).x
        let scale = max(1e-9, x.map { abs($0) }.reduce(0, +) / Double(x.count))
        let (z, _) = NelderMead.minimize({ z in
            sesSSE(x, alpha: NelderMead.bounded(z[0], 1e-4, 0.9999), level0: x[0] + z[1] * scale).sse
        }, start: [NelderMead.unbounded(0.5, 1e-4, 0.9999), 0], step: [1, 0.1], maxEvaluations: 400)
        model.alpha = NelderMead.bounded(z[0], 1e-4, 0.9999)
        model.level0 = x[0] + z[1] * scale
        return model
    }
}
