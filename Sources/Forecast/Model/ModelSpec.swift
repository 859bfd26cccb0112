/// Everything needed to turn a CSV file into a series model's inputs and its outputs back into
/// forecasts: the `config` section of a series family's model file, one type for both series
/// families. ``SeriesDataSpec`` is the part they share (loss, windows, scaling, missing values,
/// inputs, time axis, split); `Network` is the family's own (``RecurrentNetworkSpec``,
/// ``Seq2SeqNetworkSpec``), read and written as the spec's own fields (`spec.window`,
/// `spec.architecture`); see ``FamilyRecord``.
///
/// In the file both are one flat JSON object, the layout of the per-family spec types this
/// replaces: model files of earlier releases load, and save their `config` section byte for
/// byte (tested on Fixtures/models/legacy-*).
public typealias SeriesModelSpec<Network: Codable & Sendable & Equatable> = FamilyRecord<SeriesDataSpec, Network>

/// The part of a series model's spec both series families share.
public struct SeriesDataSpec: Codable, Sendable, Equatable {
    /// The training loss; decides the head layout (means, log-variances, quantiles).
    public var loss: LossKind
    /// Lookback, horizon, target and feature columns, calendar features.
    public var window: WindowSpec
    /// Fitted on the training rows; maps every data column to and from model units.
    public var scaler: Scaler
    public var missing: MissingPolicy
    /// Window-level normalisation: subtract each window's last target value from that target's
    /// inputs and outputs (in scaled units), so the network models changes, not levels.
    public var levelNormalization: Bool
    /// Names of the inputs per step (data columns then calendar features), in model order.
    public var inputNames: [String]
    public var timeColumn: String?
    public var seriesKey: String?
    public var frequency: Frequency?
    public var seasonLength: Int
    public var split: SplitSpec
    /// Per-series scaling of the targets, applied before ``scaler`` (``SeriesScaling``); nil
    /// for one scaler over all series (absent from the files of single-series models and of
    /// earlier releases).
    public var seriesScaling: SeriesScaling? = nil
    /// Static covariates (names, kinds, vocabularies); nil for none.
    public var statics: StaticSpec? = nil
    /// Per-window scaling of the targets (``WindowScaling``); nil for none (absent from the
    /// files of models without it and of earlier releases).
    public var windowScaling: WindowScaling? = nil

    public init(loss: LossKind, window: WindowSpec, scaler: Scaler, missing: MissingPolicy, levelNormalization: Bool,
                inputNames: [String], timeColumn: String?, seriesKey: String?, frequency: Frequency?, seasonLength: Int, split: SplitSpec,
                seriesScaling: SeriesScaling? = nil, statics: StaticSpec? = nil, windowScaling: WindowScaling? = nil) {
        self.loss = loss; self.window = window; self.scaler = scaler; self.missing = missing
        self.levelNormalization = levelNormalization; self.inputNames = inputNames; self.timeColumn = timeColumn
        self.seriesKey = seriesKey; self.frequency = frequency; self.seasonLength = seasonLength; self.split = split
        self.seriesScaling = seriesScaling
        self.statics = statics
        self.windowScaling = windowScaling
    }
}

/// The recurrent regressor's network: ``SequenceRegressor/Config`` under the key `architecture`.
public struct RecurrentNetworkSpec: Codable, Sendable, Equatable {
    public var architecture: SequenceRegressor.Config
    public init(architecture: SequenceRegressor.Config) { self.architecture = architecture }
}

/// The spec of a recurrent regressor's model file (``Forecaster``).
public typealias ModelSpec = SeriesModelSpec<RecurrentNetworkSpec>

extension FamilyRecord where Shared == SeriesDataSpec, Own == RecurrentNetworkSpec {
    /// Head values per window: `targetLength * loss.outputsPerTarget`.
    public var outputs: Int { shared.window.targetLength * shared.loss.outputsPerTarget }
}
