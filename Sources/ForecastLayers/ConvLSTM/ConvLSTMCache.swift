/// Everything one ``ConvLSTM`` pass over a (batch, length, height, width) needs and keeps for
/// backward, allocated once and reused by every call with the same sizes. One per thread.
///
/// Internally maps are time-major and channels-last: a step of the whole batch is a
/// `[B*H*W, C]` matrix (N = B*H*W pixel rows), so one GEMM per step writes the gates of every
/// pixel of every image and the fused gate math walks rows. Public entry points of the models
/// take PyTorch's batch-first `[B, T, C, H, W]` and convert at the boundary.
public final class ConvLSTMCache: @unchecked Sendable {
    public let config: ConvLSTMConfig
    public let batch: Int, length: Int, height: Int, width: Int
    /// Pixel rows per step: B*H*W.
    public var rows: Int { batch * height * width }

    /// Input of layer 0 `[T, N, Cin]` (written by the caller).
    public let x: FloatBuffer
    /// Initial states per layer `[N, C_l]`, read when `useInitialState`.
    public let h0: [FloatBuffer]
    public let c0: [FloatBuffer]
    public var useInitialState = false

    /// Per layer: outputs h `[T, N, C]`, cell states `[T, N, C]`, activated gates `[T, N, 4C]`.
    public let hs: [FloatBuffer]
    let cs: [FloatBuffer]
    let gates: [FloatBuffer]
    /// Per layer: the weight in im2row's column order `[4C, k*k*(Cin_l + C)]` (made by forward
    /// from the parameters, reused by backward).
    let reordered: [FloatBuffer]
    /// One step's im2row matrix `[N, k*k*(Cin_l + C_l)]`, the widest layer's size.
    let im2row: FloatBuffer
    /// Row stride of `im2row` for layer l: k*k*(Cin_l + C_l).
    func rowWidth(_ l: Int) -> Int { config.kernel * config.kernel * (config.inputChannels(ofLayer: l) + config.hidden[l]) }

    /// Gradients with respect to the final states `[N, C_l]` per layer, read by backward when
    /// `useFinalStateGradients` (e.g. a forecaster's gradients flowing back into the encoder).
    public let dhN: [FloatBuffer]
    public let dcN: [FloatBuffer]
    public var useFinalStateGradients = false

    // Backward buffers, created on first use.
    var dGates: FloatBuffer?        // [N, 4C] one step
    var dRows: FloatBuffer?         // [N, k*k*(Cin + C)] one step
    var dReordered: [FloatBuffer] = []  // per layer, reordered weight gradient
    var carryH: FloatBuffer?        // [N, C]
    var carryC: FloatBuffer?        // [N, C]
    var dPing: FloatBuffer?         // [T, N, C_max] gradient passed down between layers
    var dPong: FloatBuffer?
    /// Gradient with respect to `x` `[T, N, Cin]` after backward (when Cin > 0).
    public private(set) var dX: FloatBuffer?
    /// Gradients with respect to the initial states per layer `[N, C_l]` after backward.
    public private(set) var dH0: [FloatBuffer] = []
    public private(set) var dC0: [FloatBuffer] = []

    public init(config: ConvLSTMConfig, batch: Int, length: Int, height: Int, width: Int) {
        self.config = config
        self.batch = batch
        self.length = length
        self.height = height
        self.width = width
        let N = batch * height * width, T = length, k2 = config.kernel * config.kernel
        x = FloatBuffer(count: T * N * config.inputChannels)
        h0 = config.hidden.map { FloatBuffer(count: N * $0) }
        c0 = config.hidden.map { FloatBuffer(count: N * $0) }
        hs = config.hidden.map { FloatBuffer(count: T * N * $0) }
        cs = config.hidden.map { FloatBuffer(count: T * N * $0) }
        gates = config.hidden.map { FloatBuffer(count: T * N * 4 * $0) }
        reordered = (0..<config.numLayers).map { l in
            FloatBuffer(count: 4 * config.hidden[l] * k2 * (config.inputChannels(ofLayer: l) + config.hidden[l]))
        }
        let widest = (0..<config.numLayers).map { k2 * (config.inputChannels(ofLayer: $0) + config.hidden[$0]) }.max() ?? 0
        im2row = FloatBuffer(count: N * widest)
        dhN = config.hidden.map { FloatBuffer(count: N * $0) }
        dcN = config.hidden.map { FloatBuffer(count: N * $0) }
    }

    /// The top layer's outputs `[T, N, C_top]`.
    public var output: FloatBuffer { hs[config.numLayers - 1] }

    /// Layer l's final hidden state `[N, C_l]` (step T-1 of `hs[l]`).
    public func finalHidden(_ l: Int) -> UnsafeMutablePointer<Float> { hs[l].pointer + (length - 1) * rows * config.hidden[l] }
    /// Layer l's final cell state `[N, C_l]`.
    public func finalCell(_ l: Int) -> UnsafeMutablePointer<Float> { cs[l].pointer + (length - 1) * rows * config.hidden[l] }

    func prepareBackward() {
        if dGates != nil { return }
        let N = rows, T = length
        let cmax = config.hidden.max() ?? 0
        dGates = FloatBuffer(count: N * 4 * cmax)
        dRows = FloatBuffer(count: im2row.count)
        dReordered = reordered.map { FloatBuffer(count: $0.count) }
        carryH = FloatBuffer(count: N * cmax)
        carryC = FloatBuffer(count: N * cmax)
        if config.numLayers > 1 {
            dPing = FloatBuffer(count: T * N * cmax)
            dPong = FloatBuffer(count: T * N * cmax)
        }
        dX = FloatBuffer(count: T * N * config.inputChannels)
        dH0 = config.hidden.map { FloatBuffer(count: N * $0) }
        dC0 = config.hidden.map { FloatBuffer(count: N * $0) }
    }
}
