/// Split conformal intervals for a point forecaster, from the residuals of the validation
/// windows (never trained on, and before the test split), kept per forecast element (horizon
/// step × target).
///
/// **Scores.** With a local scale (``scaleRows`` set, the default of new models) the
/// nonconformity score of a window is its normalised absolute residual `|y − ŷ| / s`, where s is
/// the mean absolute one-step change of the target over the window's last ``scaleRows`` input
/// rows (data units; a floor of a tenth of the calibration windows' median s keeps a flat
/// lookback from giving a zero-width interval). Without one (model files written before it) s = 1
/// and the score is the plain absolute residual. s is a function of the window's inputs only, so
/// the scores of exchangeable windows stay exchangeable and the guarantee below holds unchanged
/// (normalised conformal prediction, Papadopoulos et al. 2008; Lei et al. 2018): the interval
/// only gets wider where the recent series moves more and narrower where it is calm.
///
/// **Intervals.** The central interval of level L for element m is `ŷ ± s · r_(k)`, r_(k) the
/// k-th smallest of n scores with k = ⌈(n + 1) L⌉: under exchangeability it covers with
/// probability ≥ L. The quantile at level τ is `ŷ + sign(τ − ½) · s · r_(k)` for L = |2τ − 1|, so
/// the intervals of every level nest and one calibration gives the whole quantile grid.
///
/// When an element has fewer than ``minimumPerStep`` scores (short series: a few validation
/// windows), the scores of all steps of that target are pooled instead, and `pooled` says so.
/// When k exceeds n the largest score is used (the interval is then the widest the data
/// supports, and may under-cover by at most 1/(n+1)).
///
/// **The rolling rule** (``ConformalRule/rolling``, new models; ``stepScales`` and
/// ``interpolated`` set). Pooling divides each element's scores by ``stepScales`` `σ_m`, the
/// model's mean score at that step over training windows (in-sample, so optimistic, but fixed
/// before the calibration residuals are read: it only sets the shape of the widths over the
/// steps, the conformal quantile sets their level), and a quantile at level L interpolates the
/// sorted scores at position p = (n + 1) L: `r_(⌊p⌋) + (p − ⌊p⌋)(r_(⌊p⌋+1) − r_(⌊p⌋))`, p
/// clamped to [1, n]. It lies between r_(⌊p⌋) and r_(⌈p⌉), so under exchangeability it covers
/// with probability ≥ ⌊(n + 1) L⌋ / (n + 1) > L − 1/(n + 1) (a little less than the order
/// statistic's ≥ L, in exchange for widths that move smoothly with L and n).
public struct ConformalCalibration: Codable, Sendable, Equatable {
    /// Sorted scores per element `[steps × P]` (step-major, as the head's blocks): absolute
    /// residuals divided by the window's local scale (by 1 without ``scaleRows``).
    public var residuals: [[Float]]
    /// Validation windows the residuals came from.
    public var windows: Int
    /// Whether the residuals of each target were pooled over its steps.
    public var pooled: Bool
    /// Input rows whose mean absolute one-step change is a window's local scale; nil: none
    /// (plain absolute residuals, as model files written before local scaling).
    public var scaleRows: Int?
    /// Per target: the smallest local scale used (data units), a tenth of the calibration
    /// windows' median.
    public var scaleFloor: [Float]?
    /// Whether the scores are signed, `(y − ŷ) / s`, each tail of an interval taken from its
    /// own order statistic (nil or false: absolute scores, symmetric intervals).
    public var signed: Bool?
    /// Per element `[steps × P]`: the in-sample mean score the pooled scores of that element
    /// were divided by (``ConformalRule/rolling`` when pooled); quantiles multiply it back.
    /// nil: pooled raw, or not pooled.
    public var stepScales: [Float]?
    /// Whether quantiles interpolate between order statistics at position (n + 1) L
    /// (``ConformalRule/rolling``); nil or false: the ⌈(n + 1) L⌉-th order statistic.
    public var interpolated: Bool?
    /// ``ConformalRule/cross``: how many refits at earlier origins (``ConformalFolds``) added
    /// their held-out residuals to the trained model's rolling ones (0: the series were too
    /// short for any). nil: no refits (``ConformalRule/rolling`` or ``ConformalRule/windows``,
    /// and every model file written before the rule).
    public var folds: Int? = nil
    /// ``ConformalRule/cross``: per refit tried, its error on the model's validation rows over
    /// the model's (``ConformalResiduals/errorRatio(_:model:)``); those above
    /// ``ConformalFolds/admissibleErrorRatio`` were left out of ``folds``. nil without refits.
    public var foldErrorRatios: [Float]? = nil

