/// What the series families (``Forecaster``, ``Seq2SeqForecaster``) share at the facade: point
/// forecasts (and intervals, where the loss gives them) of the horizon after the history of
/// every series in a set, evaluation on the test split, warm-start fine-tuning and saving. ``Backtest`` and the registry's champion/challenger scoring work on
/// any conformer.
public protocol SeriesForecasting: Sendable {
    /// The family of the model (recorded in its file).
    var family: ModelFamily { get }
    /// Steps forecast per call.
    var horizon: Int { get }
    /// Forecasts the `horizon` steps after the end of every series in `set`.
    func forecasts(after set: TimeSeriesSet) throws -> [SeriesForecast]
    /// Scores the model on the test split of `set` against the naive baselines.
    func evaluate(_ set: TimeSeriesSet) throws -> EvaluationReport
    /// Writes the model file atomically.
    func save(to path: String) throws
    /// Warm start: continues training on `set` with a fresh optimizer, keeping the model's
    /// architecture, windowing and scaling; `self` is unchanged.
    func fineTuned(on set: TimeSeriesSet, training: TrainingConfig, dataFile: String?, checkpointPath: String?, resume: Bool,
                   onEvent: ((TrainingEvent) -> Void)?) throws -> Self
}

extension Forecaster: SeriesForecasting {
    public var family: ModelFamily { .recurrent }
    public var horizon: Int { spec.window.horizon }
    public func forecasts(after set: TimeSeriesSet) throws -> [SeriesForecast] { try predict(set) }
}

extension Seq2SeqForecaster: SeriesForecasting {
    public var family: ModelFamily { .seq2seq }
    public var horizon: Int { spec.window.horizon }
    public func forecasts(after set: TimeSeriesSet) throws -> [SeriesForecast] { try predict(set).forecasts }
}
