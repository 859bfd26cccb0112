import CKernels

/// The encoder–forecaster of Shi et al. (2015) for precipitation nowcasting:
///
///     frames x [B, Tin, Cd, H, W]
///       ─space-to-depth (patch p)→ [Tin, B, H/p, W/p, Cd·p²]
///       ─encoder ConvLSTM stack (L layers)→ final states (h_l, c_l) of every layer
///       ─copied into the forecaster stack (L layers, same widths), which runs Tout steps
///        with no input (its layer 0 has 0 input channels: it is driven by its state alone)
///       ─1x1 conv head on the top forecaster layer at every step → Cd·p² channels
///       ─output activation (softplus by default: rain is never negative)
///       ─depth-to-space→ predictions [B, Tout, Cd, H, W]
///
/// Parameters: `encoder.{l}.conv.weight [4C_l, Cin_l + C_l, k, k]`, `encoder.{l}.conv.bias`,
/// `forecaster.{l}.conv.weight [4C_l, Cin'_l + C_l, k, k]` (Cin'_0 = 0), `forecaster.{l}.conv.bias`,
/// `head.weight [Cd·p², C_top, 1, 1]`, `head.bias`.
///
/// Patching (space-to-depth, PyTorch's `pixel_unshuffle` order: patched channel
/// `c·p² + dy·p + dx` holds pixel `(Y·p + dy, X·p + dx)`) shrinks the grid the recurrent
/// convolutions walk by p² and widens their receptive field p-fold; a grid whose sides are not
/// multiples of p is padded with zeros on the bottom and right (predictions there are cropped).
public struct EncoderForecaster: TrainableModel {
    public enum OutputActivation: String, Codable, Sendable, CaseIterable {
        /// log(1 + eˣ): smooth, never negative (the default for rain).
        case softplus
        /// max(x, 0).
        case relu
        /// No constraint.
        case identity
    }

    public struct Config: Codable, Sendable, Equatable {
        /// Data channels per frame (1 for a single rain field).
        public var channels: Int
        /// The full-resolution grid.
        public var height: Int, width: Int
        /// Space-to-depth patch size (1: no patching).
        public var patch: Int
        /// Hidden channels per layer (encoder and forecaster alike).
        public var hidden: [Int]
        /// Odd kernel size of the recurrent convolutions.
        public var kernel: Int
        public var inFrames: Int, outFrames: Int
        public var output: OutputActivation

        public init(channels: Int = 1, height: Int, width: Int, patch: Int = 1, hidden: [Int] = [32, 32], kernel: Int = 3,
                    inFrames: Int = 10, outFrames: Int = 10, output: OutputActivation = .softplus) {
            self.channels = channels; self.height = height; self.width = width; self.patch = patch
            self.hidden = hidden; self.kernel = kernel; self.inFrames = inFrames; self.outFrames = outFrames
            self.output = output
        }

        /// The grid the recurrent layers see.
        public var patchedHeight: Int { (height + patch - 1) / max(patch, 1) }
        public var patchedWidth: Int { (width + patch - 1) / max(patch, 1) }
        public var patchedChannels: Int { channels * patch * patch }

        public var encoder: ConvLSTMConfig { ConvLSTMConfig(inputChannels: patchedChannels, hidden: hidden, kernel: kernel) }
        public var forecaster: ConvLSTMConfig { ConvLSTMConfig(inputChannels: 0, hidden: hidden, kernel: kernel) }

        /// A description of what is wrong, or nil.
        public var problem: String? {
            if channels < 1 { return "at least one data channel is needed" }
            if height < 1 || width < 1 { return "the grid must be at least 1x1 (got \(height)x\(width))" }
            if ![1, 2, 4, 8].contains(patch) { return "the patch size must be 1, 2, 4 or 8 (got \(patch))" }
            if inFrames < 1 || outFrames < 1 { return "in-frames and out-frames must be at least 1 (got \(inFrames), \(outFrames))" }
            return encoder.problem
        }
    }

    public let config: Config
    public let layout: ParameterLayout
    public let encoder: ConvLSTM
    public let forecaster: ConvLSTM
    public let head: Conv1x1

