import CKernels
import ForecastCore

/// Batched inference (many windows in one call) with the batch split by rows into parts that
/// run on their own threads, step by step, without waiting for each other.
///
/// The rows of a batch never interact: row b of step t reads only row b of step t-1 and of the
/// layer below. So each part (a contiguous range of rows) runs the whole stack for its rows
/// alone, layer after layer:
///
///     gates = x_t[rows] · W_ihᵀ                     [rows, in] x [in, G*H]   (fk_step_matmul)
///     hh    = h_{t-1}[rows] · W_hhᵀ                 [rows, H]  x [H, G*H]
///     cell update of the rows → h_t[rows] (into `cache.ys[l]`), c_t[rows]
///
/// with both weights transposed once per weight version. Unlike the general plan, which projects
/// the whole window's input with one GEMM into `cache.gates` (`[T, B, G*H]`, 12 MB for 256
/// windows of 48 steps of an H = 64 LSTM) before the steps, a part projects each step's rows
/// just before the step, while they are in cache; the hidden projection lives in a
/// `[rows, G*H]` buffer reused every step. The activations are kept in `cache.gates` as the
/// general plan keeps them, so a backward pass may follow.
///
/// An inference-only forward of an LSTM or GRU (what a forecast runs) keeps no activations: per
/// part and step, layer after layer, `fk_infer_step` (InferenceKernels.c) forms both products
/// of a few rows at a time in registers and a small L1 scratch and updates their cells at once,
/// so neither the `[T, B, G*H]` gates nor the step's hidden projection go through memory, and
/// layer l+1 reads layer l's rows of the step while they are in L1. Its arithmetic is the
/// keeping plan's, operation for operation (the same bits, tested), and
/// ``RecurrentCache/activationsKept`` tells ``Recurrent/backward`` to run the keeping plan
/// first when a backward pass follows such a forward.
///
/// Every output of the products is summed over k in order whatever the row blocking
/// (fk_step_matmul), and the cell kernels work row by row, so a row's result depends neither on
/// the part it falls in nor on the number of threads: forecasts are identical for any thread
/// count. They can differ in the last bits from the general plan (training mode), whose input
/// projection is a BLAS GEMM.
extension Recurrent {
    /// Fewest rows that split: below it the layer pipeline (``pipelines(batch:)``) or the
    /// general plan run.
    public static let batchSplitMinBatch = Recurrent.pipelineMaxBatch + 1
    /// Rows per part at most (parts are as equal as possible): a part's step buffers stay in
    /// L2 (128 x 1 KB for an H = 64 LSTM).
    public static let batchSplitMaxRows = 128

    /// Whether inference on `batch` rows runs split by rows: one direction, no dilation, the
    /// step kernel's sizes, more rows than the pipeline takes.
    public func splitsBatch(batch: Int) -> Bool {
        config.directions == 1 && config.isUndilated && usesStepKernel && batch >= Recurrent.batchSplitMinBatch
    }

    /// The parts of a batch of `batch` rows: as many as `batchSplitMaxRows` needs, at least two
    /// (one per thread of a two-core machine) when there are rows enough; depends on the batch
    /// only, never on the thread count.
    static func batchSplitParts(batch: Int) -> Int {
        max(min(2, batch / Recurrent.batchSplitMinBatch), (batch + Recurrent.batchSplitMaxRows - 1) / Recurrent.batchSplitMaxRows)
    }

