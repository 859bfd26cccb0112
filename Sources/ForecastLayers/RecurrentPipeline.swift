import CKernels
import ForecastCore

/// Small-batch inference through a stacked, one-direction, undilated layer as a pipeline across
/// layers. Runs every cell through the same step as the general plan (``Recurrent/stepBlock``).
///
/// With a batch of a few windows every step is a matrix-vector product that streams `W_hhᵀ`
/// (64 KB for an LSTM with H = 64) from L2, and the steps of one layer form a chain, so one
/// thread cannot go faster. Layer l+1 only needs layer l's outputs up to the same step, so the
/// layers run as a wavefront: stage l runs layer l's steps in chunks of ``pipelineChunk`` and,
/// after each chunk, the input projection of those steps for layer l+1
/// (`y_l[t0..<t1] W_ih(l+1)ᵀ` with the step kernel), then publishes its progress; stage l+1
/// waits for it. Stages are handed to ``WorkerPool`` threads in order, so with two threads
/// layer 1 runs one chunk behind layer 0.
///
/// The arithmetic does not depend on the thread count (one thread runs the stages one after
/// the other), so forecasts are the same whatever ``RecurrentCache/pipelineThreads`` is. They
/// can differ in the last bits from ``Recurrent/forward(_:params:training:rng:)`` in training
/// mode, which projects each layer's whole window with one `sgemm`.
extension Recurrent {
    /// Steps per pipeline chunk: small enough that the next layer starts early, large enough
    /// that each projection reuses `W_ih` rows across 4-row register blocks.
    public static let pipelineChunk = 4
    /// Largest batch that runs as a pipeline (beyond it the batched GEMMs are the better plan).
    public static let pipelineMaxBatch = 8

    /// Whether inference on `batch` rows runs as a layer pipeline (a single window whose
    /// units split in halves runs that way instead: ``splitsUnits(batch:)``).
    public func pipelines(batch: Int) -> Bool {
        config.directions == 1 && config.numLayers >= 2 && config.isUndilated && usesStepKernel
            && batch <= Recurrent.pipelineMaxBatch && !splitsUnits(batch: batch)
    }

    func forwardPipelined<Cell: RecurrentCell>(_: Cell.Type, _ cache: RecurrentCache, params: ParameterStore) {
        let cfg = config
        let T = cache.length, B = cache.batch, H = cfg.hiddenSize, GH = Cell.gates * H, L = cfg.numLayers
        let p = params.base
        cache.droppedOut = false
        refreshTransposedWeights(cache, params, inputWeights: true)
        cache.preparePipeline()
        // Layer 0's input is all there: one GEMM for the whole window, [T*B, I] x [I, G*H].
        gemm(transB: true, m: T * B, n: GH, k: cfg.inputSize, a: cache.x.pointer, lda: cfg.inputSize,
             b: p + slots[0].weightIH, ldb: cfg.inputSize, c: cache.gates[0].pointer, ldc: GH)
        let progress = cache.pipelineProgress!
        progress.reset()
        let chunk = Recurrent.pipelineChunk
        let threads = cache.threadChoice.next(limit: cache.pipelineThreads)
        let started = AdaptiveThreads.now()
        defer { cache.threadChoice.record(threads: threads, nanoseconds: AdaptiveThreads.now() - started) }
        WorkerPool.forEach(L, threads: threads) { l in
            prepareUnitFactors(Cell.self, cache, layer: l, direction: 0, params: p)
            let scratch = cache.pipelineScratch[l].pointer
            let transposedHH = UnsafePointer(cache.transposedHH[l].pointer)
            let y = cache.ys[l].pointer                                    // [T, B, H]
            let nextIH = l + 1 < L ? UnsafePointer(cache.transposedIH[l + 1]!.pointer) : nil
            let nextGates = l + 1 < L ? cache.gates[l + 1].pointer : nil   // [T, B, G*H]
            var t0 = 0
            while t0 < T {
                let t1 = min(T, t0 + chunk)
                if l > 0 { progress.wait(l - 1, atLeast: t1) }
                for t in t0..<t1 {
                    // Undilated: block t is step t.
                    stepBlock(Cell.self, cache, layer: l, direction: 0, block: t, params: p, transposedHH: transposedHH, scratch: scratch)
                }
                if let nextIH, let nextGates {
                    // [(t1-t0)*B, H] x [H, G*H]
                    fk_step_matmul(Int32((t1 - t0) * B), Int32(H), Int32(GH), y + t0 * B * H, Int32(H), nextIH,
                                   nextGates + t0 * B * GH, Int32(GH), 0)
                }
                progress.publish(l, t1)
                t0 = t1
            }
            saveFinalState(cache, layer: l, direction: 0)
        }
    }
}
