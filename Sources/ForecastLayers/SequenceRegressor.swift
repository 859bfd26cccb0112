/// A windowed regressor: a ``Recurrent`` stack followed by a ``Linear`` head.
///
///     x [B, T, I] ─rnn→ y [B, T, D*H] ─head→ pred [B, P]      (readout .last: many-to-one)
///                                          └→ pred [B, T, P]   (readout .everyStep: many-to-many)
///
/// Parameters are named `rnn.*` and `head.*`, exactly a PyTorch module holding
/// `self.rnn = nn.LSTM(..., batch_first=True)` and `self.head = nn.Linear(D*H, P)`.
/// For a bidirectional stack the last step's output holds the forward direction's final
/// state and the reverse direction's first output, as `y[:, -1]` in PyTorch.
public struct SequenceRegressor: Sendable {
    public enum Readout: String, Codable, Sendable {
        /// The head reads the last step only; the model forecasts P values per window.
        case last
        /// The head reads every step; P values per step.
        case everyStep = "every_step"
    }

    public struct Config: Codable, Sendable, Equatable {
        public var recurrent: RecurrentConfig
        public var outputs: Int
        public var readout: Readout
        /// Categorical inputs read through learned embeddings (``CategoricalEmbedding``); nil
        /// (absent from the file) for none. `recurrent.inputSize` is the width after expansion.
        public var embeddings: [EmbeddingInput]?
        public init(recurrent: RecurrentConfig, outputs: Int, readout: Readout = .last, embeddings: [EmbeddingInput]? = nil) {
            self.recurrent = recurrent
            self.outputs = outputs
            self.readout = readout
            self.embeddings = embeddings?.isEmpty == true ? nil : embeddings
        }

        /// Floats per step of the window the model is given: `recurrent.inputSize`, less the
        /// embedding widths plus one index column per embedding.
        public var rawInputSize: Int {
            guard let e = embeddings else { return recurrent.inputSize }
            return CategoricalEmbedding.rawWidth(expanded: recurrent.inputSize, inputs: e)
        }
    }

    public let config: Config
    public let layout: ParameterLayout
    public let rnn: Recurrent
    public let head: Linear
    /// Categorical inputs' tables (`embed.{k}.weight`), laid out after the head; nil without.
    public let embedding: CategoricalEmbedding?

    public init(_ config: Config) {
        self.config = config
        var layout = ParameterLayout()
        rnn = Recurrent(config.recurrent, prefix: "rnn", layout: &layout)
        head = Linear(inFeatures: config.recurrent.outputSize, outFeatures: config.outputs, prefix: "head", layout: &layout)
        embedding = config.embeddings.map { CategoricalEmbedding($0, rawWidth: config.rawInputSize, layout: &layout) }
        self.layout = layout
    }

    /// A parameter store for this model with PyTorch's default initialisation.
    public func makeParameters(rng: inout SeededGenerator) -> ParameterStore {
        let store = ParameterStore(layout: layout)
        rnn.initialize(store, rng: &rng)
        head.initialize(store, rng: &rng)
        embedding?.initialize(store, rng: &rng)
        return store
    }

    /// Elements of one window's prediction: P (last) or T*P (every step).
    public func predictionCount(length T: Int) -> Int { config.readout == .last ? config.outputs : T * config.outputs }

    /// Buffers for one (batch, length): the recurrent cache plus head input/output and the
    /// gradient buffers. One per thread.
    public final class Workspace: @unchecked Sendable {
        public let cache: RecurrentCache
        /// Predictions, batch-first `[B, P]` or `[B, T, P]`.
        public let pred: FloatBuffer
        let predTimeMajor: FloatBuffer?
        let dPredTimeMajor: FloatBuffer?
        let dTop: FloatBuffer
        /// Embedding table rows used per time-major row `[T*B, K]` (empty without embeddings).
        let indices: UnsafeMutablePointer<Int32>
        public var batch: Int { cache.batch }
        public var length: Int { cache.length }

