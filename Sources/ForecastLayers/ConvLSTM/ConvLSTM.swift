import CKernels

/// A stacked convolutional LSTM layer (Shi et al. 2015) with PyTorch-style parameters:
///
///     {layer prefix}conv.weight  [4C, Cin + C, k, k]   gates i, f, g, o stacked; input channels first, then hidden
///     {layer prefix}conv.bias    [4C]
///
/// The layer prefix of layer l is `"{prefix}.{l}."` (e.g. `encoder.0.conv.weight`); without a
/// prefix a single layer is plain `conv.weight` (as the golden cases and a PyTorch module
/// holding `self.conv = nn.Conv2d(Cin + C, 4C, k, padding=k // 2)`), and a stack is `{l}.conv.*`.
///
/// Like ``Recurrent`` the layer is a description (offsets into a ``ParameterStore``); all
/// per-call memory lives in a ``ConvLSTMCache``. Per layer and step the forward pass builds the
/// im2row matrix of the concatenated `[x_t, h_{t-1}]` for the whole batch, does one GEMM
/// `[N, k*k*(Cin+C)] x [k*k*(Cin+C), 4C]` (N = B*H*W pixel rows), and runs the fused gate math.
/// At the first step without an initial state only the input part of the rows is used.
/// Backward walks time in reverse: the fused gate backward (the LSTM's math, vectorised over
/// channels) gives dGates and the bias gradient; the im2row matrix of the step is rebuilt (cheaper in memory than keeping
/// T of them); `dW += dGatesᵀ rows` and `dRows = dGates W` are one GEMM each, and row2im
/// (the adjoint of im2row) turns dRows into the gradients for `x_t` and `h_{t-1}`.
/// Nothing is allocated inside the time loops.
public struct ConvLSTM: Sendable {
    public let config: ConvLSTMConfig
    public let prefix: String?

    struct Slot: Sendable { let weight: Int, bias: Int }
    let slots: [Slot]

    /// The name prefix of layer `l`'s tensors (ends with a dot, or is empty).
    public static func layerPrefix(_ prefix: String?, layer l: Int, layers L: Int) -> String {
        if let prefix, !prefix.isEmpty { return "\(prefix).\(l)." }
        return L > 1 ? "\(l)." : ""
    }

    /// Adds the layer's parameters to `layout`. The configuration must be valid
    /// (``ConvLSTMConfig/problem`` is nil).
    public init(_ config: ConvLSTMConfig, prefix: String? = nil, layout: inout ParameterLayout) {
        precondition(config.problem == nil, config.problem ?? "")
        self.config = config
        self.prefix = prefix
        let k = config.kernel
        var slots: [Slot] = []
        for l in 0..<config.numLayers {
            let C = config.hidden[l], cin = config.inputChannels(ofLayer: l)
            let p = Self.layerPrefix(prefix, layer: l, layers: config.numLayers)
            let w = layout.add("\(p)conv.weight", [4 * C, cin + C, k, k])
            let b = layout.add("\(p)conv.bias", [4 * C])
            slots.append(Slot(weight: w, bias: b))
        }
        self.slots = slots
    }

    /// PyTorch's `nn.Conv2d` default: weight and bias uniform in `[-1/√fan_in, 1/√fan_in]`,
    /// fan_in = (Cin + C) k². When `forgetBias` is not zero it is added to the forget gate's bias.
    public func initialize(_ params: ParameterStore, rng: inout SeededGenerator, forgetBias: Float = 0) {
        let k = config.kernel
        for (l, s) in slots.enumerated() {
            let C = config.hidden[l], cz = config.inputChannels(ofLayer: l) + C
            let bound = 1 / Float(cz * k * k).squareRoot()
            for i in 0..<(4 * C * cz * k * k) { params.base[s.weight + i] = rng.nextFloat(in: -bound, bound) }
            for i in 0..<(4 * C) { params.base[s.bias + i] = rng.nextFloat(in: -bound, bound) }
            for j in 0..<C { params.base[s.bias + C + j] += forgetBias }
        }
        params.markModified()
    }

    // MARK: Forward

