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
///
/// Truncated (`config.truncation` = K): rows 0 ..< W, W = L - 1 - K, run as an inference pass
/// (no activations kept, no gradient); its final state `[L·D, B, H]` is the initial state of the
/// trained pass over rows W ..< T'. Forecasts are the same; the gradient is the exact gradient
/// with that state held fixed (backpropagation truncated K steps before the first forecast).
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
        /// Truncated backpropagation: gradients flow through at most this many steps before the
        /// first forecast position (step L-1); the W = L-1-truncation steps before them run as an
        /// inference pass whose final state starts the trained pass. nil: through every step.
        public var truncation: Int?
        public init(regressor: SequenceRegressor.Config, length: Int, span: Int, outputsPerTarget: Int, truncation: Int? = nil) {
            self.regressor = regressor; self.length = length; self.span = span; self.outputsPerTarget = outputsPerTarget
            self.truncation = truncation
        }
    }

    public let config: Config
    /// The regressor reading every step (same layout and parameters as `config.regressor`).
    public let regressor: SequenceRegressor
    /// The windowed regressor (readout `.last`): the warm-up pass of truncated spans.
    let warmRegressor: SequenceRegressor

    public init(_ config: Config) {
        self.config = config
        var every = config.regressor
        every.readout = .everyStep
        regressor = SequenceRegressor(every)
        warmRegressor = SequenceRegressor(config.regressor)
    }

    /// Warm-up steps W run without gradient: L - 1 - truncation (0 without truncation).
    public var warmup: Int { config.truncation.map { max(0, config.length - 1 - $0) } ?? 0 }

    public static func checkConfig(_ c: Config, field: String) throws {
        try ConfigLimits.check(c.regressor, field: field + ".regressor")
        try ConfigLimits.require(c.length, in: WindowLimits.lookback, field: field + ".length")
        try ConfigLimits.require(c.span, in: WindowLimits.lookback, field: field + ".span")
        if let k = c.truncation { try ConfigLimits.require(k, in: 0...WindowLimits.lookback.upperBound, field: field + ".truncation") }
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
        /// The every-step regressor's buffers over `[B, T' - W]` (its cache holds `dL/dx` after
        /// backward, for those steps).
        public let inner: SequenceRegressor.Workspace
        /// Truncated spans (W > 0): the warm-up pass over `[B, W]` and the two parts of the input.
        let warm: SequenceRegressor.Workspace?
        let warmInput: FloatBuffer, mainInput: FloatBuffer
        /// Predictions `[B, K, S, M]` (K > 1; for K = 1 the regressor's `[B, S, O]` is that layout).
        let pred: FloatBuffer
        /// `dL/dpred` in the regressor's layout `[B, S, O]` (K > 1).
        let dSteps: FloatBuffer
        init(model: SpanRegressor, batch B: Int) {
            let W = model.warmup, R = model.config.regressor.rawInputSize
            inner = SequenceRegressor.Workspace(model: model.regressor, batch: B, length: model.steps - W)
            warm = W > 0 ? SequenceRegressor.Workspace(model: model.warmRegressor, batch: B, length: W) : nil
            warmInput = FloatBuffer(count: W > 0 ? B * W * R : 0)
            mainInput = FloatBuffer(count: W > 0 ? B * (model.steps - W) * R : 0)
            let blocked = model.config.outputsPerTarget > 1
            pred = FloatBuffer(count: blocked ? B * model.predictionCount : 0)
            dSteps = FloatBuffer(count: blocked ? B * model.predictionCount : 0)
        }
    }

    public func makeWorkspace(batch: Int) -> Workspace { Workspace(model: self, batch: batch) }

    public func forward(_ input: UnsafePointer<Float>, target: UnsafePointer<Float>?, workspace ws: Workspace,
                        params: ParameterStore, pass: ForwardPass, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        let L = config.length, W = warmup
        let every: UnsafeMutablePointer<Float>
        if let warm = ws.warm {
            // Rows 0 ..< W of every sample as an inference pass; its final state starts rows W ..< T'.
            let B = ws.inner.batch, R = config.regressor.rawInputSize, T = steps
            for b in 0..<B {
                (ws.warmInput.pointer + b * W * R).update(from: input + b * T * R, count: W * R)
                (ws.mainInput.pointer + b * (T - W) * R).update(from: input + (b * T + W) * R, count: (T - W) * R)
            }
            var quiet = SeededGenerator(seed: 0)
            warmRegressor.forward(ws.warmInput.pointer, workspace: warm, params: params, rng: &quiet)
            let cN: UnsafePointer<Float>? = config.regressor.recurrent.cell.hasCellState ? UnsafePointer(warm.cache.cN.pointer) : nil
            every = regressor.forward(ws.mainInput.pointer, workspace: ws.inner, params: params, h0: warm.cache.hN.pointer, c0: cN,
                                      training: pass.training, readFrom: L - 1 - W, rng: &rng).pointer
        } else {
            every = regressor.forward(input, workspace: ws.inner, params: params, training: pass.training, readFrom: L - 1, rng: &rng).pointer
        }
        // [B, S, O]: the head reads steps L-1 ..< T' only.
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
        let first = L - 1 - warmup
        guard K > 1 else { return regressor.backward(dPred, workspace: ws.inner, params: params, grads: grads, readFrom: first) }
        let d = ws.dSteps.pointer
        for b in 0..<B {
            for t in 0..<S {
                let dst = d + (b * S + t) * O
                for k in 0..<K { (dst + k * M).update(from: dPred + ((b * K + k) * S + t) * M, count: M) }
            }
        }
        regressor.backward(d, workspace: ws.inner, params: params, grads: grads, readFrom: first)
    }
}
