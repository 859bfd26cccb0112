import Foundation
/// Everything one forward pass of a ``Recurrent`` layer keeps for its backward pass, plus the
/// scratch both passes use. Sized once for a (batch, length) pair and reused across calls, so
/// no time loop allocates. All sequence buffers are time-major `[T, B, F]`.
///
/// A cache belongs to one thread at a time; concurrent callers (inference threads, training
/// shards) each use their own.
public final class RecurrentCache: @unchecked Sendable {
    public let config: RecurrentConfig
    public let batch: Int
    public let length: Int

    /// Layer input `[T, B, I]`: the caller writes it before ``Recurrent/forward``.
    public let x: FloatBuffer
    /// Given initial states `[L*D, B, H]`, used when `useInitialState` is true.
    public let h0: FloatBuffer
    public let c0: FloatBuffer
    public var useInitialState = false

    /// Per layer `l`: outputs `[T, B, D*H]` (both directions side by side).
    public let ys: [FloatBuffer]
    /// Per layer `l < L-1` with dropout: the dropped-out copy the next layer reads, and the
    /// scaled mask (0 or 1/(1-p)).
    var dropped: [FloatBuffer?]
    var masks: [FloatBuffer?]
    /// Per (layer, direction) `l*D + d`: activated gates `[T, B, G*H]` (the input projection
    /// before the time loop), cell states `[T, B, H]` (cells with
    /// ``RecurrentCell/hasCellState``: LSTM), hidden-side candidate projections
    /// `W_hn h + b_hn` `[T, B, H]` (``RecurrentCell/savesHiddenProjection``: GRU).
    let gates: [FloatBuffer]
    let cells: [FloatBuffer?]
    let hiddenN: [FloatBuffer?]
    /// One block's hidden projection `[D_max*B, G*H]` (D_max the largest dilation).
    let stepScratch: FloatBuffer
    /// Per-unit factors of the cell `[L*D, H]` (``RecurrentCell/usesUnitFactors``: leaky 1/τ),
    /// made from the weights before each direction's time loop; nil for other cells.
    let unitFactors: FloatBuffer?
    /// Final states `[L*D, B, H]`.
    public let hN: FloatBuffer
    public let cN: FloatBuffer
    /// Whether the last forward ran with dropout active (training).
    var droppedOut = false
    /// Whether the last forward kept the activations ``Recurrent/backward`` reads. The
    /// inference-only steps of a batch-split LSTM or GRU (RecurrentBatchSplit.swift) do not; backward
    /// then runs the keeping plan first (same outputs, same bits).
    public internal(set) var activationsKept = true

    /// Small-batch inference: `W_hhᵀ` `[H, G*H]` per (layer, direction), and which weights
    /// (store identity and generation) they were made from.
    struct WeightsKey: Equatable { let store: UInt64; let generation: Int }
    var transposedHH: [FloatBuffer] = []
    var transposedKey: WeightsKey?
    /// Large layers: `W_hhᵀ` and `W_hh` packed in 32-column panels (``Recurrent/usesPanelKernel``).
    var panelsHH: [FloatBuffer] = []
    var panelsHHCarry: [FloatBuffer] = []
    /// `W_ihᵀ` `[in, G*H]` per (layer, direction) above the first layer (nil for the first).
    var transposedIH: [FloatBuffer?] = []
    var transposedIHKey: WeightsKey?

    /// Threads for single-window inference (``Recurrent/splitsUnits(batch:)``) and small-batch
    /// inference through stacked layers (``Recurrent/pipelines(batch:)``); forecasts are
    /// identical for any value.
    public var pipelineThreads: Int = RecurrentCache.defaultPipelineThreads
    /// Two when the machine has two or more cores: the pipeline has little to give a third.
    public static let defaultPipelineThreads = min(2, ProcessInfo.processInfo.activeProcessorCount)
    /// Whether the lock-step plans (unit split, pipeline) run on one thread or two this call,
    /// by measured time per call (up to `pipelineThreads`; the bits are the same either way).
    let threadChoice = AdaptiveThreads()
    // Per layer: the step product's scratch `[B, G*H]`, and the stages' progress counters.
    var pipelineScratch: [FloatBuffer] = []
    var pipelineProgress: PipelineProgress?