    /// The configuration must be valid (``Config/problem`` is nil).
    public static func checkConfig(_ c: Config, field: String) throws { try ConfigLimits.check(c, field: field) }

    public init(_ config: Config) {
        precondition(config.problem == nil, config.problem ?? "")
        self.config = config
        var layout = ParameterLayout()
        encoder = ConvLSTM(config.encoder, prefix: "encoder", layout: &layout)
        forecaster = ConvLSTM(config.forecaster, prefix: "forecaster", layout: &layout)
        head = Conv1x1(inChannels: config.hidden.last ?? 1, outChannels: config.patchedChannels, prefix: "head", layout: &layout)
        self.layout = layout
    }

    /// PyTorch's default initialisation, with the forget-gate bias raised by 1 (a common
    /// choice for recurrent nets that must carry state over many steps).
    public func makeParameters(rng: inout SeededGenerator) -> ParameterStore {
        let store = ParameterStore(layout: layout)
        encoder.initialize(store, rng: &rng, forgetBias: 1)
        forecaster.initialize(store, rng: &rng, forgetBias: 1)
        head.initialize(store, rng: &rng)
        return store
    }

    var pixels: Int { config.height * config.width }
    public var inputCount: Int { config.inFrames * config.channels * pixels }
    public var predictionCount: Int { config.outFrames * config.channels * pixels }
    /// Frame sequences are large: evaluate 16 at a time.
    public var evaluationBatch: Int { 16 }

    public final class Workspace: @unchecked Sendable {
        public let encoderCache: ConvLSTMCache
        public let forecasterCache: ConvLSTMCache
        /// Predictions `[B, Tout, Cd, H, W]`.
        public let pred: FloatBuffer
        let z: FloatBuffer            // head pre-activations [Tout, N, Cd·p²]
        let dZ: FloatBuffer           // [Tout, N, Cd·p²]
        let dTop: FloatBuffer         // [Tout, N, C_top]
        public var batch: Int { encoderCache.batch }
        init(model: EncoderForecaster, batch B: Int) {
            let c = model.config
            let Hp = c.patchedHeight, Wp = c.patchedWidth, N = B * Hp * Wp
            encoderCache = ConvLSTMCache(config: c.encoder, batch: B, length: c.inFrames, height: Hp, width: Wp)
            forecasterCache = ConvLSTMCache(config: c.forecaster, batch: B, length: c.outFrames, height: Hp, width: Wp)
            pred = FloatBuffer(count: B * model.predictionCount)
            z = FloatBuffer(count: c.outFrames * N * c.patchedChannels)
            dZ = FloatBuffer(count: c.outFrames * N * c.patchedChannels)
            dTop = FloatBuffer(count: c.outFrames * N * (c.hidden.last ?? 1))
        }
    }

    public func makeWorkspace(batch: Int) -> Workspace { Workspace(model: self, batch: batch) }

    // MARK: Patching

    /// `src [B, T, Cd, H, W]` → `dst [T, B·Hp·Wp, Cd·p²]` (zeros where the padding is).
    func spaceToDepth(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, batch B: Int, time T: Int) {
        let c = config, p = c.patch, H = c.height, W = c.width, Hp = c.patchedHeight, Wp = c.patchedWidth
        let Cd = c.channels, PC = c.patchedChannels
        if p == 1 {
            GridLayout.toTimeMajorChannelsLast(src, dst, batch: B, time: T, channels: Cd, pixels: H * W)
            return
        }
        if H % p != 0 || W % p != 0 { dst.update(repeating: 0, count: T * B * Hp * Wp * PC) }
        for t in 0..<T {
            for b in 0..<B {
                let s = src + (b * T + t) * Cd * H * W
                let d = dst + (t * B + b) * Hp * Wp * PC
                for ch in 0..<Cd {
                    for y in 0..<H {
                        let Y = y / p, dy = y % p
                        for x in 0..<W {
                            let X = x / p, dx = x % p
                            d[(Y * Wp + X) * PC + ch * p * p + dy * p + dx] = s[(ch * H + y) * W + x]
                        }
                    }
                }
            }
        }
    }

