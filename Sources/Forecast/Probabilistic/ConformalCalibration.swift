/// Split conformal intervals for a point forecaster: the absolute residuals `|y − ŷ|` of the
/// validation windows (never trained on, and before the test split), kept per forecast element
/// (horizon step × target) in data units.
///
/// The central interval of level L for element m is `ŷ ± r_(k)`, the k-th smallest residual
/// with k = ⌈(n + 1) L⌉ (n residuals): under exchangeability it covers with probability ≥ L.
/// The quantile at level τ is `ŷ + sign(τ − ½) · r_(k)` for L = |2τ − 1|, so the intervals of
/// every level nest and one calibration gives the whole quantile grid.
///
/// When an element has fewer than ``minimumPerStep`` residuals (short series: a few validation
/// windows), the residuals of all steps of that target are pooled instead, and `pooled` says so.
/// When k exceeds n the largest residual is used (the interval is then the widest the data
/// supports, and may under-cover by at most 1/(n+1)).
public struct ConformalCalibration: Codable, Sendable, Equatable {
    /// Sorted absolute residuals per element `[steps × P]` (step-major, as the head's blocks).
    public var residuals: [[Float]]
    /// Validation windows the residuals came from.
    public var windows: Int
    /// Whether the residuals of each target were pooled over its steps.
    public var pooled: Bool

    /// Residuals per element below which the steps are pooled: with 19 residuals a 95% interval
    /// is a proper order statistic (⌈20 × 0.95⌉ = 19).
    public static let minimumPerStep = 19

    /// Calibrates from validation forecasts and actuals, both `[N][steps × P]` in data units
    /// (NaN actuals skipped).
    public init(forecasts: [[Float]], actuals: [[Float]], targets P: Int) {
        let M = forecasts.first?.count ?? 0
        var r = [[Float]](repeating: [], count: M)
        for (f, a) in zip(forecasts, actuals) {
            for m in 0..<min(M, f.count, a.count) where a[m].isFinite && f[m].isFinite { r[m].append(abs(a[m] - f[m])) }
        }
        windows = forecasts.count
        pooled = r.contains { $0.count < ConformalCalibration.minimumPerStep }
        if pooled {
            for p in 0..<max(P, 1) {
                let all = stride(from: p, to: M, by: max(P, 1)).flatMap { r[$0] }
                for m in stride(from: p, to: M, by: max(P, 1)) { r[m] = all }
            }
        }
        residuals = r.map { $0.sorted() }
    }

    /// Half-width of the central interval of `level` (0 ≤ level < 1) for element `m`; NaN
    /// without residuals.
    public func halfWidth(element m: Int, level: Double) -> Float {
        let r = residuals[m]
        guard !r.isEmpty else { return .nan }
        let k = Int((Double(r.count + 1) * level - 1e-9).rounded(.up))   // tolerance: 0.8 from a Float is 0.800000012
        return r[min(max(k, 1), r.count) - 1]
    }

    /// The quantile at level τ of element `m` around the point forecast `point`.
    public func quantile(point: Float, element m: Int, level tau: Float) -> Float {
        if abs(tau - 0.5) < 1e-6 { return point }
        let w = halfWidth(element: m, level: (Double(abs(2 * tau - 1)) * 1e6).rounded() / 1e6)
        return tau > 0.5 ? point + w : point - w
    }
}