    /// Training windows' forecasts and actuals `[N][steps × P]` (data units) and raw local
    /// scales `[N][P]` (nil without local scaling): the in-sample scores that set
    /// ``stepScales``.
    public typealias InSample = (forecasts: [[Float]], actuals: [[Float]], scales: [[Float]]?)

    /// Residuals per element below which the steps are pooled: with 19 residuals a 95% interval
    /// is a proper order statistic (⌈20 × 0.95⌉ = 19).
    public static let minimumPerStep = 19
    /// The same for signed scores, whose 95% interval needs the ⌈(n+1) 0.975⌉-th of n: 39.
    public static let minimumPerStepSigned = 39

    /// Share of the calibration windows' median local scale below which a scale is floored.
    public static let floorShare: Float = 0.1

    /// Calibrates from validation forecasts and actuals, both `[N][steps × P]` in data units
    /// (NaN actuals skipped). `scales [N][P]` are the windows' raw local scales (data units, from
    /// their last `scaleRows` input rows; NaN when undefined); nil calibrates on plain absolute
    /// residuals. `rule` ``ConformalRule/rolling`` interpolates quantiles and, when it pools,
    /// divides each element's scores by its mean score over `inSample` (called only then; nil
    /// or no finite score at a step: the mean of the target's other steps, else 1).
    public init(forecasts: [[Float]], actuals: [[Float]], targets P: Int, scales: [[Float]]? = nil, scaleRows: Int? = nil,
                signed: Bool = false, rule: ConformalRule = .windows, inSample: (() -> InSample)? = nil) {
        let M = forecasts.first?.count ?? 0, P = max(P, 1)
        var floor: [Float]? = nil
        if let scales {
            floor = (0..<P).map { p in
                let v = scales.map { $0[p] }.filter { $0.isFinite && $0 > 0 }.sorted()
                return v.isEmpty ? 1 : ConformalCalibration.floorShare * v[v.count / 2]
            }
        }
        self.scaleRows = scales == nil ? nil : scaleRows
        scaleFloor = floor
        var r = [[Float]](repeating: [], count: M)
        for (w, (f, a)) in zip(forecasts, actuals).enumerated() {
            for m in 0..<min(M, f.count, a.count) where a[m].isFinite && f[m].isFinite {
                let s = floor.map { ConformalCalibration.effectiveScale(scales![w][m % P], floor: $0[m % P]) } ?? 1
                r[m].append((signed ? a[m] - f[m] : abs(a[m] - f[m])) / s)
            }
        }
        windows = forecasts.count
        self.signed = signed ? true : nil
        pooled = r.contains { $0.count < (signed ? ConformalCalibration.minimumPerStepSigned : ConformalCalibration.minimumPerStep) }
        interpolated = rule == .rolling ? true : nil
        if pooled && rule == .rolling {
            let sigma = ConformalCalibration.meanScores(inSample?(), elements: M, targets: P, floor: floor, signed: signed)
            stepScales = sigma
            for m in 0..<M { r[m] = r[m].map { $0 / sigma[m] } }
        }
        if pooled {
            for p in 0..<P {
                let all = stride(from: p, to: M, by: P).flatMap { r[$0] }
                for m in stride(from: p, to: M, by: P) { r[m] = all }
            }
        }
        residuals = r.map { $0.sorted() }
    }

    /// The score this calibration was made with.
    public var score: ConformalScore {
        switch (isLocallyScaled, signed == true) {
        case (false, false): return .absolute
        case (true, false): return .scaled
        case (false, true): return .signed
        case (true, true): return .scaledSigned
        }
    }