    /// The inverse: `src [T, B·Hp·Wp, Cd·p²]` → `dst [B, T, Cd, H, W]` (padding dropped).
    func depthToSpace(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, batch B: Int, time T: Int) {
        let c = config, p = c.patch, H = c.height, W = c.width, Wp = c.patchedWidth, Hp = c.patchedHeight
        let Cd = c.channels, PC = c.patchedChannels
        if p == 1 {
            GridLayout.toBatchFirstChannelsFirst(src, dst, batch: B, time: T, channels: Cd, pixels: H * W)
            return
        }
        for t in 0..<T {
            for b in 0..<B {
                let s = src + (t * B + b) * Hp * Wp * PC
                let d = dst + (b * T + t) * Cd * H * W
                for ch in 0..<Cd {
                    for y in 0..<H {
                        let Y = y / p, dy = y % p
                        for x in 0..<W {
                            let X = x / p, dx = x % p
                            d[(ch * H + y) * W + x] = s[(Y * Wp + X) * PC + ch * p * p + dy * p + dx]
                        }
                    }
                }
            }
        }
    }

    // MARK: Forward and backward

    /// Forward over `x [B, Tin, Cd, H, W]`; returns `ws.pred` `[B, Tout, Cd, H, W]`.
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, target: UnsafePointer<Float>? = nil, workspace ws: Workspace, params: ParameterStore,
                        pass: ForwardPass = .inference, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float> {
        let enc = ws.encoderCache, fc = ws.forecasterCache
        let B = enc.batch, N = enc.rows, Tout = config.outFrames, PC = config.patchedChannels
        spaceToDepth(x, enc.x.pointer, batch: B, time: config.inFrames)
        enc.useInitialState = false
        enc.useFinalStateGradients = false
        encoder.forward(enc, params: params)
        for l in 0..<config.hidden.count {
            fc.h0[l].pointer.update(from: enc.finalHidden(l), count: N * config.hidden[l])
            fc.c0[l].pointer.update(from: enc.finalCell(l), count: N * config.hidden[l])
        }
        fc.useInitialState = true
        fc.useFinalStateGradients = false
        forecaster.forward(fc, params: params)
        let z = ws.z.pointer                                              // [Tout, N, PC]
        head.forward(fc.output.pointer, rows: Tout * N, into: z, params: params)
        let n = Tout * N * PC
        let a = ws.dZ.pointer                                             // scratch: activated [Tout, N, PC]
        switch config.output {
        case .softplus: fk_softplus(Int32(n), z, a)
        case .relu: for i in 0..<n { a[i] = z[i] > 0 ? z[i] : 0 }
        case .identity: a.update(from: z, count: n)
        }
        depthToSpace(a, ws.pred.pointer, batch: B, time: Tout)
        return ws.pred.pointer
    }

    /// Backward from `dPred [B, Tout, Cd, H, W]`; accumulates parameter gradients into `grads`.
    public func backward(_ dPred: UnsafePointer<Float>, workspace ws: Workspace, params: ParameterStore, grads: ParameterStore) {
        let enc = ws.encoderCache, fc = ws.forecasterCache
        let B = enc.batch, N = enc.rows, Tout = config.outFrames, PC = config.patchedChannels
        let n = Tout * N * PC
        let dA = ws.dZ.pointer, z = UnsafePointer(ws.z.pointer)
        spaceToDepth(dPred, dA, batch: B, time: Tout)                     // [Tout, N, PC]
        switch config.output {
        case .softplus: fk_softplus_backward(Int32(n), z, dA, dA)
        case .relu: for i in 0..<n where z[i] <= 0 { dA[i] = 0 }
        case .identity: break
        }
        head.backward(dA, x: fc.output.pointer, rows: Tout * N, dx: ws.dTop.pointer, params: params, grads: grads)
        forecaster.backward(fc, dTop: ws.dTop.pointer, params: params, grads: grads)
        // The forecaster started from the encoder's final states: their gradients flow back.
        for l in 0..<config.hidden.count {
            enc.dhN[l].pointer.update(from: fc.dH0[l].pointer, count: N * config.hidden[l])
            enc.dcN[l].pointer.update(from: fc.dC0[l].pointer, count: N * config.hidden[l])
        }
        enc.useFinalStateGradients = true
        encoder.backward(enc, dTop: nil, params: params, grads: grads, inputGradient: false)
    }
}
