import CKernels

/// A stacked, optionally bidirectional recurrent layer (`RNN`, `LSTM` or `GRU`) with
/// PyTorch's parameter names and gate layouts:
///
///     {prefix}.weight_ih_l{k}[_reverse]  [G*H, in_k]   in_0 = I, in_k = D*H
///     {prefix}.weight_hh_l{k}[_reverse]  [G*H, H]
///     {prefix}.bias_ih_l{k}[_reverse]    [G*H]
///     {prefix}.bias_hh_l{k}[_reverse]    [G*H]
///
/// The layer is a description (offsets into a ``ParameterStore``); it holds no weights and no
/// state, so one instance serves any number of threads, each with its own ``RecurrentCache``.
///
/// Per layer and direction the forward pass does one GEMM for the input projection of the
/// whole window (`[T*B, in] x [in, G*H]`), then per step one GEMM `h_{t-1} W_hhᵀ` and the fused
/// gate math. Backward walks time in reverse carrying dh (and dc), keeps the pre-activation
/// gradients of every step, and then forms `dW_ih`, `dW_hh` and the input gradient with one
/// large GEMM each.
public struct Recurrent: Sendable {
    public let config: RecurrentConfig
    public let prefix: String

    struct Slot: Sendable {
        let weightIH: Int, weightHH: Int, biasIH: Int, biasHH: Int
        let inputSize: Int
    }
    /// Offsets per (layer, direction), index `l*D + d`.
    let slots: [Slot]

    /// Adds this layer's parameters to `layout` in PyTorch's order.
    public init(_ config: RecurrentConfig, prefix: String = "rnn", layout: inout ParameterLayout) {
        self.config = config
        self.prefix = prefix
        let G = config.cell.gates, H = config.hiddenSize
        var slots: [Slot] = []
        for l in 0..<config.numLayers {
            let inSize = l == 0 ? config.inputSize : config.outputSize
            for d in 0..<config.directions {
                let sfx = "_l\(l)" + (d == 1 ? "_reverse" : "")
                let wih = layout.add("\(prefix).weight_ih\(sfx)", [G * H, inSize])
                let whh = layout.add("\(prefix).weight_hh\(sfx)", [G * H, H])
                let bih = layout.add("\(prefix).bias_ih\(sfx)", [G * H])
                let bhh = layout.add("\(prefix).bias_hh\(sfx)", [G * H])
                slots.append(Slot(weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh, inputSize: inSize))
            }
        }
        self.slots = slots
    }

    /// PyTorch's default initialisation: every weight and bias uniform in `[-1/√H, 1/√H]`.
    public func initialize(_ params: ParameterStore, rng: inout SeededGenerator) {
        let k = 1 / Float(config.hiddenSize).squareRoot()
        let G = config.cell.gates, H = config.hiddenSize
        for s in slots {
            for (off, n) in [(s.weightIH, G * H * s.inputSize), (s.weightHH, G * H * H), (s.biasIH, G * H), (s.biasHH, G * H)] {
                for i in 0..<n { params.base[off + i] = rng.nextFloat(in: -k, k) }
            }
        }
        params.markModified()
    }

    // MARK: Forward

