/// Local scales of windows for locally scaled conformal intervals (``ConformalCalibration``):
/// per window and target, the mean absolute one-step change of the target over the window's
/// last ``ConformalCalibration/scaleRows`` input rows, in data units.
extension Forecaster {
    /// Rows a new calibration reads for each window's local scale: the whole lookback.
    var conformalScaleRows: Int { spec.window.lookback }

    /// Raw local scales `[n][P]` of windows `x [n, lookback, F]` (scaled like this model; NaN
    /// where a window has no finite pair of consecutive target values), read over `rows` rows.
    func conformalScales(_ x: [Float], windows n: Int, rows: Int) -> [[Float]] {
        let T = spec.window.lookback, F = n == 0 ? 0 : x.count / (n * T)
        let targets = spec.window.targets
        let columns = targets.map { spec.inputNames.firstIndex(of: $0) ?? 0 }
        let slopes = targets.map { t -> Float in let sc = spec.scaler.scaler(for: t); return sc.inverse(1) - sc.inverse(0) }
        return x.withUnsafeBufferPointer { xp in
            (0..<n).map { w in
                (0..<targets.count).map { p in
                    ConformalCalibration.localScale(xp.baseAddress! + w * T * F, lookback: T, features: F, column: columns[p], rows: rows, slope: slopes[p])
                }
            }
        }
    }

    /// The raw local scales of windows for this model's calibration, nil when it has none or
    /// it is not locally scaled.
    func conformalScales(_ x: [Float], windows n: Int) -> [[Float]]? {
        guard let c = conformal, c.isLocallyScaled, let rows = c.scaleRows else { return nil }
        return conformalScales(x, windows: n, rows: rows)
    }
}