    /// Runs the whole sequence. Reads `cache.x` `[T, N, Cin]` (and `cache.h0`/`c0` when
    /// `cache.useInitialState`); writes every layer's outputs `cache.hs[l]` `[T, N, C_l]`,
    /// cell states and activated gates. Final states are step T-1 of those
    /// (``ConvLSTMCache/finalHidden(_:)``).
    public func forward(_ cache: ConvLSTMCache, params: ParameterStore) {
        let cfg = config
        let T = cache.length, N = cache.rows, B = cache.batch, Hg = cache.height, Wg = cache.width
        let k = cfg.kernel, k2 = k * k
        let p = params.base
        let rows = cache.im2row.pointer                                   // [N, K]
        var input: UnsafePointer<Float>? = cfg.inputChannels > 0 ? UnsafePointer(cache.x.pointer) : nil
        for l in 0..<cfg.numLayers {
            let cin = cfg.inputChannels(ofLayer: l), C = cfg.hidden[l], G = 4 * C
            let K = k2 * (cin + C), Kx = k2 * cin
            let slot = slots[l]
            let wr = cache.reordered[l].pointer                           // [4C, K]
            fk_conv_reorder_weight(Int32(G), Int32(cin), Int32(C), Int32(k), p + slot.weight, wr)
            let hs = cache.hs[l].pointer, cs = cache.cs[l].pointer        // [T, N, C]
            let gates = cache.gates[l].pointer                            // [T, N, 4C]
            for t in 0..<T {
                let hPrev: UnsafePointer<Float>? = t > 0 ? UnsafePointer(hs + (t - 1) * N * C)
                    : (cache.useInitialState ? UnsafePointer(cache.h0[l].pointer) : nil)
                let cPrev: UnsafePointer<Float>? = t > 0 ? UnsafePointer(cs + (t - 1) * N * C)
                    : (cache.useInitialState ? UnsafePointer(cache.c0[l].pointer) : nil)
                let xt = input.map { $0 + t * N * cin }                   // [N, Cin]
                let g = gates + t * N * G                                 // [N, 4C]
                let width = hPrev != nil ? K : Kx
                if width > 0 {
                    fk_conv_im2row(Int32(B), Int32(Hg), Int32(Wg), Int32(k), xt, Int32(cin), hPrev, Int32(C), rows, Int32(K))
                    // [N, width] x [width, 4C]
                    gemm(transB: true, m: N, n: G, k: width, a: rows, lda: K, b: wr, ldb: K, c: g, ldc: G)
                } else {
                    g.update(repeating: 0, count: N * G)
                }
                fk_convlstm_forward(Int32(N), Int32(C), g, p + slot.bias, cPrev, cs + t * N * C, hs + t * N * C)
            }
            input = UnsafePointer(hs)
        }
    }

    // MARK: Backward