    /// Runs the whole window. Reads `cache.x` `[T, B, I]` (and `cache.h0`/`c0` when
    /// `cache.useInitialState`); writes every layer's output `cache.ys[l]` `[T, B, D*H]` and
    /// the final states `cache.hN`/`cN` `[L*D, B, H]`. With `training` and dropout > 0, the
    /// outputs of layers below the top are dropped out with masks drawn from `rng`.
    public func forward(_ cache: RecurrentCache, params: ParameterStore, training: Bool = false, rng: inout SeededGenerator) {
        precondition(cache.config == config, "RecurrentCache made for \(cache.config), used with a layer of \(config)")
        let cfg = config
        let T = cache.length, B = cache.batch, H = cfg.hiddenSize, D = cfg.directions, G = cfg.cell.gates
        let DH = D * H, GH = G * H
        let p = params.base
        let useDropout = training && cfg.dropout > 0
        cache.droppedOut = useDropout
        // Moderate hidden sizes: a register-blocked product against W_hhᵀ (transposed once per
        // weight version) beats a BLAS call per step, which repacks W_hh every time.
        let stepKernel = usesStepKernel
        if !training && splitsUnits(batch: B) {
            forwardSplit(cache, params: params)
            return
        }
        if !training && pipelines(batch: B) {
            forwardPipelined(cache, params: params)
            return
        }
        if stepKernel || usesPanelKernel { refreshTransposedWeights(cache, params) }
        var input = UnsafePointer(cache.x.pointer)
        var inSize = cfg.inputSize
        for l in 0..<cfg.numLayers {
            let y = cache.ys[l].pointer                                  // [T, B, D*H]
            for d in 0..<D {
                let slot = slots[l * D + d]
                let gates = cache.gates[l * D + d].pointer               // [T, B, G*H]
                // Input projection of the whole window: [T*B, in] x [in, G*H].
                gemm(transB: true, m: T * B, n: GH, k: inSize, a: input, lda: inSize,
                     b: p + slot.weightIH, ldb: inSize, c: gates, ldc: GH)
                let transposedHH = stepKernel ? UnsafePointer(cache.transposedHH[l * D + d].pointer) : nil
                let panels = usesPanelKernel ? UnsafePointer(cache.panelsHH[l * D + d].pointer) : nil
                for s in 0..<T {
                    step(cache, layer: l, direction: d, index: s, params: p, transposedHH: transposedHH, panelsHH: panels,
                         scratch: cache.stepScratch.pointer)
                }
                saveFinalState(cache, layer: l, direction: d)
            }
            input = UnsafePointer(y)
            inSize = DH
            if useDropout, l < cfg.numLayers - 1, let out = cache.dropped[l], let mask = cache.masks[l] {
                let keep = 1 - cfg.dropout, scale = 1 / keep
                for i in 0..<(T * B * DH) {
                    let m: Float = rng.nextUnitFloat() < keep ? scale : 0
                    mask.pointer[i] = m
                    out.pointer[i] = y[i] * m
                }
                input = UnsafePointer(out.pointer)
            }
        }
    }

    /// Step `s` (in processing order) of layer `l`, direction `d`: the hidden projection
    /// `h_{t-1} W_hhᵀ` `[B, H] x [H, G*H]` into `scratch`, then the fused cell update, which turns
    /// `cache.gates[l*D+d]` row t into activations and writes h_t into `cache.ys[l]` (and c_t).
    /// The input projection of step t must already be in the gates.
    @inline(__always)
    func step(_ cache: RecurrentCache, layer l: Int, direction d: Int, index s: Int, params p: UnsafeMutablePointer<Float>,
              transposedHH: UnsafePointer<Float>?, panelsHH: UnsafePointer<Float>? = nil, scratch: UnsafeMutablePointer<Float>) {
        let cfg = config
        let T = cache.length, B = cache.batch, H = cfg.hiddenSize, D = cfg.directions, GH = cfg.cell.gates * H
        let DH = D * H
        let slot = slots[l * D + d]
        let y = cache.ys[l].pointer
        let t = d == 0 ? s : T - 1 - s
        let tPrev = d == 0 ? t - 1 : t + 1
        let stateIndex = (l * D + d) * B * H
        // h_{t-1}: the previous step's output in place (row stride D*H), or h0.
        let hPrev: UnsafePointer<Float>?
        if s > 0 { hPrev = UnsafePointer(y + tPrev * B * DH + d * H) }
        else { hPrev = cache.useInitialState ? UnsafePointer(cache.h0.pointer + stateIndex) : nil }
        let hPrevStride = s == 0 ? H : DH
        var hh: UnsafePointer<Float>? = nil
        if let hPrev {
            if let wt = transposedHH {
                fk_step_matmul(Int32(B), Int32(H), Int32(GH), hPrev, Int32(hPrevStride), wt, scratch, Int32(GH), 0)
            } else if let panels = panelsHH {
                fk_panel_matmul(Int32(B), Int32(H), Int32(GH), hPrev, Int32(hPrevStride), panels, scratch, Int32(GH), 0)
            } else {
                gemm(transB: true, m: B, n: GH, k: H, a: hPrev, lda: hPrevStride,
                     b: p + slot.weightHH, ldb: H, c: scratch, ldc: GH)
            }
            hh = UnsafePointer(scratch)
        }
        let g = cache.gates[l * D + d].pointer + t * B * GH
        let hOut = y + t * B * DH + d * H
        switch cfg.cell {
        case .lstm:
            let cells = cache.cells[l * D + d]!.pointer
            let cPrev: UnsafePointer<Float>?
            if s > 0 { cPrev = UnsafePointer(cells + tPrev * B * H) }
            else { cPrev = cache.useInitialState ? UnsafePointer(cache.c0.pointer + stateIndex) : nil }
            LSTMKernels.forward(B: B, H: H, gates: g, hh: hh, bih: p + slot.biasIH, bhh: p + slot.biasHH,
                                cPrev: cPrev, c: cells + t * B * H, h: hOut, hStride: DH)
        case .gru:
            GRUKernels.forward(B: B, H: H, gates: g, hh: hh, bih: p + slot.biasIH, bhh: p + slot.biasHH,
                               hPrev: hPrev, hPrevStride: hPrevStride,
                               hn: cache.hiddenN[l * D + d]!.pointer + t * B * H, h: hOut, hStride: DH)
        case .rnnTanh, .rnnRelu:
            ElmanKernels.forward(B: B, H: H, act: cfg.cell == .rnnTanh ? .tanh : .relu, gates: g, hh: hh,
                                 bih: p + slot.biasIH, bhh: p + slot.biasHH, h: hOut, hStride: DH)
        }
    }

