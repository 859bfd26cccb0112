/// Everything needed to turn a CSV file into model inputs and model outputs back into
/// forecasts: stored as the `config` section of the model file.
public struct ModelSpec: Codable, Sendable, Equatable {
    /// The network.
    public var architecture: SequenceRegressor.Config
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

    /// Head values per window: `targetLength * loss.outputsPerTarget`.
    public var outputs: Int { window.targetLength * loss.outputsPerTarget }
}
