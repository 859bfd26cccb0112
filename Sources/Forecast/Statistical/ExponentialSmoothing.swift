#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exponential smoothing (Holt–Winters) with additive errors: level ℓ, optional (damped) trend
/// b and optional additive or multiplicative seasonality s of period m. With forecast
/// ŷ_t = (ℓ_{t-1} + φ b_{t-1}) ⊕ s_{t-m} (⊕ is + or ×) the recursions are
///
///     ℓ_t = α (y_t ⊖ s_{t-m}) + (1 − α)(ℓ_{t-1} + φ b_{t-1})
///     b_t = β (ℓ_t − ℓ_{t-1}) + (1 − β) φ b_{t-1}
///     s_t = γ (y_t ⊖ (ℓ_{t-1} + φ b_{t-1})) + (1 − γ) s_{t-m}
///
/// and the h-step forecast from origin n is (ℓ_n + (φ + … + φ^h) b_n) ⊕ s_{n+h−m⌈h/m⌉}
/// (φ = 1 for an undamped trend, b ≡ 0 without trend). ``fit(_:season:)`` estimates
/// α, β, γ, φ, ℓ_0 and b_0 by minimising the sum of squared one-step errors (Nelder–Mead, the
/// seasonal start values from the first two seasons) for every admissible combination of
/// trend (none, additive, damped) and season (none, additive, multiplicative: only for positive
/// data with at least two full seasons) and keeps the one with the lowest AICc,
/// `n log(SSE/n) + 2k + 2k(k+1)/(n−k−1)` with k = smoothing parameters + start states + 1
/// (Hyndman et al., *Forecasting with Exponential Smoothing*, 2008, ch. 2 and 7).
///
/// Parameters are fitted once on a history that starts at row 0; forecasting from a later
/// origin runs the recursions with the same parameters over the whole history up to it.
public struct ExponentialSmoothing: Codable, Sendable, Equatable {
    public enum Trend: String, Codable, Sendable, CaseIterable { case none, additive, damped }
    public enum Season: String, Codable, Sendable, CaseIterable { case none, additive, multiplicative }

    public var trend: Trend
    public var season: Season
    /// Season length m (1 without seasonality).
    public var period: Int
    public var alpha: Double
    public var beta: Double
    public var gamma: Double
    public var phi: Double
    /// Start states: level ℓ_0, trend b_0 and the m seasonal values s_{1-m} … s_0.
    public var level0: Double
    public var trend0: Double
    public var seasonal0: [Double]
    /// Fit criterion (AICc) and in-sample SSE on the fitted history.
    public var aicc: Double
    public var sse: Double

    /// Short name in the usual ETS notation, e.g. `ETS(A,Ad,M)`.
    public var name: String {
        let t = trend == .none ? "N" : (trend == .additive ? "A" : "Ad")
        let s = season == .none ? "N" : (season == .additive ? "A" : "M")
        return "ETS(A,\(t),\(s))"
    }

    /// The recursion's state after some prefix of a series: level ℓ, trend b, the m seasonal
    /// values (s[k] is s_{t-m} for the next t) and the running sum of squared one-step errors.
    struct State {
        /// Season length m (at least 1) and the damping φ (1 without damping), fixed per model.
        let m: Int
        let ph: Double
        var level: Double
        var trend: Double
        var seasonal: [Double]
        var k = 0
        var sse = 0.0
    }

    /// The state before the first value: the start states ℓ_0, b_0, s_{1-m} … s_0.
    func initialState() -> State {
        let m = max(1, period)
        return State(m: m, ph: trend == .damped ? phi : 1, level: level0, trend: trend == .none ? 0 : trend0,
                     seasonal: season == .none ? [Double](repeating: season == .multiplicative ? 1 : 0, count: m) : seasonal0)
    }

