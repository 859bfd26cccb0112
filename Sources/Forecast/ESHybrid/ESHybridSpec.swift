/// What an ES-hybrid model file's `config` section holds (family `eshybrid`): the network, the
/// evaluation windowing, the series it knows (one set of smoothing parameters each) and their
/// scales.
public struct ESHybridSpec: Codable, Sendable, Equatable {
    /// The network (``ESHybridModel``): series, season, history, lookback, horizon, form, LSTM.
    public var model: ESHybridModel.Config
    /// The evaluation windows (the same the default model uses: lookback, horizon, one target).
    public var window: WindowSpec
    public var split: SplitSpec
    public var missing: MissingPolicy
    public var seasonLength: Int
    public var timeColumn: String?
    public var seriesKey: String?
    public var frequency: Frequency?
    /// The series trained on, in order (nil key: a single series); series i owns row i of the
    /// `es.*` tensors.
    public var seriesKeys: [String?]
    /// Per series: values are divided by this before the network sees them (mean |y| of the
    /// training rows).
    public var scales: [Double]
    /// The training loss: pinball (`quantile([τ])`, τ = 0.5 by default) or mse.
    public var loss: LossKind
    /// Why the form was chosen (``ESHybridForecaster/chooseForm``), for `inspect`.
    public var formReason: String
}

/// Options of ``ESHybridForecaster/fit``.
public struct ESHybridOptions: Sendable {
    /// Lookback, horizon, split, missing policy and training settings (epochs, lr, seed,
    /// workers …) as the other series families read them; `base.training.loss` is replaced by
    /// ``loss``.
    public var base = ForecasterOptions()
    /// LSTM units per layer.
    public var hidden = 32
    /// LSTM layers.
    public var layers = 2
    /// Dilation per layer; nil: 1 for the first layer and 3 for the others (Smyl's (1, 3)).
    public var dilations: [Int]? = nil
    /// History the smoothing reads per window; nil: lookback + one season, within the data.
    public var history: Int? = nil
    /// Pinball at τ = 0.5 (the median) by default, or `.mse`.
    public var loss: LossKind = .quantile([0.5])
    /// Multiplicative (true), additive (false) or chosen by the data (nil).
    public var multiplicative: Bool? = nil

    public init() {
        base.training.epochs = 60
    }
}

extension ESHybridSpec {
    /// Checks what a model file could get wrong: the network config within limits, one scale
    /// and key per series, scales finite and positive, horizon and target agreeing with the
    /// window, a pinball or mse loss. Throws a message naming the field.
    func check() throws {
        func bad(_ field: String, _ why: String) -> DataError { DataError.invalidArgument("config.\(field): \(why)") }
        try ESHybridModel.checkConfig(model, field: "config.model")
        guard window.targets.count == 1 else { throw bad("window.targets", "an ES-hybrid model forecasts one target, not \(window.targets.count)") }
        guard window.horizon == model.horizon else { throw bad("model.horizon", "\(model.horizon) differs from the window's horizon \(window.horizon)") }
        guard model.lookback == window.lookback else { throw bad("model.lookback", "\(model.lookback) differs from the window's lookback \(window.lookback)") }
        guard seriesKeys.count == model.series, scales.count == model.series else {
            throw bad("scales", "the model has \(model.series) series but the file lists \(seriesKeys.count) keys and \(scales.count) scales")
        }
        if let i = scales.firstIndex(where: { !($0.isFinite && $0 > 0) }) { throw bad("scales[\(i)]", "\(scales[i]) is not a positive number") }
        guard (1...100_000).contains(seasonLength), seasonLength == model.season || model.season == 1 else {
            throw bad("seasonLength", "\(seasonLength) is not in 1...100000 or disagrees with the model's season \(model.season)")
        }
        switch loss {
        case .mse: break
        case .quantile(let q) where q.count == 1 && q[0] > 0 && q[0] < 1: break
        default: throw bad("loss", "an ES-hybrid model trains with mse or a pinball loss at one τ in (0, 1), not \(loss.name)")
        }
    }
}
