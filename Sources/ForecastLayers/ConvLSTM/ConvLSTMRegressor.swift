import CKernels

/// A ConvLSTM stack read out by a 1x1 convolution on the top layer's last hidden state:
///
///     x [B, T, Cin, H, W] ─ConvLSTM→ h_T [B, C, H, W] ─head (1x1)→ pred [B, P, H, W]
///
/// Parameters `conv.*` (one layer) or `{l}.conv.*` (a stack; or `{prefix}.{l}.conv.*`) and
/// `head.weight [P, C, 1, 1]`, `head.bias [P]`: the golden case `convlstm_small` and the
/// `convlstm` benchmark workload (next-frame prediction) are this model.
public struct ConvLSTMRegressor: TrainableModel {
    public struct Config: Codable, Sendable, Equatable {
        public var convLSTM: ConvLSTMConfig
        /// Output channels P of the head.
        public var outputs: Int
        public var length: Int, height: Int, width: Int
        public init(convLSTM: ConvLSTMConfig, outputs: Int, length: Int, height: Int, width: Int) {
            self.convLSTM = convLSTM; self.outputs = outputs
            self.length = length; self.height = height; self.width = width
        }
    }

    public let config: Config
    public let layout: ParameterLayout
    public let stack: ConvLSTM
    public let head: Conv1x1
    /// Whether backward forms dL/dx for ``inputGradient(_:)`` (parity checks need it; training
    /// does not, and skips that part of the work when it is false).
    public var computesInputGradient = true

    public init(_ config: Config) { self.init(config, prefix: nil) }

    public static func checkConfig(_ c: Config, field: String) throws {
        try ConfigLimits.require(c.convLSTM.inputChannels, in: 0...ConfigLimits.channels.upperBound, field: field + ".convLSTM.inputChannels")
        try ConfigLimits.require(c.convLSTM.numLayers, in: ConfigLimits.layers, field: field + ".convLSTM.numLayers")
        for (l, h) in c.convLSTM.hidden.enumerated() { try ConfigLimits.require(h, in: ConfigLimits.channels, field: field + ".convLSTM.hidden[\(l)]") }
        try ConfigLimits.require(c.convLSTM.kernel, in: ConfigLimits.kernel, field: field + ".convLSTM.kernel")
        try ConfigLimits.require(c.outputs, in: ConfigLimits.channels, field: field + ".outputs")
        try ConfigLimits.require(c.length, in: WindowLimits.lookback, field: field + ".length")
        try ConfigLimits.require(c.height, in: ConfigLimits.gridSide, field: field + ".height")
        try ConfigLimits.require(c.width, in: ConfigLimits.gridSide, field: field + ".width")
    }

    public init(_ config: Config, prefix: String?) {
        self.config = config
        var layout = ParameterLayout()
        stack = ConvLSTM(config.convLSTM, prefix: prefix, layout: &layout)
        head = Conv1x1(inChannels: config.convLSTM.outputChannels, outChannels: config.outputs, prefix: "head", layout: &layout)
        self.layout = layout
    }

    public func makeParameters(rng: inout SeededGenerator) -> ParameterStore {
        let store = ParameterStore(layout: layout)
        stack.initialize(store, rng: &rng)
        head.initialize(store, rng: &rng)
        return store
    }

    var pixels: Int { config.height * config.width }
    public var inputCount: Int { config.length * config.convLSTM.inputChannels * pixels }
    public var predictionCount: Int { config.outputs * pixels }
    /// Frame sequences are large: evaluate 16 at a time.
    public var evaluationBatch: Int { 16 }

