import Foundation

/// Settings for ``Forecaster/fit(_:targets:options:onEvent:)``. Every field has a default that
/// works without tuning; nil lookback and horizon are inferred from the data's frequency.
public struct ForecasterOptions: Sendable {
    public var cell: CellKind = .lstm
    public var hidden: Int = 64
    public var layers: Int = 1
    public var bidirectional = false
    public var dropout: Float = 0
    /// Skip recurrence per layer (``RecurrentConfig/dilations``): empty for none.
    public var dilations: [Int] = []
    /// Leaky units: time constant τ ≥ 1 of every unit, fixed or initial (``RecurrentConfig/tau``).
    public var tau: Float = 1
    /// Leaky units: learn τ per unit (``RecurrentConfig/learnsTau``).
    public var learnsTau = false
    /// Input steps per window; nil: two seasons (at least 8), limited by the data's length.
    public var lookback: Int? = nil
    /// Steps to forecast; nil: one season (1 without a season).
    public var horizon: Int? = nil
    /// Extra input columns (past-only covariates).
    public var features: [String] = []
    /// Input columns known in the future (e.g. a working-day flag).
    public var knownFuture: [String] = []
    public var calendar: [CalendarFeature] = []
    public var split = SplitSpec(validation: 0.1, test: 0.1)
    public var scaler: ScalerKind = .standard
    /// Per-series scaling of the targets (``SeriesScaling``) before `scaler`: nil decides by
    /// the data, `series` for several series (a global model), `global` for one.
    public var scalerScope: ScalerScope? = nil
    /// Static covariates already attached to the set (``StaticCovariates``): read as extra
    /// inputs at every step, numeric ones as values, categorical ones through embeddings.
    public var statics: StaticSpec? = nil
    public var missing: MissingPolicy = .error
    public var levelNormalization = true
    /// Per-window scaling of the targets (``WindowScaling``); nil for none. Exclusive with
    /// `levelNormalization`; point and quantile losses.
    public var windowScaling: WindowScaling? = nil
    /// Split conformal intervals for a point loss: after training, the validation windows'
    /// residuals are kept in the model file (``ConformalCalibration``) and give quantiles and
    /// intervals at any level.
    public var conformal = false
    /// The nonconformity score of the conformal calibration (``ConformalScore``).
    public var conformalScore: ConformalScore = .auto
    /// Which residuals the conformal calibration keeps and how it reads quantiles
    /// (``ConformalRule``; `.windows` is the rule of models written before it).
    public var conformalRule: ConformalRule = .rolling
    /// ``ConformalRule/cross``: refits requested (fewer when the series are short, ``ConformalFolds``).
    public var conformalFolds = ConformalFolds.defaultCount
    public var training: TrainingConfig
    /// Multi-process training: shares shard gradients between processes (MPI ranks); nil in
    /// one process. The result is bit-identical either way.
    public var exchange: GradientExchange? = nil
    /// Whether this process writes checkpoints (only rank 0 does in multi-process training;
    /// every rank reads one to resume).
    public var writesCheckpoints = true
    /// Series-sharded multi-process training: this process holds only the plan's series
    /// (``SeriesShardPlan``); nil when every process holds the whole set.
    public var seriesShards: SeriesShardPlan? = nil

    public init() {
        var t = TrainingConfig()
        t.epochs = 60
        t.batchSize = 32
        t.learningRate = 3e-3
        t.patience = 10
        t.workers = defaultWorkers()
        training = t
    }
}

/// The default number of worker threads: the number of active cores.
public func defaultWorkers() -> Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
