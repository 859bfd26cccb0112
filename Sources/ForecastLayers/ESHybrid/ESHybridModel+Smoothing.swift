#if canImport(Glibc)
import Glibc
#endif

/// The Holt–Winters part of ``ESHybridModel``: level and seasonality (no trend; the LSTM
/// forecasts the rest), per series, in Double precision.
///
/// Multiplicative (y > 0; values are floored at ``ESHybridModel/positiveFloor``):
///
///     ℓ_0 = y_0 / s_0
///     ℓ_t = α y_t / s_t + (1 − α) ℓ_{t−1}                  t = 1 … E−1
///     w_t = γ y_t / ℓ_t + (1 − γ) s_t                       the new index of t's phase
///
/// Additive:
///
///     ℓ_0 = y_0 − s_0
///     ℓ_t = α (y_t − s_t) + (1 − α) ℓ_{t−1}
///     w_t = γ (y_t − ℓ_t) + (1 − γ) s_t
///
/// Seasonal indices over the history and horizon, t = 0 … E+H−1:
///
///     s_t = S0[(r + t) mod m]   t < m        (S0 = exp(es.season0) or es.season0; r: phase)
///     s_t = w_{t−m}             m ≤ t < E+m
///     s_t = s_{t−m}             t ≥ E + m    (horizons beyond one season repeat the last one)
///
/// Without seasonality (m = 1) s_t is 1 (multiplicative) or 0 (additive) and γ, S0 are unused.
extension ESHybridModel {
    /// Values at or below zero are read as this (in the series' scale) by a multiplicative model.
    public static let positiveFloor = 1e-4

    /// One sample's smoothing states.
    public final class SmoothingState: @unchecked Sendable {
        public let history: Int
        public let horizon: Int
        public var series = 0
        public var phase = 0
        public var alpha = 0.0, gamma = 0.0
        /// y `[E]` (floored when multiplicative), ℓ `[E]`, w `[E]`, s `[E + H]`, S0 `[m]`.
        public var y: [Double], l: [Double], w: [Double], s: [Double], s0: [Double] = []
        /// ℓ_{E−1}: the level the window is normalised by.
        public var level: Double { l[history - 1] }

        public init(history: Int, horizon: Int) {
            self.history = history
            self.horizon = horizon
            y = [Double](repeating: 0, count: history)
            l = y
            w = y
            s = [Double](repeating: 0, count: history + horizon)
        }

        /// The LSTM input of step t: log(y_t / (s_t ℓ)) or y_t − s_t − ℓ.
        func normalized(_ t: Int, multiplicative: Bool) -> Float {
            Float(multiplicative ? log(y[t] / (s[t] * level)) : y[t] - s[t] - level)
        }
    }

    /// Runs the smoothing of series `series` over `y [E]` (first value at phase `phase`).
    public func smoothingForward(_ st: SmoothingState, series: Int, phase: Int, y: UnsafePointer<Float>, params: ParameterStore) {
        let c = config
        let alpha = Double(params.view("es.alpha")![series]), gamma = Double(params.view("es.gamma")![series])
        let m = c.season
        let raw = params.view("es.season0")!
        var s0 = [Double](repeating: 0, count: m)
        for k in 0..<m { s0[k] = c.multiplicative ? exp(Double(raw[series * m + k])) : Double(raw[series * m + k]) }
        var values = [Double](repeating: 0, count: c.history)
        for t in 0..<c.history {
            let v = Double(y[t])
            values[t] = c.multiplicative ? max(v.isFinite ? v : ESHybridModel.positiveFloor, ESHybridModel.positiveFloor) : (v.isFinite ? v : 0)
        }
        ESHybridModel.smooth(st, y: values, alphaLogit: alpha, gammaLogit: gamma, season0: s0, phase: phase % m,
                             seasonal: c.seasonal, multiplicative: c.multiplicative)
        st.series = series
    }