    func preparePipeline() {
        if pipelineProgress != nil { return }
        let G = config.cell.gates, H = config.hiddenSize
        pipelineScratch = (0..<config.numLayers).map { _ in FloatBuffer(count: batch * G * H) }
        pipelineProgress = PipelineProgress(count: config.numLayers)
    }

    // Single-window inference with each layer's hidden units split in two halves
    // (RecurrentUnitSplit.swift): per (layer, half) the half's columns of W_ihᵀ and W_hhᵀ and its
    // biases, made from the weights named by `splitKey`; per half a step scratch; the two
    // threads' progress (steps finished).
    var splitWeights: [FloatBuffer] = []
    var splitKey: WeightsKey?
    var splitScratch: [FloatBuffer] = []
    var splitProgress: PipelineProgress?

    // Batched inference split by rows (RecurrentBatchSplit.swift): per part, the step's gates
    // and hidden projection `[rows, G*H]` each, reused every step so they stay in L2.
    var batchScratch: [FloatBuffer] = []

    // Backward buffers, created on first use.
    var dGates: FloatBuffer?
    var dGatesHidden: FloatBuffer?
    var dPing: FloatBuffer?
    var dPong: FloatBuffer?
    /// Carried gradients `[D_max*B, H]`: one `[B, H]` per interleaved chain of a dilated layer.
    var carryH: FloatBuffer?
    var carryC: FloatBuffer?
    /// Gradients for one direction's unit factors `[H]`, when the cell has them.
    var dUnitFactors: FloatBuffer?
    /// Gradient of the loss with respect to `x` `[T, B, I]`, after ``Recurrent/backward``.
    public private(set) var dX: FloatBuffer?
    /// Gradients with respect to the initial states `[L*D, B, H]`, after backward.
    public private(set) var dH0: FloatBuffer?
    public private(set) var dC0: FloatBuffer?

    public init(config: RecurrentConfig, batch: Int, length: Int) {
        self.config = config
        self.batch = batch
        self.length = length
        let L = config.numLayers, D = config.directions, H = config.hiddenSize, G = config.cell.gates
        let TB = length * batch
        x = FloatBuffer(count: TB * config.inputSize)
        h0 = FloatBuffer(count: L * D * batch * H)
        let cell = config.cell
        c0 = FloatBuffer(count: cell.hasCellState ? L * D * batch * H : 0)
        ys = (0..<L).map { _ in FloatBuffer(count: TB * D * H) }
        dropped = (0..<L).map { l in (config.dropout > 0 && l < L - 1) ? FloatBuffer(count: TB * D * H) : nil }
        masks = (0..<L).map { l in (config.dropout > 0 && l < L - 1) ? FloatBuffer(count: TB * D * H) : nil }
        gates = (0..<(L * D)).map { _ in FloatBuffer(count: TB * G * H) }
        cells = (0..<(L * D)).map { _ in cell.hasCellState ? FloatBuffer(count: TB * H) : nil }
        hiddenN = (0..<(L * D)).map { _ in cell.savesHiddenProjection ? FloatBuffer(count: TB * H) : nil }
        stepScratch = FloatBuffer(count: config.maxDilation * batch * G * H)
        unitFactors = cell.usesUnitFactors ? FloatBuffer(count: L * D * H) : nil
        hN = FloatBuffer(count: L * D * batch * H)
        cN = FloatBuffer(count: cell.hasCellState ? L * D * batch * H : 0)
    }

    /// The top layer's output `[T, B, D*H]`.
    public var output: FloatBuffer { ys[config.numLayers - 1] }

    func prepareBackward() {
        if dGates != nil { return }
        let L = config.numLayers, D = config.directions, H = config.hiddenSize, G = config.cell.gates
        let TB = length * batch
        dGates = FloatBuffer(count: TB * G * H)
        if config.cell.separateHiddenGradient { dGatesHidden = FloatBuffer(count: TB * G * H) }
        if L > 1 {
            dPing = FloatBuffer(count: TB * D * H)
            dPong = FloatBuffer(count: TB * D * H)
        }
        carryH = FloatBuffer(count: config.maxDilation * batch * H)
        carryC = FloatBuffer(count: config.maxDilation * batch * H)
        if config.cell.usesUnitFactors { dUnitFactors = FloatBuffer(count: H) }
        dX = FloatBuffer(count: TB * config.inputSize)
        dH0 = FloatBuffer(count: L * D * batch * H)
        dC0 = FloatBuffer(count: config.cell.hasCellState ? L * D * batch * H : 0)
    }
}
