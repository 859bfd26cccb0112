#if canImport(Glibc)
import Glibc
#endif

/// The ES-hybrid network (after Smyl's M4-winning ES-RNN): per-series Holt–Winters level and
/// seasonality smoothing, learned jointly with a global (optionally dilated) LSTM that reads the
/// deseasonalised, level-normalised window and forecasts the horizon, which is then
/// re-seasonalised and re-levelled.
///
///     input  [B, 2 + E]   series index s, phase r (absolute row of the first value mod m),
///                         then E history values y_0 … y_{E−1} (scaled by the series' scale)
///     target [B, H]       y_E … y_{E+H−1} (same scale)
///     pred   [B, H]       ŷ_E … ŷ_{E+H−1}
///
/// Per-series parameters (S series, season m):
///
///     es.alpha    [S]     α = σ(a)   level smoothing
///     es.gamma    [S]     γ = σ(g)   seasonality smoothing
///     es.season0  [S, m]  initial seasonal indices by phase (multiplicative: log s, additive: s)
///
/// Smoothing over the E history steps (``ESHybridModel/smoothingForward``), then the LSTM reads
/// the last T = `lookback` steps, x_t = log(y_t / (s_t ℓ)) (multiplicative) or
/// y_t − s_t − ℓ (additive), ℓ = ℓ_{E−1} the last level; its head gives o [H] and
/// ŷ_{E+h} = ℓ · s_{E+h} · exp(o_h)  or  ℓ + s_{E+h} + o_h.
///
/// Parameters `rnn.*` and `head.*` are those of a ``SequenceRegressor`` with one input and H
/// outputs (readout `.last`).
public struct ESHybridModel: TrainableModel {
    public struct Config: Codable, Sendable, Equatable {
        /// Series with their own smoothing parameters.
        public var series: Int
        /// Season length m (1: no seasonality; γ and the seasonal indices are then unused).
        public var season: Int
        /// History values the smoothing reads per sample (E ≥ lookback).
        public var history: Int
        /// Steps the LSTM reads (the last T of the history).
        public var lookback: Int
        public var horizon: Int
        /// Multiplicative (log-ratio normalisation) or additive (differences).
        public var multiplicative: Bool
        /// The LSTM stack (input size 1); dilations as ``RecurrentConfig`` has them.
        public var recurrent: RecurrentConfig

        public init(series: Int, season: Int, history: Int, lookback: Int, horizon: Int, multiplicative: Bool, recurrent: RecurrentConfig) {
            self.series = series; self.season = season; self.history = history; self.lookback = lookback
            self.horizon = horizon; self.multiplicative = multiplicative; self.recurrent = recurrent
        }

        public var seasonal: Bool { season > 1 }
    }

    public let config: Config
    public let layout: ParameterLayout
    public let rnn: Recurrent
    public let head: Linear

    public init(_ config: Config) {
        self.config = config
        var layout = ParameterLayout()
        rnn = Recurrent(config.recurrent, prefix: "rnn", layout: &layout)
        head = Linear(inFeatures: config.recurrent.outputSize, outFeatures: config.horizon, prefix: "head", layout: &layout)
        _ = layout.add("es.alpha", Shape([config.series]))
        _ = layout.add("es.gamma", Shape([config.series]))
        _ = layout.add("es.season0", Shape([config.series, config.season]))
        self.layout = layout
    }

    public static func checkConfig(_ c: Config, field: String) throws {
        try ConfigLimits.check(c.recurrent, field: field + ".recurrent")
        try ConfigLimits.require(c.recurrent.inputSize, in: 1...1, field: field + ".recurrent.inputSize")
        do { try c.recurrent.validate() } catch { throw ConfigFieldError(field: field + ".recurrent", message: "\(error)") }
        try ConfigLimits.require(c.series, in: 1...1_000_000, field: field + ".series")
        try ConfigLimits.require(c.season, in: 1...100_000, field: field + ".season")
        try ConfigLimits.require(c.lookback, in: WindowLimits.lookback, field: field + ".lookback")
        try ConfigLimits.require(c.history, in: c.lookback...WindowLimits.lookback.upperBound, field: field + ".history")
        try ConfigLimits.require(c.horizon, in: WindowLimits.horizon, field: field + ".horizon")
        guard ConfigLimits.product(c.series, c.season, limit: ConfigLimits.maxParameters) != nil else {
            throw ConfigFieldError(field: field + ".season", message: "is \(c.season): with \(c.series) series the seasonal indices would pass \(ConfigLimits.maxParameters) parameters")
        }
    }

    /// PyTorch's initialisation for the LSTM and head; α = σ(−1) ≈ 0.27, γ = σ(−2) ≈ 0.12 and
    /// flat seasonal indices (the facade replaces them with a decomposition of the data).
    public func makeParameters(rng: inout SeededGenerator) -> ParameterStore {
        let store = ParameterStore(layout: layout)
        rnn.initialize(store, rng: &rng)
        head.initialize(store, rng: &rng)
        store.view("es.alpha")!.update(repeating: -1)
        store.view("es.gamma")!.update(repeating: -2)
        store.view("es.season0")!.update(repeating: 0)
        store.markModified()
        return store
    }

