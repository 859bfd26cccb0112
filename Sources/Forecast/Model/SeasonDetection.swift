/// Finds the seasonal period of a series with no time axis (row-order files such as
/// elecdemand, whose rows are half-hours): the autocorrelation of the first differences
/// peaks at the period (48 for half-hourly data with a daily cycle).
///
/// Among the local maxima of the ACF at lags 2...maxLag with ACF ≥ 0.2, the smallest lag whose
/// ACF is at least 80% of the highest peak wins (the daily cycle over the weekly one).
public enum SeasonDetection {
    public static func detect(_ values: ArraySlice<Float>, maxLag: Int = 400) -> Int? {
        let x = values.filter(\.isFinite)
        guard x.count >= 16 else { return nil }
        var d = [Double](repeating: 0, count: x.count - 1)
        for i in 1..<x.count { d[i - 1] = Double(x[i]) - Double(x[i - 1]) }
        let mean = d.reduce(0, +) / Double(d.count)
        for i in d.indices { d[i] -= mean }
        let variance = d.reduce(0) { $0 + $1 * $1 }
        guard variance > 0 else { return nil }
        let L = min(maxLag, d.count / 3)
        guard L >= 3 else { return nil }
        var acf = [Double](repeating: 0, count: L + 2)
        for lag in 1...(L + 1) {
            var s = 0.0
            for i in 0..<(d.count - lag) { s += d[i] * d[i + lag] }
            acf[lag] = s / variance
        }
        var peaks: [(lag: Int, value: Double)] = []
        for lag in 2...L where acf[lag] >= 0.2 && acf[lag] > acf[lag - 1] && acf[lag] >= acf[lag + 1] {
            peaks.append((lag, acf[lag]))
        }
        guard let best = peaks.max(by: { $0.value < $1.value }) else { return nil }
        return peaks.first { $0.value >= 0.8 * best.value }?.lag
    }
}