    public final class Workspace: @unchecked Sendable {
        public let cache: ConvLSTMCache
        /// Predictions `[B, P, H, W]`.
        public let pred: FloatBuffer
        let headOut: FloatBuffer      // [N, P] channels-last
        let dHead: FloatBuffer        // [N, P]
        public var batch: Int { cache.batch }
        init(model: ConvLSTMRegressor, batch B: Int) {
            let c = model.config
            cache = ConvLSTMCache(config: c.convLSTM, batch: B, length: c.length, height: c.height, width: c.width)
            pred = FloatBuffer(count: B * c.outputs * c.height * c.width)
            headOut = FloatBuffer(count: B * c.height * c.width * c.outputs)
            dHead = FloatBuffer(count: B * c.height * c.width * c.outputs)
        }
    }

    public func makeWorkspace(batch: Int) -> Workspace { Workspace(model: self, batch: batch) }

    /// Forward over `x [B, T, Cin, H, W]`; returns `ws.pred` `[B, P, H, W]`. The target is not
    /// read; the pass is the same for training and inference (no dropout).
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, target: UnsafePointer<Float>? = nil, workspace ws: Workspace, params: ParameterStore,
                        pass: ForwardPass = .inference, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        let c = ws.cache, B = c.batch, P = config.outputs
        GridLayout.toTimeMajorChannelsLast(x, c.x.pointer, batch: B, time: c.length, channels: config.convLSTM.inputChannels, pixels: pixels)
        c.useInitialState = false
        c.useFinalStateGradients = false
        stack.forward(c, params: params)
        let top = config.convLSTM.numLayers - 1
        head.forward(c.finalHidden(top), rows: c.rows, into: ws.headOut.pointer, params: params)   // [N, P]
        fk_channels_first(Int32(B), Int32(P), Int32(pixels), ws.headOut.pointer, ws.pred.pointer)
        return ws.pred.pointer
    }

    /// Backward from `dPred [B, P, H, W]`; afterwards ``inputGradient(_:)`` gives dL/dx.
    public func backward(_ dPred: UnsafePointer<Float>, workspace ws: Workspace, params: ParameterStore, grads: ParameterStore) {
        let c = ws.cache, B = c.batch, P = config.outputs
        let top = config.convLSTM.numLayers - 1
        fk_channels_last(Int32(B), Int32(P), Int32(pixels), dPred, ws.dHead.pointer)
        // The head reads the last hidden state only: its gradient enters as dh_N of the top layer.
        for l in 0..<config.convLSTM.numLayers { c.dhN[l].zero(); c.dcN[l].zero() }
        head.backward(ws.dHead.pointer, x: c.finalHidden(top), rows: c.rows, dx: c.dhN[top].pointer, params: params, grads: grads)
        c.useFinalStateGradients = true
        stack.backward(c, dTop: nil, params: params, grads: grads, inputGradient: computesInputGradient)
    }

    /// dL/dx `[B, T, Cin, H, W]` after ``backward(_:workspace:params:grads:)``.
    public func inputGradient(_ ws: Workspace) -> [Float] {
        let c = ws.cache
        var out = [Float](repeating: 0, count: c.batch * inputCount)
        guard let dX = c.dX, config.convLSTM.inputChannels > 0 else { return out }
        out.withUnsafeMutableBufferPointer {
            GridLayout.toBatchFirstChannelsFirst(dX.pointer, $0.baseAddress!, batch: c.batch, time: c.length,
                                                 channels: config.convLSTM.inputChannels, pixels: pixels)
        }
        return out
    }

    /// The top layer's final states `[B, C, H, W]` (hidden, cell) after forward.
    public func finalStates(_ ws: Workspace) -> (h: [Float], c: [Float]) {
        let c = ws.cache, C = config.convLSTM.outputChannels, top = config.convLSTM.numLayers - 1
        var h = [Float](repeating: 0, count: c.rows * C), cc = h
        h.withUnsafeMutableBufferPointer { fk_channels_first(Int32(c.batch), Int32(C), Int32(pixels), c.finalHidden(top), $0.baseAddress!) }
        cc.withUnsafeMutableBufferPointer { fk_channels_first(Int32(c.batch), Int32(C), Int32(pixels), c.finalCell(top), $0.baseAddress!) }
        return (h, cc)
    }
}