    /// Copies the state after the last step processed in direction `d` of layer `l` into
    /// `cache.hN` / `cache.cN`.
    func saveFinalState(_ cache: RecurrentCache, layer l: Int, direction d: Int) {
        let T = cache.length, B = cache.batch, H = config.hiddenSize, D = config.directions, DH = D * H
        let stateIndex = (l * D + d) * B * H
        let tLast = d == 0 ? T - 1 : 0
        let y = cache.ys[l].pointer
        for b in 0..<B {
            (cache.hN.pointer + stateIndex + b * H).update(from: y + (tLast * B + b) * DH + d * H, count: H)
            if config.cell.hasCellState {
                (cache.cN.pointer + stateIndex + b * H).update(from: cache.cells[l * D + d]!.pointer + (tLast * B + b) * H, count: H)
            }
        }
    }

    /// Recurrent weights up to this many floats per (layer, direction) use the step kernel
    /// (`fk_step_matmul`) instead of `sgemm` for the per-step products: about 640 KB, so the
    /// weight stays in L2 (LSTM up to H = 128, GRU up to H = 144).
    public static let stepKernelMaxWeights = 160_000

    /// Whether this layer's per-step products use the step kernel.
    public var usesStepKernel: Bool { config.cell.gates * config.hiddenSize * config.hiddenSize <= Recurrent.stepKernelMaxWeights }

    /// Larger layers with H a multiple of 32 use the panel kernel (`fk_panel_matmul`) against
    /// `W_hhᵀ` and `W_hh` packed once per weight version; the rest call `sgemm` every step.
    public var usesPanelKernel: Bool { !usesStepKernel && config.hiddenSize % 32 == 0 }

    /// `dh_{t-1} (+)= dG_t W_hh`: `[B, G*H] x [G*H, H]`, W_hh in its stored layout.
    @inline(__always)
    func carryProduct(B: Int, dG: UnsafePointer<Float>, weightHH: UnsafePointer<Float>, panels: UnsafePointer<Float>?,
                      carry: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let H = config.hiddenSize, GH = config.cell.gates * H
        if usesStepKernel {
            fk_step_matmul(Int32(B), Int32(GH), Int32(H), dG, Int32(GH), weightHH, carry, Int32(H), accumulate ? 1 : 0)
        } else if let panels {
            fk_panel_matmul(Int32(B), Int32(GH), Int32(H), dG, Int32(GH), panels, carry, Int32(H), accumulate ? 1 : 0)
        } else {
            gemm(m: B, n: H, k: GH, a: dG, lda: GH, b: weightHH, ldb: H, beta: accumulate ? 1 : 0, c: carry, ldc: H)
        }
    }

