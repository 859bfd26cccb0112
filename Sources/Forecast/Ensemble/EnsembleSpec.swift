/// What an ensemble model file's `config` section holds (family `ensemble`): the windowing it
/// is evaluated with, every member (recurrent networks and fitted statistical models) and the
/// combination chosen on the validation split.
public struct EnsembleSpec: Codable, Sendable, Equatable {
    /// The evaluation and forecast window (lookback, horizon, targets, features), the same the
    /// default recurrent model would use.
    public var window: WindowSpec
    public var split: SplitSpec
    public var missing: MissingPolicy
    public var seasonLength: Int
    public var timeColumn: String?
    public var seriesKey: String?
    public var frequency: Frequency?
    /// The series the statistical members were fitted on, in order (nil key: a single series).
    public var seriesKeys: [String?]
    /// The recurrent members; member i's tensors are stored as `member<i>.<name>`.
    public var networks: [ModelSpec]
    /// The seed each recurrent member was trained with.
    public var networkSeeds: [UInt64]
    /// The fitted statistical members, one model per series and target.
    public var statistical: [StatisticalFits]
    /// The components whose forecasts are combined by the median (``EnsembleComponent``).
    public var combination: [EnsembleComponent]
    /// Validation-split MASE of every candidate combination (the choice's evidence).
    public var validation: [CandidateScore]

    public struct StatisticalFits: Codable, Sendable, Equatable {
        public var kind: StatisticalModel.Kind
        /// `models[series][target]`, fitted on the rows before the test split.
        public var models: [[StatisticalModel]]
    }

    public struct CandidateScore: Codable, Sendable, Equatable {
        public var components: [EnsembleComponent]
        public var mase: Double
    }
}

/// One forecast source an ensemble can combine: the median of its recurrent members, or one
/// kind of statistical model.
public enum EnsembleComponent: String, Codable, Sendable, CaseIterable {
    case lstm, ets, theta, naive, snaive

    var statisticalKind: StatisticalModel.Kind? {
        switch self {
        case .lstm: return nil
        case .ets: return .ets
        case .theta: return .theta
        case .naive: return .naive
        case .snaive: return .seasonalNaive
        }
    }

    /// The candidate combinations `--model auto` scores on the validation split, in order of
    /// preference on ties: median combinations first, then single components.
    public static let candidates: [[EnsembleComponent]] = [
        [.lstm, .ets, .theta], [.lstm, .ets], [.lstm, .theta], [.ets, .theta],
        [.lstm], [.ets], [.theta], [.snaive], [.naive],
    ]
}