    /// Runs the batch split; with `keepActivations` false an LSTM or GRU takes the inference-only
    /// steps (the same bits) and leaves ``RecurrentCache/activationsKept`` false.
    func forwardBatchSplit<Cell: RecurrentCell>(_: Cell.Type, _ cache: RecurrentCache, params: ParameterStore, keepActivations: Bool) {
        let cfg = config
        let T = cache.length, B = cache.batch, H = cfg.hiddenSize, GH = Cell.gates * H, L = cfg.numLayers
        let p = params.base
        cache.droppedOut = false
        refreshTransposedWeights(cache, params, inputWeights: true)
        for l in 0..<L { prepareUnitFactors(Cell.self, cache, layer: l, direction: 0, params: p) }
        let parts = Recurrent.batchSplitParts(batch: B)
        let partRows = (B + parts - 1) / parts
        let gru = Cell.self == GRUCell.self
        let inferenceOnly = !keepActivations && (Cell.self == LSTMCell.self || gru)
        cache.activationsKept = !inferenceOnly
        if cache.batchScratch.count != parts {
            let scratch = max(partRows * GH, Int(fk_infer_scratch(Int32(H))))
            cache.batchScratch = (0..<parts).map { _ in FloatBuffer(count: scratch) }
        }
        // Raw pointers only inside the threads (no reference counting across them).
        let scratches = cache.batchScratch.map { $0.pointer }
        let gatesOf = (0..<L).map { cache.gates[$0].pointer }                 // [T, B, G*H]
        let wIH = cache.transposedIH.map { UnsafePointer($0!.pointer) }        // [in, G*H] per layer
        let wHH = cache.transposedHH.map { UnsafePointer($0.pointer) }         // [H, G*H] per layer
        let ys = cache.ys.map { $0.pointer }                                   // [T, B, H]
        let cells = cache.cells.map { $0?.pointer }                            // [T, B, H] (LSTM)
        let hiddenN = cache.hiddenN.map { $0?.pointer }                        // [T, B, H] (GRU)
        let factors = cache.unitFactors.map { UnsafePointer($0.pointer) }      // [L, H] (leaky)
        let inSizes = slots.map(\.inputSize)
        let biases = slots.map { (UnsafePointer(p + $0.biasIH), UnsafePointer(p + $0.biasHH)) }
        let x = UnsafePointer(cache.x.pointer)                                 // [T, B, I]
        let h0: UnsafePointer<Float>? = cache.useInitialState ? UnsafePointer(cache.h0.pointer) : nil
        let c0: UnsafePointer<Float>? = cache.useInitialState && Cell.hasCellState ? UnsafePointer(cache.c0.pointer) : nil

        // One thread or two by measured time per call (AdaptiveThreads): the parts never wait
        // for each other, but the call waits for its slowest part, and on oversubscribed cores
        // (a loaded machine, or callers that are already parallel, like the sampler's chunks)
        // the pool's second thread is often descheduled. The bits do not depend on the choice.
        let threads = cache.threadChoice.next(limit: min(parts, cache.pipelineThreads))
        let started = AdaptiveThreads.now()
        defer { cache.threadChoice.record(threads: threads, nanoseconds: AdaptiveThreads.now() - started) }
        WorkerPool.forEach(parts, threads: threads) { part in
            let r0 = WorkerPool.chunk(part, of: parts, count: B)
            let rows = r0.count, b0 = r0.lowerBound
            let hh = scratches[part]
            if inferenceOnly {
                // Step by step, each layer's rows of the step right after the layer below's.
                var s = fk_infer()
                s.rows = Int32(rows); s.H = Int32(H); s.ldh = Int32(H); s.ldy = Int32(H); s.gru = gru ? 1 : 0
                s.scratch = hh
                for t in 0..<T {
                    let row = t * B + b0
                    for l in 0..<L {
                        let inSize = inSizes[l]
                        let input = l == 0 ? x : UnsafePointer(ys[l - 1])
                        s.in = Int32(inSize); s.x = input + row * inSize; s.ldx = Int32(inSize); s.w_ih = wIH[l]
                        s.w_hh = wHH[l]; s.b_ih = biases[l].0; s.b_hh = biases[l].1
                        if t > 0 {
                            s.h_prev = UnsafePointer(ys[l] + (row - B) * H)
                            s.c_prev = cells[l].map { UnsafePointer($0 + (row - B) * H) }
                        } else {
                            s.h_prev = h0.map { $0 + (l * B + b0) * H }
                            s.c_prev = c0.map { $0 + (l * B + b0) * H }
                        }
                        s.c = cells[l].map { $0 + row * H }        // LSTM only
                        s.h = ys[l] + row * H
                        fk_infer_step(&s)
                    }
                }
                return
            }
            for l in 0..<L {
                let inSize = inSizes[l]
                let input = l == 0 ? x : UnsafePointer(ys[l - 1])              // [T, B, in]
                let y = ys[l]
                for t in 0..<T {
                    let row = t * B + b0
                    // The activations go where the general plan keeps them, so a backward pass
                    // may follow an inference-mode forward (as the golden parity tests do).
                    let gates = gatesOf[l] + row * GH
                    fk_step_matmul(Int32(rows), Int32(inSize), Int32(GH), input + row * inSize, Int32(inSize), wIH[l],
                                   gates, Int32(GH), 0)
                    let hPrev: UnsafePointer<Float>?, cPrev: UnsafePointer<Float>?
                    if t > 0 {
                        hPrev = UnsafePointer(y + (row - B) * H)
                        cPrev = cells[l].map { UnsafePointer($0 + (row - B) * H) }
                    } else {
                        hPrev = h0.map { $0 + (l * B + b0) * H }
                        cPrev = c0.map { $0 + (l * B + b0) * H }
                    }
                    if let hPrev {
                        fk_step_matmul(Int32(rows), Int32(H), Int32(GH), hPrev, Int32(H), wHH[l], hh, Int32(GH), 0)
                    }
                    Cell.forward(CellForward(
                        rows: rows, H: H, gates: gates, hh: hPrev == nil ? nil : UnsafePointer(hh),
                        bih: biases[l].0, bhh: biases[l].1, hPrev: hPrev, hPrevStride: H,
                        cPrev: cPrev, c: cells[l].map { $0 + row * H }, hn: hiddenN[l].map { $0 + row * H },
                        factors: factors.map { $0 + l * H }, h: y + row * H, hStride: H))
                }
            }
        }
        for l in 0..<L { saveFinalState(cache, layer: l, direction: 0) }
    }
}