    /// The score `auto` resolves to: calibrates `absolute` and `scaled` on the earlier half of
    /// the calibration windows (`later[w]` false), measures the coverage of both on the later
    /// half at 80% and 95%, and returns the one whose |coverage − nominal| summed over the two
    /// levels is smaller (`absolute` on a tie or with fewer than 4 windows). Only validation
    /// windows are read: the choice mimics the step from the calibration period to the period
    /// after it, where a local scale helps when the error size moves with the series' recent
    /// motion (sunspot cycles, seasons of daily temperature) and hurts when it does not
    /// (hourly temperature, whose hour-to-hour changes say little about a day-ahead error).
    public static func select(forecasts: [[Float]], actuals: [[Float]], targets P: Int, scales: [[Float]], scaleRows: Int,
                              later: [Bool]) -> ConformalScore {
        let early = later.indices.filter { !later[$0] }, late = later.indices.filter { later[$0] }
        guard early.count >= 2, late.count >= 2 else { return .absolute }
        func error(_ score: ConformalScore) -> Double {
            let cal = ConformalCalibration(forecasts: early.map { forecasts[$0] }, actuals: early.map { actuals[$0] }, targets: P,
                                           scales: score.isScaled ? early.map { scales[$0] } : nil, scaleRows: scaleRows)
            var total = 0.0
            for level: Float in [0.8, 0.95] {
                var inside = 0, count = 0
                for w in late {
                    for m in 0..<min(forecasts[w].count, actuals[w].count) where actuals[w][m].isFinite && forecasts[w][m].isFinite {
                        let lo = cal.quantile(point: forecasts[w][m], element: m, level: (1 - level) / 2, scales: scales[w])
                        let hi = cal.quantile(point: forecasts[w][m], element: m, level: (1 + level) / 2, scales: scales[w])
                        count += 1
                        if actuals[w][m] >= lo && actuals[w][m] <= hi { inside += 1 }
                    }
                }
                total += count == 0 ? 0 : abs(Double(inside) / Double(count) - Double(level))
            }
            return total
        }
        return error(.scaled) < error(.absolute) - 1e-9 ? .scaled : .absolute
    }

    /// Whether intervals are scaled by each window's local scale.
    public var isLocallyScaled: Bool { scaleRows != nil && scaleFloor != nil }

    /// A raw local scale floored (NaN or below the floor -> the floor).
    static func effectiveScale(_ s: Float, floor: Float) -> Float { s.isFinite && s > floor ? s : floor }

    /// The local scale of one window: mean |x_t − x_{t−1}| over its last `rows` rows of column
    /// `column` of `x [lookback × features]` (model units; pairs with a non-finite value
    /// skipped), times `slope` (data units per model unit); NaN without a finite pair.
    public static func localScale(_ x: UnsafePointer<Float>, lookback T: Int, features F: Int, column c: Int, rows: Int, slope: Float) -> Float {
        var sum: Float = 0, n = 0
        let first = max(1, T - rows + 1)
        if first < T {
            for t in first..<T {
                let d = x[t * F + c] - x[(t - 1) * F + c]
                if d.isFinite { sum += abs(d); n += 1 }
            }
        }
        return n == 0 ? .nan : abs(slope) * sum / Float(n)
    }

    /// The local scale used for element `m` of a window with raw scales `scales [P]`: 1 without
    /// local scaling.
    public func scale(element m: Int, scales: [Float]?) -> Float {
        guard let floor = scaleFloor, scaleRows != nil else { return 1 }
        let p = m % floor.count
        return ConformalCalibration.effectiveScale(scales?[p] ?? .nan, floor: floor[p])
    }

    /// Half-width of the central interval of `level` (0 ≤ level < 1) for element `m`, in score
    /// units (multiply by the window's scale and the step's ``stepScales``); NaN without residuals.
    public func halfWidth(element m: Int, level: Double) -> Float {
        let r = residuals[m]
        guard !r.isEmpty else { return .nan }
        if interpolated == true { return ConformalCalibration.interpolatedQuantile(r, position: Double(r.count + 1) * level) }
        let k = Int((Double(r.count + 1) * level - 1e-9).rounded(.up))   // tolerance: 0.8 from a Float is 0.800000012
        return r[min(max(k, 1), r.count) - 1]
    }

