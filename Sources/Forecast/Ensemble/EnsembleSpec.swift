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
    /// The ES-hybrid member (``ESHybridForecaster``), trained on series sets of at most 5,000
    /// rows with one target and no covariates; its tensors are stored as `eshybrid.<name>`.
    /// Absent (nil) in files written before it existed and where it is not trained.
    public var eshybrid: ESHybridSpec? = nil

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

/// One forecast source an ensemble can combine: the median of its recurrent members, the
/// ES-hybrid member, or one kind of statistical model.
public enum EnsembleComponent: String, Codable, Sendable, CaseIterable {
    case lstm, eshybrid, ets, theta, naive, snaive

    var statisticalKind: StatisticalModel.Kind? {
        switch self {
        case .lstm, .eshybrid: return nil
        case .ets: return .ets
        case .theta: return .theta
        case .naive: return .naive
        case .snaive: return .seasonalNaive
        }
    }

    /// The candidate combinations `--model auto` scores on the validation split, in order of
    /// preference on ties: median combinations first, then single components. Candidates with
    /// `eshybrid` are scored only when the ensemble holds that member.
    public static let candidates: [[EnsembleComponent]] = [
        [.lstm, .ets, .theta], [.lstm, .ets], [.lstm, .theta], [.ets, .theta],
        [.lstm, .eshybrid, .ets], [.lstm, .eshybrid, .theta], [.eshybrid, .ets, .theta], [.lstm, .eshybrid],
        [.lstm], [.eshybrid], [.ets], [.theta], [.snaive], [.naive],
    ]
}

extension EnsembleSpec {
    /// Checks what a model file could get wrong beyond each network's own config (which
    /// ``ModelFileCheck`` verifies): members agree on horizon and targets, one statistical model
    /// per series and target, periods and parameters in range. Throws a message naming the field.
    func check() throws {
        func bad(_ field: String, _ why: String) -> DataError { DataError.invalidArgument("config.\(field): \(why)") }
        guard !networks.isEmpty, networkSeeds.count == networks.count else { throw bad("networks", "an ensemble needs at least one recurrent member and one seed per member") }
        for (i, n) in networks.enumerated() where n.window.horizon != window.horizon || n.window.targets != window.targets {
            throw bad("networks[\(i)].window", "horizon \(n.window.horizon) and targets \(n.window.targets) differ from the ensemble's (\(window.horizon), \(window.targets))")
        }
        guard (1...100_000).contains(seasonLength) else { throw bad("seasonLength", "\(seasonLength) is not in 1...100000") }
        guard !combination.isEmpty else { throw bad("combination", "empty") }
        for fits in statistical {
            guard fits.models.count == seriesKeys.count, fits.models.allSatisfy({ $0.count == window.targets.count }) else {
                throw bad("statistical.\(fits.kind.rawValue)", "does not hold one model per series (\(seriesKeys.count)) and target (\(window.targets.count))")
            }
            for model in fits.models.joined() { try model.check(field: "statistical.\(fits.kind.rawValue)") }
        }
        for c in combination {
            if let kind = c.statisticalKind, !statistical.contains(where: { $0.kind == kind }) {
                throw bad("combination", "'\(c.rawValue)' has no fitted models")
            }
        }
        if combination.contains(.eshybrid), eshybrid == nil { throw bad("combination", "'eshybrid' but the file holds no ES-hybrid member") }
        if let h = eshybrid {
            do { try h.check() } catch { throw bad("eshybrid", "\(error)") }
            guard h.window.horizon == window.horizon, h.window.targets == window.targets, h.seriesKeys == seriesKeys else {
                throw bad("eshybrid", "its horizon \(h.window.horizon), targets \(h.window.targets) or series differ from the ensemble's (\(window.horizon), \(window.targets))")
            }
        }
    }
}

extension StatisticalModel {
    /// Periods in 1...100000, finite parameters, smoothing weights in [0, 1], one seasonal start
    /// value per period.
    func check(field: String) throws {
        func bad(_ why: String) -> DataError { DataError.invalidArgument("config.\(field): \(why)") }
        let periods = 1...100_000
        switch self {
        case .naive: return
        case .seasonalNaive(let m): guard periods.contains(m) else { throw bad("period \(m) is not in 1...100000") }
        case .theta(let t):
            guard periods.contains(t.period) else { throw bad("period \(t.period) is not in 1...100000") }
            guard t.alpha.isFinite, (0...1).contains(t.alpha), t.level0.isFinite else { throw bad("Theta parameters out of range (alpha \(t.alpha), level0 \(t.level0))") }
        case .ets(let e):
            guard periods.contains(e.period) else { throw bad("period \(e.period) is not in 1...100000") }
            for (name, v) in [("alpha", e.alpha), ("beta", e.beta), ("gamma", e.gamma), ("phi", e.phi)] where !(v.isFinite && (0...1).contains(v)) {
                throw bad("ETS \(name) \(v) is not in [0, 1]")
            }
            guard e.level0.isFinite, e.trend0.isFinite, e.seasonal0.allSatisfy(\.isFinite) else { throw bad("ETS start states are not finite") }
            guard e.seasonal0.count == (e.season == .none ? 0 : e.period) else {
                throw bad("ETS holds \(e.seasonal0.count) seasonal start values for period \(e.period)")
            }
        }
    }
}