    /// Backpropagates through time. `dTop` `[T, N, C_top]` is the gradient with respect to
    /// the top layer's outputs (nil: zero); when `cache.useFinalStateGradients`, `cache.dhN`/
    /// `dcN` add gradients with respect to every layer's final states. Accumulates (`+=`)
    /// parameter gradients into `grads`; leaves `cache.dX` `[T, N, Cin]` when `inputGradient`
    /// (and Cin > 0) and `cache.dH0`/`dC0` when the forward pass used initial states.
    public func backward(_ cache: ConvLSTMCache, dTop: UnsafePointer<Float>?, params: ParameterStore, grads: ParameterStore,
                         inputGradient: Bool = true) {
        cache.prepareBackward()
        let cfg = config
        let T = cache.length, N = cache.rows, B = cache.batch, Hg = cache.height, Wg = cache.width
        let k = cfg.kernel, k2 = k * k, L = cfg.numLayers
        let gp = grads.base
        let rows = cache.im2row.pointer                                   // [N, K]
        let dRows = cache.dRows!.pointer                                  // [N, K]
        let dG = cache.dGates!.pointer                                    // [N, 4C]
        let carryH = cache.carryH!.pointer, carryC = cache.carryC!.pointer  // [N, C]
        var dY: UnsafePointer<Float>? = dTop                              // gradient for layer l's outputs
        var usePing = true
        for l in stride(from: L - 1, through: 0, by: -1) {
            let cin = cfg.inputChannels(ofLayer: l), C = cfg.hidden[l], G = 4 * C
            let K = k2 * (cin + C), Kx = k2 * cin
            let slot = slots[l]
            let wr = UnsafePointer(cache.reordered[l].pointer)            // [4C, K]
            let dwr = cache.dReordered[l].pointer                         // [4C, K]
            dwr.update(repeating: 0, count: G * K)
            let input: UnsafePointer<Float>? = l == 0 ? (cin > 0 ? UnsafePointer(cache.x.pointer) : nil) : UnsafePointer(cache.hs[l - 1].pointer)
            let dIn: UnsafeMutablePointer<Float>? = cin == 0 ? nil
                : (l == 0 ? (inputGradient ? cache.dX!.pointer : nil) : (usePing ? cache.dPing! : cache.dPong!).pointer)
            let hs = UnsafePointer(cache.hs[l].pointer), cs = UnsafePointer(cache.cs[l].pointer)
            let gates = UnsafePointer(cache.gates[l].pointer)
            if cache.useFinalStateGradients {
                carryH.update(from: cache.dhN[l].pointer, count: N * C)
                carryC.update(from: cache.dcN[l].pointer, count: N * C)
            } else {
                carryH.update(repeating: 0, count: N * C)
                carryC.update(repeating: 0, count: N * C)
            }
            for t in stride(from: T - 1, through: 0, by: -1) {
                let hPrev: UnsafePointer<Float>? = t > 0 ? hs + (t - 1) * N * C
                    : (cache.useInitialState ? UnsafePointer(cache.h0[l].pointer) : nil)
                let cPrev: UnsafePointer<Float>? = t > 0 ? cs + (t - 1) * N * C
                    : (cache.useInitialState ? UnsafePointer(cache.c0[l].pointer) : nil)
                let dy: UnsafePointer<Float>? = dY.map { $0 + t * N * C }
                // dGates [N, 4C] and the bias gradient; carryC becomes the gradient for c_{t-1}.
                fk_convlstm_backward(Int32(N), Int32(C), gates + t * N * G, cs + t * N * C, cPrev, dy, carryH, carryC, dG, gp + slot.bias)
                let width = hPrev != nil ? K : Kx
                guard width > 0 else { continue }
                let xt = input.map { $0 + t * N * cin }
                fk_conv_im2row(Int32(B), Int32(Hg), Int32(Wg), Int32(k), xt, Int32(cin), hPrev, Int32(C), rows, Int32(K))
                // dW[:, :width] += dGᵀ rows : [4C, N] x [N, width]
                gemm(transA: true, m: G, n: width, k: N, a: dG, lda: G, b: rows, ldb: K, beta: 1, c: dwr, ldc: K)
                // dRows = dG W over the columns someone needs: [N, 4C] x [4C, cols]
                let from = dIn != nil ? 0 : Kx
                if width > from {
                    gemm(m: N, n: width - from, k: G, a: dG, lda: G, b: wr + from, ldb: K, c: dRows + from, ldc: K)
                }
                if let dIn {
                    fk_conv_row2im(Int32(B), Int32(Hg), Int32(Wg), Int32(k), dRows, Int32(K), 0, Int32(cin), dIn + t * N * cin, 0)
                }
                if hPrev != nil {
                    // The gradient for h_{t-1}, carried to the previous step (replaces carryH).
                    fk_conv_row2im(Int32(B), Int32(Hg), Int32(Wg), Int32(k), dRows, Int32(K), Int32(Kx), Int32(C), carryH, 0)
                }
            }
            if cache.useInitialState {
                cache.dH0[l].pointer.update(from: carryH, count: N * C)
                cache.dC0[l].pointer.update(from: carryC, count: N * C)
            }
            fk_conv_reorder_weight_grad_add(Int32(G), Int32(cin), Int32(C), Int32(k), dwr, gp + slot.weight)
            dY = dIn.map { UnsafePointer($0) }
            usePing.toggle()
        }
    }
}