    /// Makes `cache.transposedHH` hold `W_hhᵀ` `[H, G*H]` for the current values of `params`,
    /// and with `inputWeights` also `cache.transposedIH` `W_ihᵀ` `[in, G*H]` for layers above the
    /// first (the pipeline's per-chunk projections).
    func refreshTransposedWeights(_ cache: RecurrentCache, _ params: ParameterStore, inputWeights: Bool = false) {
        let key = RecurrentCache.WeightsKey(store: params.identity, generation: params.generation)
        let H = config.hiddenSize, GH = config.cell.gates * H
        if cache.transposedKey != key {
            if usesStepKernel {
                if cache.transposedHH.isEmpty { cache.transposedHH = slots.map { _ in FloatBuffer(count: GH * H) } }
                for (i, slot) in slots.enumerated() {
                    fk_transpose(Int32(GH), Int32(H), params.base + slot.weightHH, cache.transposedHH[i].pointer)
                }
            }
            if usesPanelKernel {
                // Forward: W_hhᵀ [H, G*H] in G*H/32 panels; backward carry: W_hh [G*H, H] in H/32.
                if cache.panelsHH.isEmpty {
                    cache.panelsHH = slots.map { _ in FloatBuffer(count: GH * H) }
                    cache.panelsHHCarry = slots.map { _ in FloatBuffer(count: GH * H) }
                }
                for (i, slot) in slots.enumerated() {
                    fk_pack_panels_transposed(Int32(GH), Int32(H), params.base + slot.weightHH, cache.panelsHH[i].pointer)
                    fk_pack_panels(Int32(GH), Int32(H), params.base + slot.weightHH, cache.panelsHHCarry[i].pointer)
                }
            }
            cache.transposedKey = key
        }
        if inputWeights && cache.transposedIHKey != key {
            if cache.transposedIH.isEmpty {
                cache.transposedIH = slots.enumerated().map { i, slot in i < config.directions ? nil : FloatBuffer(count: GH * slot.inputSize) }
            }
            for (i, slot) in slots.enumerated() where i >= config.directions {
                fk_transpose(Int32(GH), Int32(slot.inputSize), params.base + slot.weightIH, cache.transposedIH[i]!.pointer)
            }
            cache.transposedIHKey = key
        }
    }

    // MARK: Backward

