import CKernels
import ForecastCore

/// Single-window inference (batch 1) with each layer's hidden units split in two halves, one
/// per thread.
///
/// For one window every step is a matrix-vector product `h_{t-1} W_hhᵀ`, and the steps form a
/// chain. `W_hhᵀ` of an LSTM with H = 64 is 64 KB, more than a core's 48 KB L1, so one thread
/// streams it from L2 every step. Split by units, each thread owns the gate columns of its H/2
/// units (`[i | f | g | o]` of the half: 32 KB for H = 64), which stay in its L1.
///
/// Step t of half u, for u's gate columns:
///
///     a  = h_{t-1}[u's units]     · W_hhᵀ[u's units, :]       (own half of h: ready at once)
///     a += h_{t-1}[other's units] · W_hhᵀ[other's units, :]   (once the other thread has it)
///     cell update of u's units → h_t[u's units], c_t[u's units]
///
/// so the wait for the other half overlaps the first half-product. Per layer, the input
/// projection of the whole window (`[T, in] x [in, G*H/2]` per half) runs first, once the
/// layer below is complete; an LSTM or GRU layer with a small input (``fusedInputFloats``)
/// instead adds `x_t · W_ihᵀ[:, u's columns]` inside each step. LSTM and GRU layers run all their
/// steps in one C call, `fk_split_layer_steps` (RowKernels.c): for H = 64 on AVX-512 a half's
/// gate columns stay in registers from the biases to the new `h` (with AVX2, 8 units' columns at
/// a time), and the wait is a spin inside the step. With one thread (or
/// a busy pool) the same steps run half after half on the calling thread: forecasts are
/// identical for any thread count. So whether a call uses one thread or two follows the measured
/// time per call (``AdaptiveThreads``): two threads that wait for each other at every step lose
/// badly when the machine has more runnable threads than cores.
///
/// Input projections are kept in the split order in `cache.gates[l]` (row t: the half-0 block
/// `[G, H/2]`, then the half-1 block), which only inference reads; LSTM and GRU steps keep
/// no activations. Forecasts can differ in the last bits from the batched plans, which sum the
/// hidden product in one k order and add the biases last.
extension Recurrent {
    /// Whether inference on `batch` rows splits each layer's units across two threads: one
    /// window, one direction, no dilation, and a cell with a split plan
    /// (``RecurrentCell/splitPlan``; the others run the general plan).
    public func splitsUnits(batch: Int) -> Bool {
        guard batch == 1 && config.directions == 1 && config.isUndilated && usesStepKernel && config.hiddenSize % 32 == 0 else { return false }
        switch config.cell.splitPlan {
        case .fusedSteps, .elman: return true
        case .unsupported: return false
        }
    }