    /// One step of the recursions with the observation `v` (and its squared one-step error).
    @inline(__always)
    func step(_ state: inout State, _ v: Double) {
        let m = state.m, ph = state.ph
        let l = state.level, b = state.trend, k = state.k
        let base = l + ph * b
        let st = season == .none ? (0.0) : state.seasonal[k]
        let yhat: Double
        switch season {
        case .none: yhat = base
        case .additive: yhat = base + st
        case .multiplicative: yhat = base * st
        }
        let e = v - yhat
        state.sse += e * e
        let deseason: Double
        switch season {
        case .none: deseason = v
        case .additive: deseason = v - st
        case .multiplicative: deseason = v / st
        }
        let newL = alpha * deseason + (1 - alpha) * base
        if trend != .none { state.trend = beta * (newL - l) + (1 - beta) * ph * b }
        switch season {
        case .none: break
        case .additive: state.seasonal[k] = gamma * (v - base) + (1 - gamma) * st
        case .multiplicative: state.seasonal[k] = gamma * (v / base) + (1 - gamma) * st
        }
        state.level = newL
        state.k = (k + 1) % m
    }

    /// The `horizon`-step forecast from `state`.
    func forecast(from state: State, horizon: Int) -> [Double] {
        let m = state.m, ph = state.ph
        var out = [Double](repeating: 0, count: horizon)
        var damp = 0.0, p = 1.0
        for h in 0..<horizon {
            p *= ph; damp += p
            let base = state.level + (trend == .none ? 0 : damp * state.trend)
            let st = season == .none ? 0 : state.seasonal[(state.k + h) % m]
            switch season {
            case .none: out[h] = base
            case .additive: out[h] = base + st
            case .multiplicative: out[h] = base * st
            }
        }
        return out
    }

    /// Runs the recursions over `y` and returns the sum of squared one-step errors and the
    /// `horizon`-step forecast from the end of `y`.
    public func run(_ y: ArraySlice<Double>, horizon: Int) -> (sse: Double, forecast: [Double]) {
        var state = initialState()
        for v in y { step(&state, v) }
        return (state.sse, forecast(from: state, horizon: horizon))
    }

    /// The `horizon`-step forecast after `history` (which starts at the row the model was fitted
    /// from).
    public func forecast(history: ArraySlice<Double>, horizon: Int) -> [Double] { run(history, horizon: horizon).forecast }

    /// The forecasts after `history[history.startIndex...e]` for every `e` of `ends` (indices of
    /// `history`, any order, repeats allowed), in the order of `ends`: bit for bit what
    /// ``forecast(history:horizon:)`` gives for each prefix, in one pass over the history
    /// (O(n + origins × horizon) instead of O(origins × n)).
    public func forecasts(history: ArraySlice<Double>, ends: [Int], horizon: Int) -> [[Double]] {
        var out = [[Double]](repeating: [], count: ends.count)
        let order = ends.indices.sorted { ends[$0] < ends[$1] }
        var state = initialState()
        var t = history.startIndex
        for i in order {
            let e = ends[i]
            while t <= e && t < history.endIndex { step(&state, history[t]); t += 1 }
            out[i] = forecast(from: state, horizon: horizon)
        }
        return out
    }

    /// Fits every admissible model to `y` and returns the one with the lowest AICc (the first
    /// in (season, trend) order on a tie). Needs at least 4 values. The nine forms are fitted on
    /// up to `workers` threads; each fit is independent, so the result does not depend on it.
    public static func fit(_ y: [Double], season m: Int, workers: Int = 1) -> ExponentialSmoothing? {
        let forms = Season.allCases.flatMap { season in Trend.allCases.map { (season, $0) } }
        var fits = [ExponentialSmoothing?](repeating: nil, count: forms.count)
        fits.withUnsafeMutableBufferPointer { out in
            WorkerPool.forEach(forms.count, threads: max(1, workers)) { i in
                out[i] = fit(y, season: m, trend: forms[i].1, seasonality: forms[i].0)
            }
        }
        var best: ExponentialSmoothing? = nil
        for case let model? in fits where best.map({ model.aicc < $0.aicc }) ?? true { best = model }
        return best
    }