    static func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }

    /// The recursions above (Double precision), from logits of α and γ and the seasonal start
    /// values S0 (already exponentiated when multiplicative). Public for the float64 reference
    /// and finite-difference tests.
    public static func smooth(_ st: SmoothingState, y: [Double], alphaLogit: Double, gammaLogit: Double, season0: [Double], phase: Int,
                              seasonal: Bool, multiplicative: Bool) {
        let E = st.history, H = st.horizon, m = season0.count
        let a = sigmoid(alphaLogit), g = sigmoid(gammaLogit)
        st.alpha = a; st.gamma = g; st.phase = phase; st.s0 = season0
        st.y = y
        let identity = multiplicative ? 1.0 : 0.0
        for t in 0..<(E + H) {
            let s: Double
            if !seasonal { s = identity }
            else if t < m { s = season0[(phase + t) % m] }
            else if t - m < E { s = st.w[t - m] }
            else { s = st.s[t - m] }
            st.s[t] = s
            guard t < E else { continue }
            let yt = y[t]
            if multiplicative {
                st.l[t] = t == 0 ? yt / s : a * yt / s + (1 - a) * st.l[t - 1]
                st.w[t] = g * yt / st.l[t] + (1 - g) * s
            } else {
                st.l[t] = t == 0 ? yt - s : a * (yt - s) + (1 - a) * st.l[t - 1]
                st.w[t] = g * (yt - st.l[t]) + (1 - g) * s
            }
        }
    }

    /// Gradients of the smoothing: with dL/dŷ `[H]`, the head outputs o `[H]` and dL/dx `[T]`
    /// (the LSTM's input gradient), returns (dL/d alpha-logit, dL/d gamma-logit, dL/dS0 `[m]` w.r.t. the stored
    /// parameter: log-index when multiplicative). Reverse mode over t = E+H−1 … 0.
    public static func smoothingGradients(_ st: SmoothingState, dPred: [Double], out o: [Double], dx: [Double], lookback T: Int,
                                          seasonal: Bool, multiplicative: Bool) -> (alpha: Double, gamma: Double, season0: [Double]) {
        let E = st.history, H = st.horizon, m = st.s0.count
        let a = st.alpha, g = st.gamma, L = st.level
        var ds = [Double](repeating: 0, count: E + H)
        var dl = [Double](repeating: 0, count: E)
        var dw = [Double](repeating: 0, count: E)
        var dS0 = [Double](repeating: 0, count: m)
        var da = 0.0, dg = 0.0
        // Outputs: ŷ_h = ℓ s_{E+h} e^{o_h} (dŷ/dℓ = s e^o, dŷ/ds = ℓ e^o) or ℓ + s + o.
        for h in 0..<H {
            if multiplicative {
                let e = exp(o[h])
                dl[E - 1] += dPred[h] * st.s[E + h] * e
                ds[E + h] += dPred[h] * L * e
            } else {
                dl[E - 1] += dPred[h]
                ds[E + h] += dPred[h]
            }
        }
        // Inputs x_j = log y_t − log s_t − log ℓ  or  y_t − s_t − ℓ,  t = E − T + j.
        for j in 0..<T {
            let t = E - T + j
            if multiplicative {
                ds[t] -= dx[j] / st.s[t]
                dl[E - 1] -= dx[j] / L
            } else {
                ds[t] -= dx[j]
                dl[E - 1] -= dx[j]
            }
        }
        for t in stride(from: E + H - 1, through: 0, by: -1) {
            if t < E {
                let yt = st.y[t], s = st.s[t], lt = st.l[t]
                // w_t
                if seasonal {
                    if multiplicative {
                        dg += dw[t] * (yt / lt - s)
                        dl[t] -= dw[t] * g * yt / (lt * lt)
                    } else {
                        dg += dw[t] * (yt - lt - s)
                        dl[t] -= dw[t] * g
                    }
                    ds[t] += dw[t] * (1 - g)
                }
                // ℓ_t
                if t == 0 {
                    ds[0] += multiplicative ? -dl[0] * yt / (s * s) : -dl[0]
                } else if multiplicative {
                    da += dl[t] * (yt / s - st.l[t - 1])
                    ds[t] -= dl[t] * a * yt / (s * s)
                    dl[t - 1] += dl[t] * (1 - a)
                } else {
                    da += dl[t] * (yt - s - st.l[t - 1])
                    ds[t] -= dl[t] * a
                    dl[t - 1] += dl[t] * (1 - a)
                }
            }
            // Route ds_t to where s_t came from.
            guard seasonal else { continue }
            if t < m { dS0[(st.phase + t) % m] += ds[t] }
            else if t - m < E { dw[t - m] += ds[t] }
            else { ds[t - m] += ds[t] }
        }
        if multiplicative { for k in 0..<m { dS0[k] *= st.s0[k] } }
        return (da * a * (1 - a), dg * g * (1 - g), dS0)
    }

    /// Accumulates the smoothing gradients of one sample into `grads`; `dPred` is dL/dŷ.
    func smoothingBackward(_ st: SmoothingState, dPred: [Double], out: [Double], dx: [Double], params: ParameterStore, grads: ParameterStore) {
        let c = config
        let g = ESHybridModel.smoothingGradients(st, dPred: dPred, out: out, dx: dx, lookback: c.lookback, seasonal: c.seasonal, multiplicative: c.multiplicative)
        let s = st.series, m = c.season
        grads.view("es.alpha")![s] += Float(g.alpha)
        if c.seasonal {
            grads.view("es.gamma")![s] += Float(g.gamma)
            let gs = grads.view("es.season0")!
            for k in 0..<m { gs[s * m + k] += Float(g.season0[k]) }
        }
    }
}
