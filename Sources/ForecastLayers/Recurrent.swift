import CKernels

/// A stacked, optionally bidirectional recurrent layer (`RNN`, `LSTM`, `GRU` or one of the
/// extra cells under Cells/) with PyTorch's parameter names and gate layouts:
///
///     {prefix}.weight_ih_l{k}[_reverse]  [G*H, in_k]   in_0 = I, in_k = D*H
///     {prefix}.weight_hh_l{k}[_reverse]  [G*H, H]
///     {prefix}.bias_ih_l{k}[_reverse]    [G*H]
///     {prefix}.bias_hh_l{k}[_reverse]    [G*H]
///     {prefix}.{stem}_l{k}[_reverse]     [H]       per-unit parameters of the cell, if any
///                                                  (leaky units with learned τ: `tau_rho`)
///
/// The layer is a description (offsets into a ``ParameterStore``); it holds no weights and no
/// state, so one instance serves any number of threads, each with its own ``RecurrentCache``.
///
/// Per layer and direction the forward pass does one GEMM for the input projection of the
/// whole window (`[T*B, in] x [in, G*H]`), then per block of steps one product
/// `h_{t-D} W_hhᵀ` and the fused gate math of the cell (``RecurrentCell``). With dilation
/// D = 1 a block is one step; with D > 1 (skip recurrence) the D steps `t..t+D-1` read
/// `h_{t-D}..h_{t-1}`, which are all known, so they run as one block of D*B rows: one product
/// and one kernel call for D steps. Backward walks the blocks in reverse carrying dh (and dc)
/// for each of the D interleaved chains (`[D*B, H]`), keeps the pre-activation gradients of
/// every step, and then forms `dW_ih`, `dW_hh` and the input gradient with one large GEMM each.
///
/// The cell is picked by one switch per pass (``CellKind/accept(_:)``); the passes below are
/// generic over the cell type and specialised, so the time loops call the cell's kernels
/// directly.
public struct Recurrent: Sendable {
    public let config: RecurrentConfig
    public let prefix: String

    struct Slot: Sendable {
        let weightIH: Int, weightHH: Int, biasIH: Int, biasHH: Int
        let inputSize: Int
        /// Offset of the cell's per-unit parameters (`[n, H]`, consecutive), or nil.
        let unitParameters: Int?
    }
    /// Offsets per (layer, direction), index `l*D + d`.
    let slots: [Slot]

    /// Adds this layer's parameters to `layout` in PyTorch's order (the cell's per-unit
    /// parameters after each direction's biases).
    public init(_ config: RecurrentConfig, prefix: String = "rnn", layout: inout ParameterLayout) {
        self.config = config
        self.prefix = prefix
        let G = config.cell.gates, H = config.hiddenSize
        let unitNames = config.cell.unitParameters(config).names
        var slots: [Slot] = []
        for l in 0..<config.numLayers {
            let inSize = l == 0 ? config.inputSize : config.outputSize
            for d in 0..<config.directions {
                let sfx = "_l\(l)" + (d == 1 ? "_reverse" : "")
                let wih = layout.add("\(prefix).weight_ih\(sfx)", [G * H, inSize])
                let whh = layout.add("\(prefix).weight_hh\(sfx)", [G * H, H])
                let bih = layout.add("\(prefix).bias_ih\(sfx)", [G * H])
                let bhh = layout.add("\(prefix).bias_hh\(sfx)", [G * H])
                let units = unitNames.map { layout.add("\(prefix).\($0)\(sfx)", [H]) }
                slots.append(Slot(weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh, inputSize: inSize, unitParameters: units.first))
            }
        }
        self.slots = slots
    }

    /// PyTorch's default initialisation: every weight and bias uniform in `[-1/√H, 1/√H]`; the
    /// cell's per-unit parameters at their initial value (no random draw).
    public func initialize(_ params: ParameterStore, rng: inout SeededGenerator) {
        let k = 1 / Float(config.hiddenSize).squareRoot()
        let G = config.cell.gates, H = config.hiddenSize
        let units = config.cell.unitParameters(config)
        for s in slots {
            for (off, n) in [(s.weightIH, G * H * s.inputSize), (s.weightHH, G * H * H), (s.biasIH, G * H), (s.biasHH, G * H)] {
                for i in 0..<n { params.base[off + i] = rng.nextFloat(in: -k, k) }
            }
            if let off = s.unitParameters {
                (params.base + off).update(repeating: units.initial, count: units.names.count * H)
            }
        }
        params.markModified()
    }

