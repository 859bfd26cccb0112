import Foundation
import Forecast

/// Honest scores for `evaluate` and `backtest`: a metric over zero (actual, forecast) pairs is
/// never printed (a data error, exit 1, saying why every pair was left out), and when pairs
/// were left out a note on stderr says how many and why (missing actual, or a NaN or
/// infinite forecast). JSON output carries the same counts.
enum ScoreCheck {
    /// Throws when `m` scored no pair.
    static func require(_ m: Metrics, source: String, what: String = "the model") throws {
        guard m.count == 0 else { return }
        throw CLIError.data("\(source): no (actual, forecast) pair to score \(what) on: \(reasons(m)); no metric is reported")
    }

    /// Throws when no fold scored a pair.
    static func require(_ r: Backtest.Result, source: String) throws {
        guard !r.folds.contains(where: { $0.model.count > 0 }) else { return }
        var total = Metrics(mae: .nan, rmse: .nan, smape: .nan, mase: .nan, count: 0)
        total.missingActuals = r.folds.reduce(0) { $0 + ($1.model.missingActuals ?? 0) }
        total.nonFiniteForecasts = r.folds.reduce(0) { $0 + ($1.model.nonFiniteForecasts ?? 0) }
        try require(total, source: source, what: "the model in any fold")
    }

    /// "scored 120 pairs; left out 3: ..." when any pair was left out, else nil.
    static func note(_ m: Metrics, what: String = "model") -> String? {
        guard m.dropped > 0 else { return nil }
        return "\(what): scored \(m.count) pair(s); left out \(m.dropped): \(reasons(m))"
    }

    static func reasons(_ m: Metrics) -> String {
        "\(m.missingActuals ?? 0) with a missing actual value, \(m.nonFiniteForecasts ?? 0) with a NaN or infinite forecast"
    }

    /// A metric for JSON: null when not finite.
    static func json(_ v: Double) -> Any { v.isFinite ? v : NSNull() }
}