    /// Backpropagates through time. `dTop` `[T, B, D*H]` is the gradient of the loss with
    /// respect to the top layer's outputs (zeros where the loss does not look); `dhN`/`dcN`
    /// `[L*D, B, H]` are gradients with respect to the final states, or nil.
    /// Accumulates (`+=`) parameter gradients into `grads` (same layout as `params`) and leaves
    /// `cache.dX` `[T, B, I]`, `cache.dH0`/`dC0` `[L*D, B, H]`.
    public func backward(_ cache: RecurrentCache, dTop: UnsafePointer<Float>?, dhN: UnsafePointer<Float>? = nil, dcN: UnsafePointer<Float>? = nil,
                         params: ParameterStore, grads: ParameterStore) {
        precondition(cache.config == config, "RecurrentCache made for \(cache.config), used with a layer of \(config)")
        precondition(cache.transposedKey != nil || !(usesStepKernel || usesPanelKernel), "backward needs a forward pass on this cache first")
        cache.prepareBackward()
        let cfg = config
        let T = cache.length, B = cache.batch, H = cfg.hiddenSize, D = cfg.directions, G = cfg.cell.gates
        let DH = D * H, GH = G * H, L = cfg.numLayers
        let p = params.base, gp = grads.base
        let dG = cache.dGates!.pointer                                   // [T, B, G*H]
        let dGh = cache.dGatesHidden?.pointer ?? dG                      // GRU: hidden side
        let carryH = cache.carryH!.pointer, carryC = cache.carryC!.pointer  // [B, H]
        var dY: UnsafePointer<Float>? = dTop                             // gradient for layer l's output
        var usePing = true
        for l in stride(from: L - 1, through: 0, by: -1) {
            let inSize = l == 0 ? cfg.inputSize : DH
            // This layer's input, as forward saw it.
            let input: UnsafePointer<Float> = l == 0 ? UnsafePointer(cache.x.pointer)
                : UnsafePointer(cache.droppedOut ? cache.dropped[l - 1]!.pointer : cache.ys[l - 1].pointer)
            // Where the gradient for that input goes.
            let dIn: UnsafeMutablePointer<Float> = l == 0 ? cache.dX!.pointer : (usePing ? cache.dPing! : cache.dPong!).pointer
            let y = UnsafePointer(cache.ys[l].pointer)
            for d in 0..<D {
                let slot = slots[l * D + d]
                let gates = UnsafePointer(cache.gates[l * D + d].pointer)
                let stateIndex = (l * D + d) * B * H
                let h0: UnsafePointer<Float>? = cache.useInitialState ? UnsafePointer(cache.h0.pointer + stateIndex) : nil
                let c0: UnsafePointer<Float>? = (cache.useInitialState && cfg.cell.hasCellState) ? UnsafePointer(cache.c0.pointer + stateIndex) : nil
                if let dhN { carryH.update(from: dhN + stateIndex, count: B * H) } else { carryH.update(repeating: 0, count: B * H) }
                if cfg.cell.hasCellState {
                    if let dcN { carryC.update(from: dcN + stateIndex, count: B * H) } else { carryC.update(repeating: 0, count: B * H) }
                }
                let carryPanels = usesPanelKernel ? UnsafePointer(cache.panelsHHCarry[l * D + d].pointer) : nil
                for s in 0..<T {
                    // Reverse of the forward order.
                    let t = d == 0 ? T - 1 - s : s
                    let tPrev = d == 0 ? t - 1 : t + 1
                    let first = s == T - 1                               // forward's first step
                    let hPrev: UnsafePointer<Float>? = first ? h0 : y + tPrev * B * DH + d * H
                    let hPrevStride = first ? H : DH
                    let dyRow: UnsafePointer<Float>? = dY.map { $0 + t * B * DH + d * H }
                    let g = gates + t * B * GH
                    let dg = dG + t * B * GH
                    switch cfg.cell {
                    case .lstm:
                        let cells = UnsafePointer(cache.cells[l * D + d]!.pointer)
                        let cPrev: UnsafePointer<Float>? = first ? c0 : cells + tPrev * B * H
                        LSTMKernels.backward(B: B, H: H, gates: g, c: cells + t * B * H, cPrev: cPrev,
                                             dy: dyRow, dyStride: DH, carryH: carryH, carryC: carryC, dG: dg)
                        carryProduct(B: B, dG: dg, weightHH: p + slot.weightHH, panels: carryPanels, carry: carryH, accumulate: false)
                    case .gru:
                        let dgh = dGh + t * B * GH
                        GRUKernels.backward(B: B, H: H, gates: g, hn: cache.hiddenN[l * D + d]!.pointer + t * B * H,
                                            hPrev: hPrev, hPrevStride: hPrevStride, dy: dyRow, dyStride: DH,
                                            carryH: carryH, dGx: dg, dGh: dgh)
                        carryProduct(B: B, dG: dgh, weightHH: p + slot.weightHH, panels: carryPanels, carry: carryH, accumulate: true)
                    case .rnnTanh, .rnnRelu:
                        ElmanKernels.backward(B: B, H: H, act: cfg.cell == .rnnTanh ? .tanh : .relu, gates: g,
                                              dy: dyRow, dyStride: DH, carryH: carryH, dG: dg)
                        carryProduct(B: B, dG: dg, weightHH: p + slot.weightHH, panels: carryPanels, carry: carryH, accumulate: false)
                    }
                }
                // Gradients for the initial states.
                (cache.dH0!.pointer + stateIndex).update(from: carryH, count: B * H)
                if cfg.cell.hasCellState { (cache.dC0!.pointer + stateIndex).update(from: carryC, count: B * H) }

                // dW_ih += dGᵀ X : [G*H, T*B] x [T*B, in]
                gemm(transA: true, m: GH, n: inSize, k: T * B, a: dG, lda: GH, b: input, ldb: inSize,
                     beta: 1, c: gp + slot.weightIH, ldc: inSize)
                // dW_hh += Σ_t dG_tᵀ h_{t-1}: steps with an in-sequence predecessor in one GEMM.
                if T > 1 {
                    let dgFrom = d == 0 ? dGh + B * GH : dGh                 // t = 1..T-1 (fwd), 0..T-2 (rev)
                    let hFrom = d == 0 ? y + d * H : y + B * DH + d * H       // h_{t-1} = y[t-1] (fwd), y[t+1] (rev)
                    gemm(transA: true, m: GH, n: H, k: (T - 1) * B, a: dgFrom, lda: GH, b: hFrom, ldb: DH,
                         beta: 1, c: gp + slot.weightHH, ldc: H)
                }
                if let h0 {
                    let tFirst = d == 0 ? 0 : T - 1
                    gemm(transA: true, m: GH, n: H, k: B, a: dGh + tFirst * B * GH, lda: GH, b: h0, ldb: H,
                         beta: 1, c: gp + slot.weightHH, ldc: H)
                }
                // Bias gradients: column sums of the pre-activation gradients.
                fk_column_sums(Int32(T * B), Int32(GH), dG, Int32(GH), gp + slot.biasIH)
                fk_column_sums(Int32(T * B), Int32(GH), dGh, Int32(GH), gp + slot.biasHH)
                // dInput (+)= dG W_ih : [T*B, G*H] x [G*H, in]
                gemm(m: T * B, n: inSize, k: GH, a: dG, lda: GH, b: p + slot.weightIH, ldb: inSize,
                     beta: d == 0 ? 0 : 1, c: dIn, ldc: inSize)
            }
            if l > 0 {
                // Through the dropout between layer l-1 and l.
                if cache.droppedOut, let mask = cache.masks[l - 1] {
                    for i in 0..<(T * B * DH) { dIn[i] *= mask.pointer[i] }
                }
                dY = UnsafePointer(dIn)
                usePing.toggle()
            }
        }
    }
}
