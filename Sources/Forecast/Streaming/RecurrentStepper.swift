/// One step of a unidirectional, undilated ``SequenceRegressor`` (readout `.last`) from a
/// carried state: `h, c [L, 1, H]` → the step's head output `[outputs]` and the new state.
///
/// Per step each layer does `W_ih x + W_hh h` and its gate math, `O(L·G·H·(I + H))` work, the
/// same kernels as one step inside a window (the network's forward with length 1 and the
/// carried state as its initial state). The first step starts from a zero state, as a window
/// does. Belongs to one thread at a time.
public final class RecurrentStepper: @unchecked Sendable {
    public let model: SequenceRegressor
    public let params: ParameterStore
    /// Steps taken since the zero state.
    public private(set) var steps = 0
    private let workspace: SequenceRegressor.Workspace
    private var h: [Float]
    private var c: [Float]
    private var rng = SeededGenerator(seed: 0)

    /// Whether `config` can be stepped: unidirectional (a reverse direction needs the future),
    /// undilated, readout `.last`.
    public static func supports(_ config: SequenceRegressor.Config) -> Bool {
        !config.recurrent.bidirectional && config.recurrent.isUndilated && config.readout == .last
    }

    public init(model: SequenceRegressor, params: ParameterStore) {
        precondition(Self.supports(model.config), "RecurrentStepper needs a unidirectional, undilated regressor with readout .last")
        self.model = model
        self.params = params
        let rc = model.config.recurrent
        workspace = SequenceRegressor.Workspace(model: model, batch: 1, length: 1)
        // One step is far too little work to share between threads (results do not depend on it).
        workspace.cache.pipelineThreads = 1
        h = [Float](repeating: 0, count: rc.numLayers * rc.hiddenSize)
        c = [Float](repeating: 0, count: rc.cell.hasCellState ? rc.numLayers * rc.hiddenSize : 0)
    }

    /// Advances the state by one input `x [I]` (model units); returns the head's output for
    /// the new state, `[outputs]`, valid until the next step.
    @discardableResult
    public func step(_ x: UnsafePointer<Float>) -> UnsafeBufferPointer<Float> {
        let ws = workspace
        let first = steps == 0, hasC = !c.isEmpty
        h.withUnsafeBufferPointer { hp in
            c.withUnsafeBufferPointer { cp in
                _ = model.forward(x, workspace: ws, params: params, h0: first ? nil : hp.baseAddress!,
                                  c0: first || !hasC ? nil : cp.baseAddress!, rng: &rng)
            }
        }
        h.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: ws.cache.hN.pointer, count: $0.count) }
        if hasC { c.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: ws.cache.cN.pointer, count: $0.count) } }
        steps += 1
        return output
    }

    /// The head's output after the last step `[outputs]`.
    public var output: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: workspace.pred.pointer, count: model.config.outputs) }
}
