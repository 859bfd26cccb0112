/// The one contract between a model family and the toolkit's trainer, data-parallel step,
/// checkpoints and evaluation: a description of parameters (a ``ParameterLayout`` with
/// PyTorch's names), workspaces made per batch size, a forward pass over a batch of samples
/// and a hand-written backward pass that accumulates into a gradient store.
///
/// A *sample* is what one training example is to this model, flattened:
///
///     input  [inputCount]        everything forward reads for one example (a window, a window
///                                followed by its known-future inputs, a frame sequence …)
///     target [targetCount]       the values the loss compares the prediction with
///     pred   [predictionCount]   targetCount × K floats (K: outputs per target of the loss —
///                                1 for point losses, 2 for Gaussian, 3 for quantiles)
///
/// Batches are batch-first: `input [B, inputCount]`, `target [B, targetCount]`,
/// `pred [B, predictionCount]`. Everything family-specific (window length, teacher forcing,
/// attention weights, frame layout) lives behind this contract.
///
/// Conformers: ``WindowedRegressor`` (a recurrent stack and a linear head over a window),
/// ``WindowedSeq2Seq`` (encoder–decoder with attention), ``EncoderForecaster`` and
/// ``ConvLSTMRegressor`` (ConvLSTM over frame sequences), ``AutoregressiveRegressor`` (DeepAR-style,
/// teacher-forced on the likelihood of the next value).
///
/// Thread safety: a model is an immutable description; one model serves many threads, each
/// with its own workspace and (for backward) its own gradient store.
public protocol TrainableModel: Sendable {
    /// Everything needed to rebuild the model: stored in checkpoints.
    associatedtype Config: Codable & Sendable & Equatable
    /// Buffers of one pass over `batch` samples (one per thread).
    associatedtype Workspace: AnyObject

    var config: Config { get }
    /// Builds the model; `config` must have passed ``checkConfig(_:field:)`` when it comes from
    /// a file.
    init(_ config: Config)
    /// Throws a ``ConfigFieldError`` naming `field` (and the offending member) unless every size
    /// in `config` lies within ``ConfigLimits`` / ``WindowLimits``: what a checkpoint's config
    /// passes before anything is allocated from it.
    static func checkConfig(_ config: Config, field: String) throws

    /// Parameter names, shapes and offsets.
    var layout: ParameterLayout { get }
    /// A parameter store with the family's (PyTorch's) default initialisation.
    func makeParameters(rng: inout SeededGenerator) -> ParameterStore

    /// Floats of one sample's input.
    var inputCount: Int { get }
    /// Floats of one sample's prediction.
    var predictionCount: Int { get }
    /// Samples per forward-only chunk when evaluating a loss over a data set (bounds the
    /// workspace memory: frame models want small chunks).
    var evaluationBatch: Int { get }

    func makeWorkspace(batch: Int) -> Workspace

    /// Forward over `batch` samples (as the workspace was made for).
    ///
    /// - Parameters:
    ///   - input: `[B, inputCount]`.
    ///   - target: `[B, targetCount]` during training (a model may read it: teacher forcing);
    ///     nil when forecasting or evaluating, where the model must not need it.
    ///   - pass: training or inference, and the epoch (schedules such as scheduled sampling).
    ///   - rng: dropout masks and other training-time draws.
    /// - Returns: the predictions `[B, predictionCount]`, owned by the workspace.
    func forward(_ input: UnsafePointer<Float>, target: UnsafePointer<Float>?, workspace: Workspace,
                 params: ParameterStore, pass: ForwardPass, rng: inout SeededGenerator) -> UnsafeMutablePointer<Float>

    /// Backward from `dPred` (same shape as the predictions of the last forward in this
    /// workspace); accumulates (`+=`) parameter gradients into `grads`.
    func backward(_ dPred: UnsafePointer<Float>, workspace: Workspace, params: ParameterStore, grads: ParameterStore)
}

extension TrainableModel {
    public var evaluationBatch: Int { 256 }
}

/// What a forward pass is for.
public struct ForwardPass: Sendable, Equatable {
    /// Training: dropout is active and the target may be read.
    public var training: Bool
    /// The epoch (from 0) of a training pass; schedules read it.
    public var epoch: Int

    public init(training: Bool, epoch: Int = 0) {
        self.training = training
        self.epoch = epoch
    }

    /// Forecasting or evaluating: no dropout, no target.
    public static let inference = ForwardPass(training: false)
    public static func training(epoch: Int) -> ForwardPass { ForwardPass(training: true, epoch: epoch) }
}

extension TrainableModel {
    /// Inference forward over `input [B, inputCount]` (no target, no dropout); returns the
    /// predictions `[B, predictionCount]`, owned by the workspace.
    @discardableResult
    public func forward(_ input: UnsafePointer<Float>, workspace: Workspace, params: ParameterStore) -> UnsafeMutablePointer<Float> {
        var rng = SeededGenerator(seed: 0)
        return forward(input, target: nil, workspace: workspace, params: params, pass: .inference, rng: &rng)
    }
}
