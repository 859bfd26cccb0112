/// Scores of a predictive distribution over a set of (actual, quantiles) pairs, each
/// distribution given by its quantiles `q_k` at the sorted levels `τ_k` (``QuantileLevels``):
///
///     pinball  ρ_τ(y, q) = max(τ (y − q), (τ − 1)(y − q))
///     CRPS     ≈ Σ_k w_k 2 ρ_τk(y, q_k)          (the integral ∫₀¹ 2 ρ_τ(y, q_τ) dτ by the midpoint
///                                                 rule: w_k = m_k − m_{k−1}, m_k = (τ_k + τ_{k+1})/2,
///                                                 m_0 = 0, m_K = 1); mean over pairs, data units
///     wQL      = (1/K) Σ_k 2 Σ_pairs ρ_τk / Σ_pairs |y|     (GluonTS's mean weighted quantile loss)
///     MSIS     = mean over pairs of [(U − L) + (2/α)(L − y)⁺ + (2/α)(y − U)⁺] / scale, α = 0.05
///                (M4's definition; U, L the 97.5% and 2.5% quantiles; scale as MASE's)
///     coverage = share of actuals inside [q_τ, q_{1−τ}], per central interval the levels bound
///     width    = mean of q_{1−τ} − q_τ over pairs, per central interval (data units)
///
/// Lower is better for CRPS, wQL and MSIS; coverage should be close to nominal. Pairs without
/// a finite actual or with a non-finite quantile are not scored.
public struct DistributionScores: Codable, Sendable, Equatable {
    /// Mean CRPS in data units (quantile approximation above).
    public var crps: Double
    /// Mean weighted quantile loss (scale-free).
    public var wql: Double
    /// Mean scaled interval score of the 95% interval; nil when the levels lack 0.025/0.975.
    public var msis: Double?
    /// Observed coverage of every central interval the levels bound, keyed by nominal percent
    /// ("80", "95").
    public var coverage: [String: Double]
    /// Mean width of every central interval the levels bound (data units), keyed like
    /// ``coverage``; nil in reports written before widths were kept.
    public var width: [String: Double]?
    /// The quantile levels scored.
    public var levels: [Float]
    /// Pairs scored.
    public var count: Int
}

/// Accumulates ``DistributionScores``.
struct DistributionAccumulator {
    let levels: [Float]
    private let weights: [Double]
    private let intervals: [(percent: Double, lower: Int, upper: Int)]
    private let msisBounds: (Int, Int)?
    private var pinball: [Double]
    private var crps = 0.0, absActual = 0.0, msis = 0.0
    private var inside: [Int]
    private var widths: [Double]
    private(set) var count = 0

    init(levels: [Float]) {
        self.levels = levels
        let K = levels.count
        let mids = (0...K).map { k -> Double in k == 0 ? 0 : (k == K ? 1 : Double(levels[k - 1] + levels[k]) / 2) }
        weights = (0..<K).map { mids[$0 + 1] - mids[$0] }
        intervals = QuantileLevels.intervals(in: levels)
        msisBounds = intervals.first { $0.percent == 95 }.map { ($0.lower, $0.upper) }
        pinball = [Double](repeating: 0, count: K)
        inside = [Int](repeating: 0, count: intervals.count)
        widths = [Double](repeating: 0, count: intervals.count)
    }

    /// One pair: the actual, the quantiles `[K]` at `levels`, the MASE scale of its series.
    mutating func add(actual a: Float, quantiles q: [Float], scale: Double) {
        guard a.isFinite, q.count == levels.count, q.allSatisfy(\.isFinite) else { return }
        let y = Double(a)
        for k in levels.indices {
            let e = y - Double(q[k]), t = Double(levels[k])
            let r = e >= 0 ? t * e : (t - 1) * e
            pinball[k] += r
            crps += 2 * weights[k] * r
        }
        absActual += Swift.abs(y)
        for (i, iv) in intervals.enumerated() {
            if a >= q[iv.lower] && a <= q[iv.upper] { inside[i] += 1 }
            widths[i] += Double(q[iv.upper]) - Double(q[iv.lower])
        }
        if let (l, u) = msisBounds {
            let L = Double(q[l]), U = Double(q[u]), alpha = 0.05
            let s = (U - L) + (2 / alpha) * max(0, L - y) + (2 / alpha) * max(0, y - U)
            msis += s / scale
        }
        count += 1
    }

    func scores() -> DistributionScores? {
        guard count > 0 else { return nil }
        let n = Double(count)
        let wql = absActual > 0 ? pinball.map { 2 * $0 / absActual }.reduce(0, +) / Double(levels.count) : .nan
        var coverage: [String: Double] = [:], width: [String: Double] = [:]
        for (i, iv) in intervals.enumerated() {
            coverage[QuantileLevels.key(percent: iv.percent)] = Double(inside[i]) / n
            width[QuantileLevels.key(percent: iv.percent)] = widths[i] / n
        }
        return DistributionScores(crps: crps / n, wql: wql, msis: msisBounds == nil ? nil : msis / n,
                                  coverage: coverage, width: width, levels: levels, count: count)
    }
}