    // MARK: Forward

    private struct ForwardPass: CellVisitor {
        let layer: Recurrent, cache: RecurrentCache, params: ParameterStore, training: Bool, rng: SeededGenerator
        func visit<Cell: RecurrentCell>(_ cell: Cell.Type) -> SeededGenerator {
            var r = rng
            layer.forward(Cell.self, cache, params: params, training: training, rng: &r)
            return r
        }
    }

    /// Runs the whole window. Reads `cache.x` `[T, B, I]` (and `cache.h0`/`c0` when
    /// `cache.useInitialState`); writes every layer's output `cache.ys[l]` `[T, B, D*H]` and
    /// the final states `cache.hN`/`cN` `[L*D, B, H]` (the states after step T-1, or after
    /// step 0 for the reverse direction). With `training` and dropout > 0, the outputs of
    /// layers below the top are dropped out with masks drawn from `rng`.
    public func forward(_ cache: RecurrentCache, params: ParameterStore, training: Bool = false, rng: inout SeededGenerator) {
        precondition(cache.config == config, "RecurrentCache made for \(cache.config), used with a layer of \(config)")
        rng = config.cell.accept(ForwardPass(layer: self, cache: cache, params: params, training: training, rng: rng))
    }

    func forward<Cell: RecurrentCell>(_: Cell.Type, _ cache: RecurrentCache, params: ParameterStore, training: Bool, rng: inout SeededGenerator) {
        let cfg = config
        let T = cache.length, B = cache.batch, H = cfg.hiddenSize, D = cfg.directions, G = Cell.gates
        let DH = D * H, GH = G * H
        let p = params.base
        let useDropout = training && cfg.dropout > 0
        cache.droppedOut = useDropout
        // Moderate hidden sizes: a register-blocked product against W_hhᵀ (transposed once per
        // weight version) beats a BLAS call per step, which repacks W_hh every time.
        let stepKernel = usesStepKernel
        cache.activationsKept = true
        if !training && splitsUnits(batch: B) && forwardSplit(cache, params: params) { return }
        if !training && pipelines(batch: B) {
            forwardPipelined(Cell.self, cache, params: params)
            return
        }
        if !training && splitsBatch(batch: B) {
            forwardBatchSplit(Cell.self, cache, params: params, keepActivations: false)
            return
        }
        if stepKernel || usesPanelKernel { refreshTransposedWeights(cache, params) }
        var input = UnsafePointer(cache.x.pointer)
        var inSize = cfg.inputSize
        for l in 0..<cfg.numLayers {
            let y = cache.ys[l].pointer                                  // [T, B, D*H]
            let blocks = (T + cfg.dilation(l) - 1) / cfg.dilation(l)
            for d in 0..<D {
                let slot = slots[l * D + d]
                let gates = cache.gates[l * D + d].pointer               // [T, B, G*H]
                // Input projection of the whole window: [T*B, in] x [in, G*H].
                gemm(transB: true, m: T * B, n: GH, k: inSize, a: input, lda: inSize,
                     b: p + slot.weightIH, ldb: inSize, c: gates, ldc: GH)
                prepareUnitFactors(Cell.self, cache, layer: l, direction: d, params: p)
                let transposedHH = stepKernel ? UnsafePointer(cache.transposedHH[l * D + d].pointer) : nil
                let panels = usesPanelKernel ? UnsafePointer(cache.panelsHH[l * D + d].pointer) : nil
                for k in 0..<blocks {
                    stepBlock(Cell.self, cache, layer: l, direction: d, block: k, params: p, transposedHH: transposedHH, panelsHH: panels,
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

    /// Steps `[lo, hi)` of block `k` in direction `d` for dilation `K` over T steps: forward
    /// `kK ..< min(kK + K, T)`, reverse `max(0, T - (k+1)K) ..< T - kK`. Block k > 0 reads the
    /// states K steps back in processing order; block 0 reads the initial state.
    @inline(__always)
    static func blockSteps(_ k: Int, dilation K: Int, length T: Int, direction d: Int) -> (lo: Int, hi: Int) {
        d == 0 ? (k * K, min(k * K + K, T)) : (max(0, T - (k + 1) * K), T - k * K)
    }

    /// Makes `cache.unitFactors` row `l*D + d` `[H]` from the config and the layer's per-unit
    /// parameters (cells with ``RecurrentCell/usesUnitFactors``; nothing for the others).
    @inline(__always)
    func prepareUnitFactors<Cell: RecurrentCell>(_: Cell.Type, _ cache: RecurrentCache, layer l: Int, direction d: Int,
                                                 params p: UnsafeMutablePointer<Float>) {
        guard Cell.usesUnitFactors, let factors = cache.unitFactors else { return }
        let D = config.directions, H = config.hiddenSize
        Cell.unitFactors(config, parameters: slots[l * D + d].unitParameters.map { UnsafePointer(p + $0) },
                         into: factors.pointer + (l * D + d) * H)
    }

    /// Block `k` (in processing order) of layer `l`, direction `d`: the hidden projection
    /// `h_{t-D} W_hhᵀ` `[rows, H] x [H, G*H]` into `scratch` `[D*B, G*H]`, then the fused cell
    /// update, which turns the block's rows of `cache.gates[l*D+d]` into activations and writes
    /// h_t into `cache.ys[l]` (and c_t). The block's input projections must already be in the
    /// gates. A first block with given initial states runs step by step (each step reads h0).
    @inline(__always)
    func stepBlock<Cell: RecurrentCell>(_: Cell.Type, _ cache: RecurrentCache, layer l: Int, direction d: Int, block k: Int,
                                        params p: UnsafeMutablePointer<Float>, transposedHH: UnsafePointer<Float>?,
                                        panelsHH: UnsafePointer<Float>? = nil, scratch: UnsafeMutablePointer<Float>) {
        let cfg = config
        let T = cache.length, B = cache.batch, H = cfg.hiddenSize, D = cfg.directions, K = cfg.dilation(l)
        let DH = D * H
        let (lo, hi) = Recurrent.blockSteps(k, dilation: K, length: T, direction: d)
        let y = cache.ys[l].pointer                                      // [T, B, D*H]
        let cells = Cell.hasCellState ? cache.cells[l * D + d]?.pointer : nil
        if k > 0 {
            // h_{t-D} for the whole block: rows of the output K steps back (row stride D*H).
            let prev = d == 0 ? lo - K : lo + K
            cellRows(Cell.self, cache, layer: l, direction: d, step: lo, rows: (hi - lo) * B, params: p,
                     hPrev: UnsafePointer(y + prev * B * DH + d * H), hPrevStride: DH,
                     cPrev: cells.map { UnsafePointer($0 + prev * B * H) }, transposedHH: transposedHH, panelsHH: panelsHH, scratch: scratch)
        } else if cache.useInitialState {
            let stateIndex = (l * D + d) * B * H
            let cPrev = Cell.hasCellState ? UnsafePointer(cache.c0.pointer + stateIndex) : nil
            for t in lo..<hi {
                cellRows(Cell.self, cache, layer: l, direction: d, step: t, rows: B, params: p,
                         hPrev: UnsafePointer(cache.h0.pointer + stateIndex), hPrevStride: H, cPrev: cPrev,
                         transposedHH: transposedHH, panelsHH: panelsHH, scratch: scratch)
            }
        } else {
            cellRows(Cell.self, cache, layer: l, direction: d, step: lo, rows: (hi - lo) * B, params: p,
                     hPrev: nil, hPrevStride: H, cPrev: nil, transposedHH: transposedHH, panelsHH: panelsHH, scratch: scratch)
        }
    }

    /// `rows` consecutive rows of the layer's sequences from step `t` on, reading `hPrev`
    /// (nil: zeros) and `cPrev`.
    @inline(__always)
    func cellRows<Cell: RecurrentCell>(_: Cell.Type, _ cache: RecurrentCache, layer l: Int, direction d: Int, step t: Int, rows: Int,
                                       params p: UnsafeMutablePointer<Float>, hPrev: UnsafePointer<Float>?, hPrevStride: Int,
                                       cPrev: UnsafePointer<Float>?, transposedHH: UnsafePointer<Float>?,
                                       panelsHH: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>) {
        let cfg = config
        let B = cache.batch, H = cfg.hiddenSize, D = cfg.directions, GH = Cell.gates * H, DH = D * H
        let slot = slots[l * D + d]
        var hh: UnsafePointer<Float>? = nil
        if let hPrev {
            if let wt = transposedHH {
                fk_step_matmul(Int32(rows), Int32(H), Int32(GH), hPrev, Int32(hPrevStride), wt, scratch, Int32(GH), 0)
            } else if let panels = panelsHH {
                fk_panel_matmul(Int32(rows), Int32(H), Int32(GH), hPrev, Int32(hPrevStride), panels, scratch, Int32(GH), 0)
            } else {
                gemm(transB: true, m: rows, n: GH, k: H, a: hPrev, lda: hPrevStride,
                     b: p + slot.weightHH, ldb: H, c: scratch, ldc: GH)
            }
            hh = UnsafePointer(scratch)
        }
        let i = l * D + d
        Cell.forward(CellForward(
            rows: rows, H: H, gates: cache.gates[i].pointer + t * B * GH, hh: hh, bih: p + slot.biasIH, bhh: p + slot.biasHH,
            hPrev: hPrev, hPrevStride: hPrevStride,
            cPrev: cPrev, c: Cell.hasCellState ? cache.cells[i].map { $0.pointer + t * B * H } : nil,
            hn: Cell.savesHiddenProjection ? cache.hiddenN[i].map { $0.pointer + t * B * H } : nil,
            factors: Cell.usesUnitFactors ? cache.unitFactors.map { UnsafePointer($0.pointer + i * H) } : nil,
            h: cache.ys[l].pointer + t * B * DH + d * H, hStride: DH))
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

    /// `dh_{t-D} (+)= dG_t W_hh`: `[rows, G*H] x [G*H, H]`, W_hh in its stored layout.
    @inline(__always)
    func carryProduct(rows: Int, GH: Int, stepKernel: Bool, dG: UnsafePointer<Float>, weightHH: UnsafePointer<Float>,
                      panels: UnsafePointer<Float>?, carry: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let H = config.hiddenSize
        if stepKernel {
            fk_step_matmul(Int32(rows), Int32(GH), Int32(H), dG, Int32(GH), weightHH, carry, Int32(H), accumulate ? 1 : 0)
        } else if let panels {
            fk_panel_matmul(Int32(rows), Int32(GH), Int32(H), dG, Int32(GH), panels, carry, Int32(H), accumulate ? 1 : 0)
        } else {
            gemm(m: rows, n: H, k: GH, a: dG, lda: GH, b: weightHH, ldb: H, beta: accumulate ? 1 : 0, c: carry, ldc: H)
        }
    }

    /// Makes `cache.transposedHH` hold `W_hhᵀ` `[H, G*H]` for the current values of `params`,
    /// and with `inputWeights` also `cache.transposedIH` `W_ihᵀ` `[in, G*H]` for every layer (the
    /// pipeline's per-chunk projections, the batch split's per-step ones).
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
                cache.transposedIH = slots.map { slot in FloatBuffer(count: GH * slot.inputSize) }
            }
            for (i, slot) in slots.enumerated() {
                fk_transpose(Int32(GH), Int32(slot.inputSize), params.base + slot.weightIH, cache.transposedIH[i]!.pointer)
            }
            cache.transposedIHKey = key
        }
    }

    // MARK: Backward

    private struct BackwardPass: CellVisitor {
        let layer: Recurrent, cache: RecurrentCache, dTop: UnsafePointer<Float>?, dhN: UnsafePointer<Float>?, dcN: UnsafePointer<Float>?
        let params: ParameterStore, grads: ParameterStore
        func visit<Cell: RecurrentCell>(_ cell: Cell.Type) {
            layer.backward(Cell.self, cache, dTop: dTop, dhN: dhN, dcN: dcN, params: params, grads: grads)
        }
    }

    /// Backpropagates through time. `dTop` `[T, B, D*H]` is the gradient of the loss with
    /// respect to the top layer's outputs (zeros where the loss does not look); `dhN`/`dcN`
    /// `[L*D, B, H]` are gradients with respect to the final states, or nil.
    /// Accumulates (`+=`) parameter gradients into `grads` (same layout as `params`) and leaves
    /// `cache.dX` `[T, B, I]`, `cache.dH0`/`dC0` `[L*D, B, H]`.
    public func backward(_ cache: RecurrentCache, dTop: UnsafePointer<Float>?, dhN: UnsafePointer<Float>? = nil, dcN: UnsafePointer<Float>? = nil,
                         params: ParameterStore, grads: ParameterStore) {
        precondition(cache.config == config, "RecurrentCache made for \(cache.config), used with a layer of \(config)")
        precondition(cache.transposedKey != nil || !(usesStepKernel || usesPanelKernel), "backward needs a forward pass on this cache first")
        config.cell.accept(BackwardPass(layer: self, cache: cache, dTop: dTop, dhN: dhN, dcN: dcN, params: params, grads: grads))
    }

    func backward<Cell: RecurrentCell>(_: Cell.Type, _ cache: RecurrentCache, dTop: UnsafePointer<Float>?, dhN: UnsafePointer<Float>?,
                                       dcN: UnsafePointer<Float>?, params: ParameterStore, grads: ParameterStore) {
        if !cache.activationsKept {
            // The forward was inference-only (the batch split's LSTM/GRU steps): run its keeping
            // twin, which gives the same outputs and keeps the gates read below.
            forwardBatchSplit(Cell.self, cache, params: params, keepActivations: true)
        }
        cache.prepareBackward()
        let cfg = config
        let T = cache.length, B = cache.batch, H = cfg.hiddenSize, D = cfg.directions, G = Cell.gates
        let DH = D * H, GH = G * H, L = cfg.numLayers
        let p = params.base, gp = grads.base
        let stepKernel = usesStepKernel
        let dG = cache.dGates!.pointer                                   // [T, B, G*H]
        let dGh = Cell.separateHiddenGradient ? cache.dGatesHidden!.pointer : dG   // GRU: hidden side
        let carryH = cache.carryH!.pointer, carryC = cache.carryC!.pointer  // [D_l*B, H]: one [B, H] per chain
        var dY: UnsafePointer<Float>? = dTop                             // gradient for layer l's output
        var usePing = true
        for l in stride(from: L - 1, through: 0, by: -1) {
            let inSize = l == 0 ? cfg.inputSize : DH
            let K = cfg.dilation(l), blocks = (T + K - 1) / K
            // Chain of step t: forward t mod K; reverse (t - T) mod K. A block's steps have
            // consecutive chains, so its carries are consecutive [B, H] rows.
            func chain(_ t: Int, _ d: Int) -> Int { d == 0 ? t % K : ((t - T) % K + K) % K }
            // This layer's input, as forward saw it.
            let input: UnsafePointer<Float> = l == 0 ? UnsafePointer(cache.x.pointer)
                : UnsafePointer(cache.droppedOut ? cache.dropped[l - 1]!.pointer : cache.ys[l - 1].pointer)
            // Where the gradient for that input goes.
            let dIn: UnsafeMutablePointer<Float> = l == 0 ? cache.dX!.pointer : (usePing ? cache.dPing! : cache.dPong!).pointer
            let y = UnsafePointer(cache.ys[l].pointer)
            for d in 0..<D {
                let i = l * D + d
                let slot = slots[i]
                let gates = UnsafePointer(cache.gates[i].pointer)
                let stateIndex = i * B * H
                let h0: UnsafePointer<Float>? = cache.useInitialState ? UnsafePointer(cache.h0.pointer + stateIndex) : nil
                let c0: UnsafePointer<Float>? = (cache.useInitialState && Cell.hasCellState) ? UnsafePointer(cache.c0.pointer + stateIndex) : nil
                let cells: UnsafePointer<Float>? = Cell.hasCellState ? cache.cells[i].map { UnsafePointer($0.pointer) } : nil
                let hn: UnsafePointer<Float>? = Cell.savesHiddenProjection ? cache.hiddenN[i].map { UnsafePointer($0.pointer) } : nil
                let factors: UnsafePointer<Float>? = Cell.usesUnitFactors ? cache.unitFactors.map { UnsafePointer($0.pointer + i * H) } : nil
                let dFactors: UnsafeMutablePointer<Float>? = Cell.usesUnitFactors ? cache.dUnitFactors?.pointer : nil
                dFactors?.update(repeating: 0, count: H)
                // The final state is step T-1's (forward) or step 0's (reverse): its chain gets dhN.
                let lastChain = chain(d == 0 ? T - 1 : 0, d) * B * H
                carryH.update(repeating: 0, count: K * B * H)
                if let dhN { (carryH + lastChain).update(from: dhN + stateIndex, count: B * H) }
                if Cell.hasCellState {
                    carryC.update(repeating: 0, count: K * B * H)
                    if let dcN { (carryC + lastChain).update(from: dcN + stateIndex, count: B * H) }
                }
                let carryPanels = usesPanelKernel ? UnsafePointer(cache.panelsHHCarry[i].pointer) : nil

                /// Backward of `rows` rows from step t, which read hPrev / cPrev.
                @inline(__always)
                func cellRows(step t: Int, rows: Int, hPrev: UnsafePointer<Float>?, hPrevStride: Int, cPrev: UnsafePointer<Float>?) {
                    let carry = chain(t, d) * B * H
                    let dg = dG + t * B * GH
                    let dgh = dGh + t * B * GH
                    Cell.backward(CellBackward(
                        rows: rows, H: H, gates: gates + t * B * GH, hPrev: hPrev, hPrevStride: hPrevStride,
                        h: y + t * B * DH + d * H, hStride: DH, cPrev: cPrev, c: cells.map { $0 + t * B * H },
                        hn: hn.map { $0 + t * B * H }, factors: factors, dFactors: dFactors,
                        dy: dY.map { $0 + t * B * DH + d * H }, dyStride: DH,
                        carryH: carryH + carry, carryC: carryC + carry, dG: dg, dGh: dgh))
                    carryProduct(rows: rows, GH: GH, stepKernel: stepKernel, dG: dgh, weightHH: p + slot.weightHH, panels: carryPanels,
                                 carry: carryH + carry, accumulate: Cell.keepsDirectCarry)
                }

                // Reverse of the forward order.
                for k in stride(from: blocks - 1, through: 0, by: -1) {
                    let (lo, hi) = Recurrent.blockSteps(k, dilation: K, length: T, direction: d)
                    if k > 0 {
                        let prev = d == 0 ? lo - K : lo + K
                        cellRows(step: lo, rows: (hi - lo) * B, hPrev: y + prev * B * DH + d * H, hPrevStride: DH,
                                 cPrev: cells.map { $0 + prev * B * H })
                    } else if let h0 {
                        for t in lo..<hi { cellRows(step: t, rows: B, hPrev: h0, hPrevStride: H, cPrev: c0) }
                    } else {
                        cellRows(step: lo, rows: (hi - lo) * B, hPrev: nil, hPrevStride: H, cPrev: nil)
                    }
                }
                // Gradients for the initial states: every chain starts from them.
                (cache.dH0!.pointer + stateIndex).update(from: carryH, count: B * H)
                for j in 1..<K { for e in 0..<(B * H) { cache.dH0!.pointer[stateIndex + e] += carryH[j * B * H + e] } }
                if Cell.hasCellState {
                    (cache.dC0!.pointer + stateIndex).update(from: carryC, count: B * H)
                    for j in 1..<K { for e in 0..<(B * H) { cache.dC0!.pointer[stateIndex + e] += carryC[j * B * H + e] } }
                }
                if let dFactors, let factors, let off = slot.unitParameters {
                    Cell.unitParameterGradients(cfg, parameters: p + off, factors: factors, dFactors: dFactors, grads: gp + off)
                }

                // dW_ih += dGᵀ X : [G*H, T*B] x [T*B, in]
                gemm(transA: true, m: GH, n: inSize, k: T * B, a: dG, lda: GH, b: input, ldb: inSize,
                     beta: 1, c: gp + slot.weightIH, ldc: inSize)
                // dW_hh += Σ_t dG_tᵀ h_{t-D}: steps with an in-sequence predecessor in one GEMM.
                if T > K {
                    let dgFrom = d == 0 ? dGh + K * B * GH : dGh                 // t = K..T-1 (fwd), 0..T-1-K (rev)
                    let hFrom = d == 0 ? y + d * H : y + K * B * DH + d * H       // h_{t-K} = y[t-K] (fwd), y[t+K] (rev)
                    gemm(transA: true, m: GH, n: H, k: (T - K) * B, a: dgFrom, lda: GH, b: hFrom, ldb: DH,
                         beta: 1, c: gp + slot.weightHH, ldc: H)
                }
                if let h0 {
                    let (lo, hi) = Recurrent.blockSteps(0, dilation: K, length: T, direction: d)
                    for t in lo..<hi {
                        gemm(transA: true, m: GH, n: H, k: B, a: dGh + t * B * GH, lda: GH, b: h0, ldb: H,
                             beta: 1, c: gp + slot.weightHH, ldc: H)
                    }
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