        public init(model: SequenceRegressor, batch B: Int, length T: Int) {
            let cfg = model.config
            cache = RecurrentCache(config: cfg.recurrent, batch: B, length: T)
            pred = FloatBuffer(count: B * model.predictionCount(length: T))
            predTimeMajor = cfg.readout == .everyStep ? FloatBuffer(count: T * B * cfg.outputs) : nil
            dPredTimeMajor = cfg.readout == .everyStep ? FloatBuffer(count: T * B * cfg.outputs) : nil
            dTop = FloatBuffer(count: T * B * cfg.recurrent.outputSize)
            let K = cfg.embeddings?.count ?? 0
            indices = .allocate(capacity: max(1, T * B * K))
        }

        deinit { indices.deallocate() }
    }

    /// Forward over a batch-first window `x [B, T, I]` (I = `config.rawInputSize`: with
    /// embeddings, index columns expand into vectors as they are moved time-major); returns `ws.pred`.
    /// Initial states, when given, are `[L*D, B, H]`. With `.everyStep`, `readFrom` f > 0 reads
    /// the head at steps f ..< T only: `ws.pred` then starts with `[B, T - f, P]` (span training,
    /// ``SpanRegressor``).
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, workspace ws: Workspace, params: ParameterStore,
                        h0: UnsafePointer<Float>? = nil, c0: UnsafePointer<Float>? = nil,
                        training: Bool = false, readFrom f: Int = 0, rng: inout SeededGenerator) -> FloatBuffer {
        let cache = ws.cache
        let B = cache.batch, T = cache.length
        let rc = config.recurrent
        if let embedding {
            let R = config.rawInputSize
            embedding.forward(x, rows: T * B, rawOffset: { n in ((n % B) * T + n / B) * R }, into: cache.x.pointer,
                              indices: ws.indices, params: params)
        } else {
            transposeBatchTime(x, cache.x.pointer, batch: B, time: T, features: rc.inputSize)
        }
        cache.useInitialState = h0 != nil
        if let h0 { cache.h0.pointer.update(from: h0, count: cache.h0.count) }
        if let c0, rc.cell.hasCellState { cache.c0.pointer.update(from: c0, count: cache.c0.count) }
        else if h0 != nil && rc.cell.hasCellState { cache.c0.zero() }
        rnn.forward(cache, params: params, training: training, rng: &rng)
        let y = cache.output.pointer                                      // [T, B, D*H]
        switch config.readout {
        case .last:
            head.forward(y + (T - 1) * B * rc.outputSize, rows: B, into: ws.pred.pointer, params: params)
        case .everyStep:
            let ptm = ws.predTimeMajor!.pointer                          // [T - f, B, P]
            head.forward(y + f * B * rc.outputSize, rows: (T - f) * B, into: ptm, params: params)
            transposeBatchTime(ptm, ws.pred.pointer, batch: B, time: T - f, features: config.outputs, inverse: true)
        }
        return ws.pred
    }

    /// Backward from `dPred` (same shape as `ws.pred`); accumulates parameter gradients into
    /// `grads`. Afterwards `ws.cache.dX` holds `dL/dx` time-major `[T, B, I]` and
    /// `ws.cache.dH0`/`dC0` the initial-state gradients. `readFrom` as in forward.
    public func backward(_ dPred: UnsafePointer<Float>, workspace ws: Workspace, params: ParameterStore, grads: ParameterStore,
                         readFrom f: Int = 0) {
        let cache = ws.cache
        let B = cache.batch, T = cache.length, DH = config.recurrent.outputSize
        let y = UnsafePointer(cache.output.pointer)
        let dTop = ws.dTop.pointer
        switch config.readout {
        case .last:
            dTop.update(repeating: 0, count: (T - 1) * B * DH)
            head.backward(dPred, x: y + (T - 1) * B * DH, rows: B, dx: dTop + (T - 1) * B * DH, params: params, grads: grads)
        case .everyStep:
            let dtm = ws.dPredTimeMajor!.pointer
            transposeBatchTime(dPred, dtm, batch: B, time: T - f, features: config.outputs)
            dTop.update(repeating: 0, count: f * B * DH)
            head.backward(dtm, x: y + f * B * DH, rows: (T - f) * B, dx: dTop + f * B * DH, params: params, grads: grads)
        }
        rnn.backward(cache, dTop: dTop, params: params, grads: grads)
        if let embedding { embedding.backward(cache.dX!.pointer, rows: T * B, indices: ws.indices, grads: grads) }
    }
}
