/// Settings of one training run. Codable: stored in checkpoints and in the model's provenance.
public struct TrainingConfig: Codable, Sendable, Equatable {
    public var epochs: Int = 50
    public var batchSize: Int = 32
    public var learningRate: Float = 3e-3
    public var optimizer: OptimizerKind = .adamDefault
    public var schedule: LearningRateSchedule = .constant
    public var loss: LossKind = .mse
    /// Global-norm clipping threshold; nil disables clipping.
    public var clipNorm: Float? = 1
    public var seed: UInt64 = 42
    /// Worker threads computing shards (and the gradient sum and optimizer update) in parallel.
    /// Does not change results.
    public var workers: Int = 1
    /// Shards per minibatch. Part of the arithmetic: change it and results change (slightly).
    public var shards: Int = 4
    /// Early stopping: stop after this many epochs without a validation improvement and restore
    /// the best weights; nil trains all epochs (the best weights are still restored when there
    /// is a validation set).
    public var patience: Int? = 10
    /// Sampled epochs: draw this many training windows per epoch (seeded, uniformly over all
    /// windows, without replacement within an epoch) instead of visiting every window, and
    /// score validation on one fixed seeded sample of the same size. nil: every window.
    public var windowsPerEpoch: Int? = nil
    /// Span training (windowed recurrent models): each sample is `span` consecutive windows of
    /// one series read in one recurrent pass (``WindowSpans``, ``SpanRegressor``); the model and
    /// its parameters are the windowed model's. nil: one window per sample.
    public var span: Int? = nil
    /// Span training with truncated backpropagation: gradients flow through at most this many
    /// steps before a span's first forecast; earlier steps run as an inference pass
    /// (``SpanRegressor/Config/truncation``). nil: through every step.
    public var spanTruncation: Int? = nil
    /// What to do with a minibatch whose loss or gradient is not finite.
    public var nonFinite: NonFinitePolicy = .stop

    public enum NonFinitePolicy: String, Codable, Sendable { case stop, skip }

    public init() {}
}

/// Per-epoch figures, kept in checkpoints and the model's provenance (training curves).
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var validationLoss: Double?
    public var learningRate: Float
    public var seconds: Double
    public var skippedBatches: Int

    public init(epoch: Int, trainLoss: Double, validationLoss: Double?, learningRate: Float, seconds: Double, skippedBatches: Int = 0) {
        self.epoch = epoch; self.trainLoss = trainLoss; self.validationLoss = validationLoss
        self.learningRate = learningRate; self.seconds = seconds; self.skippedBatches = skippedBatches
    }
}

/// Progress events for progress bars, logs and JSON streams.
public enum TrainingEvent: Sendable {
    /// After every minibatch: epoch (from 1), batch (from 1) of `batches`, running mean loss,
    /// throughput and estimated seconds left in the run.
    case batch(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double, samplesPerSecond: Double, etaSeconds: Double)
    /// After every epoch.
    case epoch(EpochRecord, epochs: Int, improved: Bool, samplesPerSecond: Double, etaSeconds: Double)
    /// Early stopping triggered.
    case earlyStop(epoch: Int, bestEpoch: Int, bestValidationLoss: Double)
    /// A checkpoint was written.
    case checkpoint(path: String, epoch: Int)
}

public enum TrainingError: Error, CustomStringConvertible, Sendable {
    case nonFinite(epoch: Int, batch: Int, what: String)
    case emptyTrainingSet
    case shapeMismatch(String)
    case badCheckpoint(String)

    public var description: String {
        switch self {
        case let .nonFinite(e, b, what):
            return "training diverged: \(what) is not finite at epoch \(e), batch \(b); the last good checkpoint was kept (lower --lr, enable clipping, or use --skip-nonfinite)"
        case .emptyTrainingSet: return "no training windows: the data is shorter than lookback + horizon (or every window touches a missing value)"
        case .shapeMismatch(let s): return s
        case .badCheckpoint(let s): return s
        }
    }
}
