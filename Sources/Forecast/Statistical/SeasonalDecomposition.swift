#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Classical decomposition of a series into trend and seasonal indices (the method of R's
/// `decompose`), and the seasonality test of Hyndman & Billah's Theta (`forecast::thetaf`).
///
/// Trend: centred moving average of order m (a 2×m average for even m). Seasonal index of
/// position j = t mod m: the mean over the series of y_t / trend_t (multiplicative) or
/// y_t − trend_t (additive), normalised to mean 1 (respectively 0). Positions count from the
/// series' first row, so index `j` applies to every row t ≡ j (mod m).
public enum SeasonalDecomposition {
    public enum Kind: String, Codable, Sendable { case additive, multiplicative }

    /// The m seasonal indices of `y`; nil when `y` has fewer than two full seasons.
    public static func indices(_ y: ArraySlice<Double>, period m: Int, kind: Kind) -> [Double]? {
        var sums = Sums(period: m)
        sums.extend(y, to: y.endIndex, kind: kind)
        return sums.indices(rows: y.count, kind: kind)
    }

    /// The running sums behind ``indices(_:period:kind:)`` over a growing prefix of one series, so
    /// that the indices of every prefix cost O(m) each after one pass (the ensemble forecasts
    /// from thousands of origins of one series). The sums accumulate in the same order as a
    /// fresh computation on the prefix, so the indices are the same bit for bit.
    struct Sums {
        let m: Int
        var sums: [Double]
        var counts: [Double]
        /// The next centre t whose trend is not yet in the sums, and the running window sum.
        var t: Int
        var window = 0.0

        init(period m: Int) {
            self.m = m
            sums = [Double](repeating: 0, count: max(m, 0)); counts = sums
            t = m / 2
        }

        /// Adds every centre t whose window y[t-half ... t+half] lies in the first `end - base`
        /// values (`base` is `y.startIndex`); `y` must be the same series each call.
        mutating func extend(_ y: ArraySlice<Double>, to end: Int, kind: Kind) {
            guard m >= 2 else { return }
            let base = y.startIndex, half = m / 2, n = end - base
            // Running sum over y[t-half ... t+half] (2×m average for even m: ends weighted 1/2).
            while t < n - half {
                if t == half { for k in 0...(2 * half) { window += y[base + k] } }
                else { window += y[base + t + half] - y[base + t - half - 1] }
                let trend = (m % 2 == 0 ? window - 0.5 * (y[base + t - half] + y[base + t + half]) : window) / Double(m)
                let v = y[base + t]
                let j = t % m
                t += 1
                switch kind {
                case .multiplicative: guard trend != 0 else { continue }; sums[j] += v / trend
                case .additive: sums[j] += v - trend
                }
                counts[j] += 1
            }
        }

        /// The normalised indices of a prefix of `rows` values whose centres have been added.
        func indices(rows n: Int, kind: Kind) -> [Double]? {
            guard m >= 2, n >= 2 * m else { return nil }
            var idx = (0..<m).map { counts[$0] > 0 ? sums[$0] / counts[$0] : (kind == .multiplicative ? 1 : 0) }
            let mean = idx.reduce(0, +) / Double(m)
            switch kind {
            case .multiplicative: guard mean > 0 else { return nil }; idx = idx.map { $0 / mean }
            case .additive: idx = idx.map { $0 - mean }
            }
            return idx
        }
    }

    /// Whether `y` is seasonal with period m at the 90% level (two-sided 95% quantile on the
    /// lag-m autocorrelation r_m against Bartlett's standard error sqrt((1 + 2 Σ_{k<m} r_k²)/n)),
    /// as `forecast::thetaf` tests; false for m < 2 or fewer than 2m + 1 values.
    public static func isSeasonal(_ y: ArraySlice<Double>, period m: Int) -> Bool {
        let n = y.count
        guard m >= 2, n > 2 * m else { return false }
        let mean = y.reduce(0, +) / Double(n)
        let base = y.startIndex
        var c0 = 0.0
        for v in y { c0 += (v - mean) * (v - mean) }
        guard c0 > 0 else { return false }
        var r = [Double](repeating: 0, count: m + 1)
        for k in 1...m {
            var c = 0.0
            for t in 0..<(n - k) { c += (y[base + t] - mean) * (y[base + t + k] - mean) }
            r[k] = c / c0
        }
        var sum = 0.0
        for k in 1..<m { sum += r[k] * r[k] }
        let stat = sqrt((1 + 2 * sum) / Double(n))
        return abs(r[m]) / stat > 1.6448536269514722
    }
}
