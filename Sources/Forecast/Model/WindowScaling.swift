import Foundation

/// Per-window scaling of the target columns from each window's own inputs (never its horizon),
/// applied to the window's target inputs and targets and inverted on its forecasts:
/// NeuralForecast's `robust` temporal scaler, which its recurrent models use by default.
///
/// For window w and target column p, with `v = x[w, 0..<T, p]` (in model units, after any
/// per-series scaling and the column scaler):
///
///     centre = median(v)                     (the lower middle value for even T, as
///                                             torch.nanmedian, which NeuralForecast uses)
///     mad    = median(|v - centre|)          (likewise)
///     scale  = mad, or 0.6745 * std(v) when mad = 0 (population std), or 1 when that is 0
///              too; plus eps = 1e-6
///
///     x'[w, t, p] = (x[w, t, p] - centre) / scale      inputs      [N, T, F], columns p < P
///     y'[w, s, p] = (y[w, s, p] - centre) / scale      targets     [N, steps * P], step-major
///     forecast    = out * scale + centre               every output block (points, quantiles)
///
/// Statistics are computed in Double from the Float inputs and stored as Float. A window's
/// median and spread follow its own level, so a series that grows or shrinks looks the same to
/// the network throughout; on intermittent counts (at least half zeros) the centre is 0 and
/// the scale 0.6745 × the window's standard deviation. Exclusive with ``LevelNormalization`` (both
/// re-centre each window).
public enum WindowScaling: String, Codable, Sendable, CaseIterable {
    /// Median centre, median-absolute-deviation scale (see the type's description).
    case robust

    /// Added to every scale (NeuralForecast's `eps`).
    public static let eps: Float = 1e-6

    /// The normal distribution's MAD over its standard deviation, Φ⁻¹(3/4).
    static let madPerStd = 0.6744897501960817

    /// Centres and scales `[N, P]` of windows `x [N, T, F]` (targets are the first P inputs).
    public func statistics(x: UnsafePointer<Float>, windows n: Int, lookback T: Int, features F: Int, targets P: Int) -> (centre: [Float], scale: [Float]) {
        var centre = [Float](repeating: 0, count: n * P), scale = [Float](repeating: 1, count: n * P)
        var v = [Double](repeating: 0, count: T), d = [Double](repeating: 0, count: T)
        for w in 0..<n {
            for p in 0..<P {
                for t in 0..<T { v[t] = Double(x[(w * T + t) * F + p]) }
                let c = Self.median(&v)
                for t in 0..<T { d[t] = abs(v[t] - c) }
                var s = Self.median(&d)
                if s == 0 {
                    let mean = v.reduce(0, +) / Double(T)
                    s = Self.madPerStd * (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(T)).squareRoot()
                }
                if s == 0 { s = 1 }
                centre[w * P + p] = Float(c)
                scale[w * P + p] = Float(s) + Self.eps
            }
        }
        return (centre, scale)
    }

    /// Median of `v`: its ⌊(n-1)/2⌋-th smallest value (the lower of the two middle values for an
    /// even count, torch's convention), 0 for none; sorts `v`.
    static func median(_ v: inout [Double]) -> Double {
        v.sort()
        return v.isEmpty ? 0 : v[(v.count - 1) / 2]
    }

    /// Scales the target columns of `x [N, T, F]` in place.
    public static func normalizeInputs(_ x: UnsafeMutablePointer<Float>, centre: [Float], scale: [Float], windows n: Int, lookback T: Int, features F: Int, targets P: Int) {
        for w in 0..<n { for t in 0..<T { for p in 0..<P {
            let i = (w * T + t) * F + p
            x[i] = (x[i] - centre[w * P + p]) / scale[w * P + p]
        } } }
    }

    /// Scales targets `[N, stepsTimesP]` (step-major `[steps, P]`) in place.
    public static func normalizeTargets(_ y: UnsafeMutablePointer<Float>, centre: [Float], scale: [Float], windows n: Int, stepsTimesP: Int, targets P: Int) {
        for w in 0..<n { for i in 0..<stepsTimesP {
            let k = w * P + i % P
            y[w * stepsTimesP + i] = (y[w * stepsTimesP + i] - centre[k]) / scale[k]
        } }
    }

    /// Inverts the scaling on outputs `[N, blocks, steps, P]` (every block in target units:
    /// point forecasts or quantiles).
    public static func denormalize(_ y: UnsafeMutablePointer<Float>, centre: [Float], scale: [Float], windows n: Int, stepsTimesP: Int, targets P: Int, blocks: Int) {
        let width = blocks * stepsTimesP
        for w in 0..<n { for b in 0..<blocks { for i in 0..<stepsTimesP {
            let k = w * P + i % P, j = w * width + b * stepsTimesP + i
            y[j] = y[j] * scale[k] + centre[k]
        } } }
    }
}
