/// Accumulates model or baseline errors with a per-pair MASE scale (see ``Metrics``).
///
/// A pair whose actual is missing (NaN) is counted in `missingActuals`; one whose forecast is
/// NaN or infinite in `nonFiniteForecasts`; neither is scored. With no scored pair every metric
/// is NaN, so nothing looks perfect by accident.
struct MetricsAccumulator {
    var abs = 0.0, sq = 0.0, smape = 0.0, scaled = 0.0, n = 0
    var inside = 0, intervalCount = 0
    var missingActuals = 0, nonFiniteForecasts = 0

    mutating func add(actual a: Float, forecast f: Float, scale: Double) {
        guard a.isFinite else { missingActuals += 1; return }
        guard f.isFinite else { nonFiniteForecasts += 1; return }
        let e = Double(a) - Double(f)
        abs += Swift.abs(e); sq += e * e
        let denom = Swift.abs(Double(a)) + Swift.abs(Double(f))
        smape += denom == 0 ? 0 : 200 * Swift.abs(e) / denom
        scaled += Swift.abs(e) / scale
        n += 1
    }

    mutating func addInterval(actual a: Float, lower: Float, upper: Float) {
        guard a.isFinite, lower.isFinite, upper.isFinite else { return }
        intervalCount += 1
        if a >= lower && a <= upper { inside += 1 }
    }

    func metrics(nominalCoverage: Double? = nil) -> Metrics {
        let none = n == 0
        let c = Double(max(n, 1))
        var m = Metrics(mae: none ? .nan : abs / c, rmse: none ? .nan : (sq / c).squareRoot(), smape: none ? .nan : smape / c,
                        mase: none ? .nan : scaled / c, count: n,
                        coverage: intervalCount > 0 ? Double(inside) / Double(intervalCount) : nil,
                        nominalCoverage: intervalCount > 0 ? nominalCoverage : nil)
        m.missingActuals = missingActuals
        m.nonFiniteForecasts = nonFiniteForecasts
        return m
    }
}