    /// Runs the split plan; false (having done nothing) for a cell without one.
    func forwardSplit(_ cache: RecurrentCache, params: ParameterStore) -> Bool {
        let cfg = config
        // How the cell's steps run: fused C steps (GRU flag), or Swift steps with the Elman kernel.
        let fusedGRU: Bool?, elmanActivation: Activation
        switch cfg.cell.splitPlan {
        case .fusedSteps(let gru): fusedGRU = gru; elmanActivation = .tanh
        case .elman(let act): fusedGRU = nil; elmanActivation = act
        case .unsupported: return false
        }
        let T = cache.length, H = cfg.hiddenSize, G = cfg.cell.gates, GH = G * H, L = cfg.numLayers
        let half = H / 2, gHalf = G * half
        cache.droppedOut = false
        refreshSplitWeights(cache, params)
        let progress: PipelineProgress
        if let made = cache.splitProgress {
            progress = made
        } else {
            progress = PipelineProgress(count: 2)
            cache.splitProgress = progress
            cache.splitScratch = (0..<2).map { _ in FloatBuffer(count: 2 * gHalf) }
        }
        progress.reset()
        // Raw pointers only inside the threads: reference counting on shared objects from both
        // threads would cost more than a step.
        let weights = cache.splitWeights.map { UnsafePointer($0.pointer) }   // [layer * 2 + half]
        let gatesOf = (0..<L).map { cache.gates[$0].pointer }                  // [T, G*H], split order
        let ysOf = (0..<L).map { cache.ys[$0].pointer }                        // [T, H]
        let cellsOf = (0..<L).map { cache.cells[$0]?.pointer }
        let inSizes = slots.map(\.inputSize)
        let scratches = cache.splitScratch.map { $0.pointer }
        let x = UnsafePointer(cache.x.pointer)
        let h0: UnsafePointer<Float>? = cache.useInitialState ? UnsafePointer(cache.h0.pointer) : nil
        let c0: UnsafePointer<Float>? = cache.useInitialState && cfg.cell.hasCellState ? UnsafePointer(cache.c0.pointer) : nil

        let counters = (0..<2).map { progress.counter($0) }
        let wait = PipelineProgress.waitFunction

        let threads = cache.threadChoice.next(limit: min(2, cache.pipelineThreads))
        let started = AdaptiveThreads.now()
        defer { cache.threadChoice.record(threads: threads, nanoseconds: AdaptiveThreads.now() - started) }
        WorkerPool.team(threads: threads) { me, team in
            let halves = team == 1 ? 0..<2 : me..<(me + 1)
            for l in 0..<L {
                let inSize = inSizes[l], gates = gatesOf[l], y = ysOf[l]
                // LSTM and GRU layers run their steps in C (fk_split_layer_steps); one with a small
                // input (the first, usually) multiplies x_t by its W_ih block inside each step,
                // the block riding along in L1 beside W_hh's.
                let inC = fusedGRU != nil
                let fusedInput = inC && inSize * gHalf <= Self.fusedInputFloats
                if team == 2 && l > 0 { progress.wait(1 - me, atLeast: l * T) }
                let input = l == 0 ? x : UnsafePointer(ysOf[l - 1])
                // Otherwise the input projection of the half's gate columns for the whole
                // window comes first, once the layer below is complete.
                if !fusedInput {
                    for u in halves {
                        fk_step_matmul(Int32(T), Int32(inSize), Int32(gHalf), input, Int32(inSize), weights[l * 2 + u],
                                       gates + u * gHalf, Int32(GH), 0)
                    }
                }
                if inC {
                    // All steps of the layer in one C call (the loop in Swift cost ~25 ns a step).
                    var layer = fk_split_layer()
                    layer.T = Int32(T); layer.half = Int32(half); layer.in = Int32(inSize)
                    layer.gru = fusedGRU == true ? 1 : 0
                    layer.first = Int32(halves.lowerBound); layer.halves = Int32(halves.count)
                    if fusedInput { layer.x = input } else { layer.pre = UnsafePointer(gates) }
                    layer.weights = (weights[l * 2], weights[l * 2 + 1])
                    layer.h0 = h0.map { $0 + l * H }
                    layer.c0 = c0.map { $0 + l * H }
                    layer.y = y; layer.c = cellsOf[l]           // nil for GRU
                    if team == 2 {
                        layer.published = counters[me]; layer.ready = UnsafePointer(counters[1 - me])
                        layer.base = Int32(l * T); layer.wait = wait
                    }
                    layer.scratch = scratches[me]
                    fk_split_layer_steps(&layer)
                    continue
                }
                for t in 0..<T {
                    let hPrev: UnsafePointer<Float>? = t > 0 ? UnsafePointer(y + (t - 1) * H) : h0.map { $0 + l * H }
                    // This step's input projection rows were written before the steps began
                    // and have left L1 since; ask for them before they are needed.
                    for u in halves { fk_prefetch(gates + t * GH + u * gHalf, Int32(gHalf * 4)) }
                    // Own half of h_{t-1} first: the other thread finishes its half meanwhile.
                    if let hPrev {
                        for u in halves {
                            let wHH = weights[l * 2 + u] + inSize * gHalf
                            fk_step_matmul(1, Int32(half), Int32(gHalf), hPrev + u * half, Int32(half),
                                           wHH + u * half * gHalf, scratches[u], Int32(gHalf), 0)
                        }
                    }
                    if team == 2 && t > 0 { progress.wait(1 - me, atLeast: l * T + t) }
                    for u in halves {
                        let w = weights[l * 2 + u]
                        let wHH = w + inSize * gHalf, bIH = wHH + H * gHalf, bHH = bIH + gHalf
                        var hh: UnsafePointer<Float>? = nil
                        if let hPrev {
                            let other = 1 - u
                            fk_step_matmul(1, Int32(half), Int32(gHalf), hPrev + other * half, Int32(half),
                                           wHH + other * half * gHalf, scratches[u], Int32(gHalf), 1)
                            hh = UnsafePointer(scratches[u])
                        }
                        let g = gates + t * GH + u * gHalf
                        let hOut = y + t * H + u * half
                        ElmanKernels.forward(B: 1, H: half, act: elmanActivation, gates: g, hh: hh,
                                             bih: bIH, bhh: bHH, h: hOut, hStride: half)
                    }
                    if team == 2 { progress.publish(me, l * T + t + 1) }
                }
            }
        }
        for l in 0..<L { saveFinalState(cache, layer: l, direction: 0) }
        return true
    }

    /// LSTM and GRU layers whose `W_ih` block per half has at most this many floats (8 KB: input
    /// size 16 for an H = 64 LSTM) multiply x_t inside each step instead of projecting the window
    /// first.
    static let fusedInputFloats = 2048

    /// Per (layer, half u): the half's gate columns of `W_ihᵀ` `[in, G*H/2]` and `W_hhᵀ`
    /// `[H, G*H/2]` (column `gate * H/2 + j` is row `gate * H + u * H/2 + j` of the weight), then
    /// the same rows of `b_ih`, `b_hh` and `b_ih + b_hh`. Remade when the weights change.
    func refreshSplitWeights(_ cache: RecurrentCache, _ params: ParameterStore) {
        let key = RecurrentCache.WeightsKey(store: params.identity, generation: params.generation)
        if cache.splitKey == key { return }
        let H = config.hiddenSize, G = config.cell.gates, half = H / 2, gHalf = G * half
        if cache.splitWeights.isEmpty {
            cache.splitWeights = (0..<(config.numLayers * 2)).map { i in
                FloatBuffer(count: (slots[i / 2].inputSize + H + 3) * gHalf)
            }
        }
        let p = params.base
        for l in 0..<config.numLayers {
            let slot = slots[l], inSize = slot.inputSize
            for u in 0..<2 {
                let out = cache.splitWeights[l * 2 + u].pointer
                let wHH = out + inSize * gHalf, bIH = wHH + H * gHalf, bHH = bIH + gHalf, bSum = bHH + gHalf
                for gate in 0..<G {
                    for j in 0..<half {
                        let row = gate * H + u * half + j, col = gate * half + j
                        for k in 0..<inSize { out[k * gHalf + col] = p[slot.weightIH + row * inSize + k] }
                        for k in 0..<H { wHH[k * gHalf + col] = p[slot.weightHH + row * H + k] }
                        bIH[col] = p[slot.biasIH + row]
                        bHH[col] = p[slot.biasHH + row]
                        bSum[col] = bIH[col] + bHH[col]
                    }
                }
            }
        }
        cache.splitKey = key
    }
}
