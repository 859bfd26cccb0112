/// The autoregressive probabilistic family (DeepAR, Salinas et al. 2020) as a
/// ``TrainableModel``: a ``SequenceRegressor`` read at every step whose head gives the raw
/// parameters of P(y_t | y_<t) (``LossKind/likelihood(_:)``). Its input at step t is the previous
/// target divided by the series scale, y_{t−1}/ν; training feeds the observed values (teacher
/// forcing), forecasting feeds samples back (ancestral sampling, in the facade).
///
///     input  [B, T*F + 1]   T steps of F features (feature 0 is y_{t−1}/ν), then ν
///     target [B, T]         y_t in data units
///     pred   [B, (K+1)*T]   K blocks of T raw outputs (block k: parameter k of every step),
///                           then a block holding ν at every step (the loss reads it)
///
/// Parameters are the regressor's (`rnn.*`, `head.*` with K outputs per step).
public struct AutoregressiveRegressor: TrainableModel {
    public struct Config: Codable, Sendable, Equatable {
        /// Recurrent stack and head: readout every step, `outputs` = K raw parameters.
        public var regressor: SequenceRegressor.Config
        /// Steps per training window (context + horizon).
        public var length: Int
        public init(regressor: SequenceRegressor.Config, length: Int) {
            self.regressor = regressor
            self.length = length
        }
    }

    public let config: Config
    public let regressor: SequenceRegressor

    public init(_ config: Config) {
        self.config = config
        regressor = SequenceRegressor(config.regressor)
    }

    public static func checkConfig(_ c: Config, field: String) throws {
        try ConfigLimits.check(c.regressor, field: field + ".regressor")
        try ConfigLimits.require(c.length, in: WindowLimits.lookback, field: field + ".length")
        guard c.regressor.readout == .everyStep else { throw ConfigFieldError(field: field + ".regressor.readout", message: "must be every_step") }
    }

    public var layout: ParameterLayout { regressor.layout }
    public func makeParameters(rng: inout SeededGenerator) -> ParameterStore { regressor.makeParameters(rng: &rng) }

    var features: Int { config.regressor.recurrent.inputSize }
    var K: Int { config.regressor.outputs }
    public var inputCount: Int { config.length * features + 1 }
    public var predictionCount: Int { (K + 1) * config.length }

    public final class Workspace {
        let inner: SequenceRegressor.Workspace
        /// Contiguous windows `[B, T, F]`.
        let x: FloatBuffer
        /// Predictions in the family's block layout `[B, (K+1)*T]`.
        let pred: FloatBuffer
        /// The regressor's gradient layout `[B, T, K]`.
        let dInner: FloatBuffer
        init(_ m: AutoregressiveRegressor, batch B: Int) {
            let T = m.config.length
            inner = SequenceRegressor.Workspace(model: m.regressor, batch: B, length: T)
            x = FloatBuffer(count: B * T * m.features)
            pred = FloatBuffer(count: B * m.predictionCount)
            dInner = FloatBuffer(count: B * T * m.K)
        }
    }

    public func makeWorkspace(batch: Int) -> Workspace { Workspace(self, batch: batch) }

    public func forward(_ input: UnsafePointer<Float>, target: UnsafePointer<Float>?, workspace ws: Workspace,
                        params: ParameterStore, pass: ForwardPass, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        let B = ws.inner.batch, T = config.length, F = features, K = K, I = inputCount
        for b in 0..<B { (ws.x.pointer + b * T * F).update(from: input + b * I, count: T * F) }
        let out = regressor.forward(ws.x.pointer, workspace: ws.inner, params: params, training: pass.training, rng: &rng).pointer   // [B, T, K]
        let pred = ws.pred.pointer
        for b in 0..<B {
            let o = out + b * T * K, p = pred + b * (K + 1) * T
            let nu = input[b * I + I - 1]
            for t in 0..<T {
                for k in 0..<K { p[k * T + t] = o[t * K + k] }
                p[K * T + t] = nu
            }
        }
        return pred
    }

    public func backward(_ dPred: UnsafePointer<Float>, workspace ws: Workspace, params: ParameterStore, grads: ParameterStore) {
        let B = ws.inner.batch, T = config.length, K = K
        let d = ws.dInner.pointer
        for b in 0..<B {
            let g = dPred + b * (K + 1) * T, o = d + b * T * K
            for t in 0..<T { for k in 0..<K { o[t * K + k] = g[k * T + t] } }
        }
        regressor.backward(d, workspace: ws.inner, params: params, grads: grads)
    }
}
