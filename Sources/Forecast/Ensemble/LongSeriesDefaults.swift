import ForecastData

/// The defaults of `--model auto` on long training sets: two recurrent members trained on spans
/// of 24 consecutive windows (``SpanRegressor``, ``WindowSpans``) with gradients through 24
/// steps before each span, instead of one member trained window by window.
///
/// Why: a windowed epoch over N windows of L rows runs N·L recurrent steps, and on a long set
/// (elecdemand: 13,873 windows of 96 half-hours) one member's training is at the kernels'
/// roofline and costs most of `train`. A span of S windows is one pass over L + S - 1 rows, of
/// which only the last K + S are trained (K = 24: 48 trained steps per 24 windows; the rest is an
/// inference warm-up), so two members on spans cost less than one windowed member (1.68x less
/// training time on elecdemand), and the median of two validates better than one. Chosen on
/// validation only, on elecdemand without its last 10% (so its test split lies inside the real
/// file's validation period), 8 seeds (docs/accuracy.md, "Span training for long series"):
/// validation MASE 0.548 against 0.570 for the windowed default (better on 8 of 8 seeds), its own
/// test split 0.629 against 0.680; a single member on spans validated worse (0.586 at S = 24);
/// full backpropagation through every span step 0.553 at more cost.
///
/// When: ``applies(_:targets:options:)``: `auto` with the members, the span and the window
/// scaling left unset, and at least ``minimumWindows`` training windows in all (elecdemand
/// 13,873; the NYC hourly files 6,900 and the shorter sets keep the windowed default, which
/// already trains them more than 10x faster than NeuralForecast's LSTM).
public enum LongSeriesDefaults {
    /// Windows per span.
    public static let span = 24
    /// Steps before a span's first forecast that gradients flow through (the rest of the
    /// lookback runs as an inference pass): ``SpanRegressor/Config/truncation``.
    public static let truncation = 24
    /// Recurrent members (lookbacks of two and one seasons, as ``EnsembleForecaster`` orders them).
    public static let members = 2
    /// Training windows (over every series) from which the defaults apply.
    public static let minimumWindows = 10_000

    /// Many-to-one windows ending on the training rows of every series, for `window`'s lookback
    /// and horizon (missing values not considered).
    public static func trainingWindows(_ set: TimeSeriesSet, lookback: Int, horizon: Int, split: SplitSpec) -> Int {
        set.series.reduce(0) { n, s in n + max(0, split.boundaries(rows: s.count).validationStart - lookback - horizon + 1) }
    }

    /// Whether the long-series defaults apply to `auto` on `set` with `options` (whose
    /// `training.span` and window scaling must be unset; the caller checks the members).
    public static func applies(_ set: TimeSeriesSet, targets: [String], options: ForecasterOptions) -> Bool {
        guard options.training.span == nil, options.windowScaling == nil, !options.bidirectional,
              let (window, _) = try? Forecaster.resolveWindow(set, targets: targets, options: options) else { return false }
        return trainingWindows(set, lookback: window.lookback, horizon: window.horizon, split: options.split) >= minimumWindows
    }
}