    /// The sorted values `r` read at 1-based position `p`, linearly between r_(⌊p⌋) and
    /// r_(⌊p⌋+1), p clamped to [1, n] (a position within 1e-9 of an integer is that integer).
    static func interpolatedQuantile(_ r: [Float], position p: Double) -> Float {
        let n = r.count
        guard n > 1 else { return r.first ?? .nan }
        let q = min(max(p, 1), Double(n))
        var f = (q + 1e-9).rounded(.down)
        if f >= Double(n) { return r[n - 1] }
        f = max(f, 1)
        let frac = max(0, q - f), lo = r[Int(f) - 1], hi = r[Int(f)]
        return frac < 1e-9 ? lo : lo + Float(frac) * (hi - lo)
    }

    /// The mean score per element `[M]` over `inSample`'s windows (absolute or signed
    /// residuals alike: |y − ŷ| / s, s the floored local scale or 1). A step without a finite
    /// positive mean takes the mean of its target's other steps, or 1.
    static func meanScores(_ inSample: InSample?, elements M: Int, targets P: Int, floor: [Float]?, signed: Bool) -> [Float] {
        var sum = [Double](repeating: 0, count: M), count = [Int](repeating: 0, count: M)
        if let inSample {
            for (w, (f, a)) in zip(inSample.forecasts, inSample.actuals).enumerated() {
                for m in 0..<min(M, f.count, a.count) where a[m].isFinite && f[m].isFinite {
                    var s: Float = 1
                    if let floor, let sc = inSample.scales { s = effectiveScale(sc[w][m % P], floor: floor[m % P]) }
                    sum[m] += Double(abs(a[m] - f[m]) / s); count[m] += 1
                }
            }
        }
        var sigma = (0..<M).map { m -> Float in count[m] == 0 ? .nan : Float(sum[m] / Double(count[m])) }
        for p in 0..<P {
            let good = stride(from: p, to: M, by: P).map { sigma[$0] }.filter { $0.isFinite && $0 > 0 }
            let fill = good.isEmpty ? 1 : good.reduce(0, +) / Float(good.count)
            for m in stride(from: p, to: M, by: P) where !(sigma[m].isFinite && sigma[m] > 0) { sigma[m] = fill }
        }
        return sigma
    }

    /// The rule this calibration was made with.
    public var rule: ConformalRule { folds != nil ? .cross : interpolated == true ? .rolling : .windows }

    /// Window scale times step scale: what a score at element `m` is multiplied by.
    func width(element m: Int, scales: [Float]?) -> Float {
        scale(element: m, scales: scales) * (stepScales.map { $0[m] } ?? 1)
    }

    /// The quantile at level τ of element `m` around the point forecast `point`, for a window
    /// with raw local scales `scales [P]` (ignored without local scaling).
    public func quantile(point: Float, element m: Int, level tau: Float, scales: [Float]? = nil) -> Float {
        if signed == true {
            // Each tail on its own: the upper quantile is the ⌈(n+1)τ⌉-th smallest signed score,
            // the lower the ⌊(n+1)τ⌋-th, so each tail misses with probability ≤ min(τ, 1 − τ).
            let r = residuals[m]
            guard !r.isEmpty else { return .nan }
            let t = (Double(tau) * 1e6).rounded() / 1e6, x = Double(r.count + 1) * t
            if interpolated == true { return point + width(element: m, scales: scales) * ConformalCalibration.interpolatedQuantile(r, position: x) }
            let k = t >= 0.5 ? Int((x - 1e-9).rounded(.up)) : Int((x + 1e-9).rounded(.down))
            return point + width(element: m, scales: scales) * r[min(max(k, 1), r.count) - 1]
        }
        if abs(tau - 0.5) < 1e-6 { return point }
        let w = width(element: m, scales: scales) * halfWidth(element: m, level: (Double(abs(2 * tau - 1)) * 1e6).rounded() / 1e6)
        return tau > 0.5 ? point + w : point - w
    }
}
