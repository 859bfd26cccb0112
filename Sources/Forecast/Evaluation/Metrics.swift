/// Point-forecast accuracy over a set of (actual, forecast) pairs.
///
///     MAE   = mean |a - f|
///     RMSE  = sqrt(mean (a - f)²)
///     sMAPE = mean 200 |a - f| / (|a| + |f|)      (pairs with a = f = 0 count 0)
///     MASE  = MAE / scale, scale = mean |y_t - y_{t-m}| over the training rows
///             (in-sample seasonal-naive error, m = season length; m = 1 without a season)
///
/// Only pairs with a present actual and a finite forecast are scored; the others are counted
/// by reason (``missingActuals``, ``nonFiniteForecasts``). Over zero scored pairs every metric
/// is NaN, never 0: callers refuse to report it (``count`` is 0).
public struct Metrics: Codable, Sendable, Equatable {
    public var mae: Double
    public var rmse: Double
    public var smape: Double
    public var mase: Double
    /// Pairs evaluated.
    public var count: Int
    /// Share of actuals inside the prediction interval, when the model has one.
    public var coverage: Double?
    /// Nominal coverage of that interval (e.g. 0.8).
    public var nominalCoverage: Double?
    /// Pairs left out because the actual value was missing (NaN in the data); nil in reports
    /// saved by 0.1.
    public var missingActuals: Int?
    /// Pairs left out because the forecast was NaN or infinite (actual present); nil in
    /// reports saved by 0.1.
    public var nonFiniteForecasts: Int?
    /// Scores of the predictive distribution (CRPS, wQL, MSIS, coverage per level) when the
    /// forecaster gives one (a Gaussian or quantile head, conformal intervals, sample paths; for
    /// seasonal naive its empirical residual quantiles); nil otherwise and in older reports.
    public var distribution: DistributionScores?

    /// Pairs left out for either reason.
    public var dropped: Int { (missingActuals ?? 0) + (nonFiniteForecasts ?? 0) }

    public init(mae: Double, rmse: Double, smape: Double, mase: Double, count: Int, coverage: Double? = nil, nominalCoverage: Double? = nil) {
        self.mae = mae; self.rmse = rmse; self.smape = smape; self.mase = mase; self.count = count
        self.coverage = coverage; self.nominalCoverage = nominalCoverage
    }

    /// The MASE scale of a series: mean |y_t - y_{t-m}| over `values` (NaNs skipped).
    public static func maseScale(_ values: ArraySlice<Float>, season m: Int) -> (sum: Double, count: Int) {
        var s = 0.0, n = 0
        let m = max(1, m)
        var i = values.startIndex + m
        while i < values.endIndex {
            let a = values[i], b = values[i - m]
            if a.isFinite && b.isFinite { s += Swift.abs(Double(a) - Double(b)); n += 1 }
            i += 1
        }
        return (s, n)
    }
}

/// Metrics of the model and of the baselines on the same forecasts: `forecast evaluate`'s
/// result, with the keys its `--json` output uses.
public struct EvaluationReport: Codable, Sendable, Equatable {
    public var model: Metrics
    public var naive: Metrics
    public var seasonalNaive: Metrics
    public var drift: Metrics
    public var windows: Int
    public var horizon: Int
    public var seasonLength: Int
    /// Scores of every series, in the set's order (``SeriesScores``); not stored in model files
    /// (left out of the coding keys), nil when the report was decoded or not computed per series.
    public var perSeries: [SeriesScores]? = nil

    enum CodingKeys: String, CodingKey {
        case model, naive, drift, windows, horizon
        case seasonalNaive = "seasonal_naive"
        case seasonLength = "season_length"
    }

    /// Equality of the scores a model file stores (``perSeries`` is not compared).
    public static func == (a: EvaluationReport, b: EvaluationReport) -> Bool {
        a.model == b.model && a.naive == b.naive && a.seasonalNaive == b.seasonalNaive && a.drift == b.drift
            && a.windows == b.windows && a.horizon == b.horizon && a.seasonLength == b.seasonLength
    }
}
