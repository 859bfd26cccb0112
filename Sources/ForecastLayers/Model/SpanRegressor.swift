/// A windowed regressor trained on spans: the same parameters as ``WindowedRegressor``
/// (`rnn.*`, `head.*`), read over `span` consecutive windows in one recurrent pass.
///
///     input  [B, T'*I]     T' = L + S - 1 rows (L = lookback, S = span), batch-first
///     rnn    y [T', B, D*H]
///     head   steps L-1 ..< T': [B, S, O]       O = M·K (M targets, K outputs per target)
///     pred   [B, K, S, M]  positions L-1 ... T'-1, each the forecast of the window ending
///                          there; blocked by K so that a sample is K blocks of S·M, the
///                          layout the losses read (``LossKind``)
///
/// Position L-1 is exactly the windowed model's forecast of the first window (zero initial
/// state, L rows); later positions carry the state on from earlier rows. The loss over a
/// span is the mean of its S windows' losses, so a span sample trains like S windows at
/// (L + S - 1)/(S·L) of their recurrent cost. The trained parameters are a
/// ``WindowedRegressor``'s, unchanged: `params` of one are `params` of the other.
public struct SpanRegressor: TrainableModel {
    public struct Config: Codable, Sendable, Equatable {
        /// The windowed model's regressor (readout `.last`).
        public var regressor: SequenceRegressor.Config
        /// Window length L (the lookback).
        public var length: Int
        /// Windows per sample, S.
        public var span: Int
        /// Outputs per target of the loss, K (the head's O = M·K).
        public var outputsPerTarget: Int
        public init(regressor: SequenceRegressor.Config, length: Int, span: Int, outputsPerTarget: Int) {
            self.regressor = regressor; self.length = length; self.span = span; self.outputsPerTarget = outputsPerTarget
        }
    }

    public let config: Config
    /// The regressor reading every step (same layout and parameters as `config.regressor`).
    public let regressor: SequenceRegressor

    public init(_ config: Config) {
        self.config = config
        var every = config.regressor
        every.readout = .everyStep
        regressor = SequenceRegressor(every)
    }

    public static func checkConfig(_ c: Config, field: String) throws {
        try ConfigLimits.check(c.regressor, field: field + ".regressor")
        try ConfigLimits.require(c.length, in: WindowLimits.lookback, field: field + ".length")
        try ConfigLimits.require(c.span, in: WindowLimits.lookback, field: field + ".span")
        guard c.outputsPerTarget >= 1, c.regressor.outputs % c.outputsPerTarget == 0 else {
            throw ConfigFieldError(field: field + ".outputs_per_target", message: "must divide the head's \(c.regressor.outputs) outputs")
        }
    }

    public var layout: ParameterLayout { regressor.layout }
    /// The windowed model's initialisation (the same draws in the same order).
    public func makeParameters(rng: inout SeededGenerator) -> ParameterStore { regressor.makeParameters(rng: &rng) }

    /// Rows per sample, L + S - 1.
    public var steps: Int { config.length + config.span - 1 }
    public var inputCount: Int { steps * config.regressor.rawInputSize }
    public var predictionCount: Int { config.span * config.regressor.outputs }

    public final class Workspace {
        /// The every-step regressor's buffers over `[B, T']` (its cache holds `dL/dx` after backward).
        public let inner: SequenceRegressor.Workspace
        /// Predictions `[B, K, S, M]` (K > 1; for K = 1 the regressor's `[B, S, O]` is that layout).
        let pred: FloatBuffer
        /// `dL/dpred` in the regressor's layout `[B, S, O]` (K > 1).
        let dSteps: FloatBuffer
        init(model: SpanRegressor, batch B: Int) {
            inner = SequenceRegressor.Workspace(model: model.regressor, batch: B, length: model.steps)
            let blocked = model.config.outputsPerTarget > 1
            pred = FloatBuffer(count: blocked ? B * model.predictionCount : 0)
            dSteps = FloatBuffer(count: blocked ? B * model.predictionCount : 0)
        }
    }

    public func makeWorkspace(batch: Int) -> Workspace { Workspace(model: self, batch: batch) }

    public func forward(_ input: UnsafePointer<Float>, target: UnsafePointer<Float>?, workspace ws: Workspace,
                        params: ParameterStore, pass: ForwardPass, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        let L = config.length
        // [B, S, O]: the head reads steps L-1 ..< T' only.
        let every = regressor.forward(input, workspace: ws.inner, params: params, training: pass.training, readFrom: L - 1, rng: &rng).pointer
        let B = ws.inner.batch, S = config.span
        let O = config.regressor.outputs, K = config.outputsPerTarget, M = O / K
        if K == 1 { return every }
        let out = ws.pred.pointer
        for b in 0..<B {
            for t in 0..<S {
                let src = every + (b * S + t) * O
                for k in 0..<K { (out + ((b * K + k) * S + t) * M).update(from: src + k * M, count: M) }
            }
        }
        return out
    }

    public func backward(_ dPred: UnsafePointer<Float>, workspace ws: Workspace, params: ParameterStore, grads: ParameterStore) {
        let B = ws.inner.batch, S = config.span, L = config.length
        let O = config.regressor.outputs, K = config.outputsPerTarget, M = O / K
        guard K > 1 else { return regressor.backward(dPred, workspace: ws.inner, params: params, grads: grads, readFrom: L - 1) }
        let d = ws.dSteps.pointer
        for b in 0..<B {
            for t in 0..<S {
                let dst = d + (b * S + t) * O
                for k in 0..<K { (dst + k * M).update(from: dPred + ((b * K + k) * S + t) * M, count: M) }
            }
        }
        regressor.backward(d, workspace: ws.inner, params: params, grads: grads, readFrom: L - 1)
    }
}