    /// Fits one model form; nil when the data do not admit it (too short, or multiplicative
    /// seasonality on non-positive data).
    public static func fit(_ y: [Double], season m: Int, trend: Trend, seasonality: Season) -> ExponentialSmoothing? {
        let n = y.count
        let seasonal = seasonality != .none
        if seasonal && (m < 2 || n < 2 * m + 2) { return nil }
        if seasonality == .multiplicative && !y.allSatisfy({ $0 > 0 }) { return nil }
        guard n >= 4 else { return nil }
        let period = seasonal ? m : 1
        // Start values: level = mean of the first season, trend = mean step between the first
        // two seasons, seasonal values = first season relative to its mean.
        let first = seasonal ? Array(y[0..<m]) : Array(y[0..<min(n, 4)])
        let mean1 = first.reduce(0, +) / Double(first.count)
        var trend0 = 0.0
        if seasonal {
            let mean2 = y[m..<(2 * m)].reduce(0, +) / Double(m)
            trend0 = (mean2 - mean1) / Double(m)
        } else if n >= 2 { trend0 = y[1] - y[0] }
        var s0: [Double] = []
        if seasonality == .additive { s0 = first.map { $0 - mean1 } }
        if seasonality == .multiplicative { s0 = first.map { $0 / mean1 } }
        let level0 = seasonal ? mean1 : y[0]
        let scale = max(1e-9, y.map { abs($0) }.reduce(0, +) / Double(n))

        var proto = ExponentialSmoothing(trend: trend, season: seasonality, period: period, alpha: 0.3, beta: 0.05, gamma: 0.1,
                                         phi: 0.95, level0: level0, trend0: trend0, seasonal0: s0, aicc: .infinity, sse: .infinity)
        // Free parameters: α, [β], [γ], [φ], ℓ0, [b0]; smoothing ones through a logistic map.
        func model(_ z: [Double]) -> ExponentialSmoothing {
            var p = proto
            var i = 0
            p.alpha = NelderMead.bounded(z[i], 1e-4, 0.9999); i += 1
            if trend != .none { p.beta = NelderMead.bounded(z[i], 1e-4, 0.9999); i += 1 }
            if seasonal { p.gamma = NelderMead.bounded(z[i], 1e-4, 0.9999); i += 1 }
            if trend == .damped { p.phi = NelderMead.bounded(z[i], 0.8, 0.98); i += 1 }
            p.level0 = level0 + z[i] * scale; i += 1
            if trend != .none { p.trend0 = trend0 + z[i] * scale * 0.01; i += 1 }
            return p
        }
        var start = [NelderMead.unbounded(0.3, 1e-4, 0.9999)]
        var step = [1.0]
        if trend != .none { start.append(NelderMead.unbounded(0.1, 1e-4, 0.9999)); step.append(1) }
        if seasonal { start.append(NelderMead.unbounded(0.1, 1e-4, 0.9999)); step.append(1) }
        if trend == .damped { start.append(NelderMead.unbounded(0.95, 0.8, 0.98)); step.append(1) }
        start.append(0); step.append(0.1)
        if trend != .none { start.append(0); step.append(1) }
        let (z, sse) = NelderMead.minimize({ model($0).run(y[...], horizon: 0).sse }, start: start, step: step,
                                           maxEvaluations: 200 * start.count)
        guard sse.isFinite, sse >= 0 else { return nil }
        proto = model(z)
        let k = Double(start.count + (seasonal ? m - 1 : 0) + 1)
        let nd = Double(n)
        guard nd - k - 1 > 0 else { return nil }
        proto.sse = sse
        proto.aicc = nd * log(max(sse, 1e-300) / nd) + 2 * k + 2 * k * (k + 1) / (nd - k - 1)
        return proto
    }
}