    public var inputCount: Int { 2 + config.history }
    public var predictionCount: Int { config.horizon }

    /// Buffers of one pass over B samples.
    public final class Workspace: @unchecked Sendable {
        public let batch: Int
        public let cache: RecurrentCache
        /// Predictions `[B, H]`.
        public let pred: FloatBuffer
        /// Head outputs o `[B, H]`.
        let out: FloatBuffer
        /// LSTM input, batch-first `[B, T]`.
        let x: FloatBuffer
        let dTop: FloatBuffer
        let dOut: FloatBuffer
        /// Smoothing states per sample (``ESHybridModel/SmoothingState``).
        var states: [SmoothingState]

        init(model: ESHybridModel, batch B: Int) {
            let c = model.config
            batch = B
            cache = RecurrentCache(config: c.recurrent, batch: B, length: c.lookback)
            pred = FloatBuffer(count: B * c.horizon)
            out = FloatBuffer(count: B * c.horizon)
            x = FloatBuffer(count: B * c.lookback)
            dTop = FloatBuffer(count: c.lookback * B * c.recurrent.outputSize)
            dOut = FloatBuffer(count: B * c.horizon)
            states = (0..<B).map { _ in SmoothingState(history: c.history, horizon: c.horizon) }
        }
    }

    public func makeWorkspace(batch: Int) -> Workspace { Workspace(model: self, batch: batch) }

    public func forward(_ input: UnsafePointer<Float>, target: UnsafePointer<Float>?, workspace ws: Workspace,
                        params: ParameterStore, pass: ForwardPass, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        let c = config
        let B = ws.batch, E = c.history, T = c.lookback, H = c.horizon
        let I = inputCount
        let x = ws.x.pointer
        for b in 0..<B {
            let row = input + b * I
            let s = seriesIndex(row[0])
            let phase = Int(max(0, row[1]))
            smoothingForward(ws.states[b], series: s, phase: phase, y: row + 2, params: params)
            let st = ws.states[b]
            for j in 0..<T { x[b * T + j] = st.normalized(E - T + j, multiplicative: c.multiplicative) }
        }
        let cache = ws.cache
        transposeBatchTime(x, cache.x.pointer, batch: B, time: T, features: 1)
        cache.useInitialState = false
        rnn.forward(cache, params: params, training: pass.training, rng: &rng)
        let DH = c.recurrent.outputSize
        head.forward(cache.output.pointer + (T - 1) * B * DH, rows: B, into: ws.out.pointer, params: params)
        let o = ws.out.pointer, pred = ws.pred.pointer
        for b in 0..<B {
            let st = ws.states[b]
            for h in 0..<H {
                let s = st.s[E + h]
                pred[b * H + h] = Float(c.multiplicative ? st.level * s * exp(Double(o[b * H + h])) : st.level + s + Double(o[b * H + h]))
            }
        }
        return pred
    }

    public func backward(_ dPred: UnsafePointer<Float>, workspace ws: Workspace, params: ParameterStore, grads: ParameterStore) {
        let c = config
        let B = ws.batch, T = c.lookback, H = c.horizon, DH = c.recurrent.outputSize
        let dOut = ws.dOut.pointer, pred = ws.pred.pointer
        // ŷ = ℓ s e^o: dŷ/do = ŷ;  ŷ = ℓ + s + o: dŷ/do = 1.
        for i in 0..<(B * H) { dOut[i] = c.multiplicative ? dPred[i] * pred[i] : dPred[i] }
        let cache = ws.cache
        let dTop = ws.dTop.pointer
        dTop.update(repeating: 0, count: (T - 1) * B * DH)
        head.backward(dOut, x: cache.output.pointer + (T - 1) * B * DH, rows: B, dx: dTop + (T - 1) * B * DH, params: params, grads: grads)
        rnn.backward(cache, dTop: dTop, params: params, grads: grads)
        let dX = cache.dX!.pointer                                       // [T, B, 1]
        let o = ws.out.pointer
        var dx = [Double](repeating: 0, count: T), dp = [Double](repeating: 0, count: H), ob = dp
        for b in 0..<B {
            for j in 0..<T { dx[j] = Double(dX[j * B + b]) }
            for h in 0..<H { dp[h] = Double(dPred[b * H + h]); ob[h] = Double(o[b * H + h]) }
            smoothingBackward(ws.states[b], dPred: dp, out: ob, dx: dx, params: params, grads: grads)
        }
    }

    /// The series index stored as a float, clamped into range.
    func seriesIndex(_ v: Float) -> Int {
        guard v.isFinite else { return 0 }
        return min(config.series - 1, max(0, Int(v)))
    }
}
