/// Where the refits of cross-conformal calibration (``ConformalRule/cross``) end and which of
/// their rows are held out: rolling-origin refits of the same point model inside the training
/// and validation rows, never the test rows (cross-conformal prediction, Vovk 2015; CV+,
/// Barber et al. 2021; rolling origins for time series).
///
/// With v(n) the validation start the model's split gives a series of n rows
/// (``SplitSpec/boundaries(rows:)``), per series s of N_s rows:
///
///     E_0(s) = N_s                    the trained model: its own residuals cover [v(N_s), t(N_s))
///     E_k(s) = v(E_{k−1}(s))          refit k sees the first E_k rows (same split fractions: it
///                                     trains on [0, v(E_k)) and early-stops on its validation rows)
///     held out by refit k: [v(E_k), E_k)   its validation and test rows, never a training target
///
/// so the blocks tile the history backwards from the validation split without overlapping: on
/// air_passengers (144 rows, 10% validation and test) the model holds out [115, 130), refit 1
/// [92, 115), refit 2 [74, 92), refit 3 [59, 74).
///
/// **How many.** A refit is kept only while, in every series, its training rows v(E_k) are at
/// least half the trained model's (v(N_s) / 2) and hold at least `minimumTrainingRows` (one
/// window): a refit on much less history than the final model is a different model, and its
/// errors would over-state the final model's. Refits nest, so the first that fails ends the
/// list. With the default 10% / 10% split the k-th refit trains on 0.8^k of the model's rows:
/// 0.8, 0.64, 0.51 for k = 1, 2, 3 and 0.41 for k = 4, so at most 3 refits pass the rule;
/// ``defaultCount`` is that 3.
public struct ConformalFolds: Sendable, Equatable {
    /// Per refit, per series: the rows E_k(s) the refit sees.
    public var ends: [[Int]]
    /// Per refit, per series: the first held-out row v(E_k(s)) (the refit's training rows end there).
    public var heldOutStarts: [[Int]]

    /// Refits requested when `--conformal-folds` is not given: the most the half-history rule
    /// allows under the default 10% / 10% split.
    public static let defaultCount = 3
    /// The largest `--conformal-folds` accepted (and stored in a model file).
    public static let maximumCount = 20
    /// A refit joins the calibration only when its error on the trained model's own validation
    /// rows (out of sample for both) is at most this multiple of the model's
    /// (``ConformalResiduals/errorRatio(_:model:)``): a refit that forecasts the same rows
    /// clearly worse is handicapped by its shorter history, and its residuals would over-state
    /// the model's error rather than show another period's.
    public static let admissibleErrorRatio: Float = 1.25

    /// The refits of `folds` requested for series of `rows` rows under `split` (the first
    /// failing the half-history or `minimumTrainingRows` rule and every later one dropped).
    public init(rows: [Int], split: SplitSpec, folds: Int, minimumTrainingRows: Int) {
        ends = []; heldOutStarts = []
        guard !rows.isEmpty else { return }
        let trained = rows.map { split.boundaries(rows: $0).validationStart }
        var current = rows
        for _ in 0..<max(0, min(folds, ConformalFolds.maximumCount)) {
            let e = current.map { split.boundaries(rows: $0).validationStart }
            let v = e.map { split.boundaries(rows: $0).validationStart }
            let fits = zip(v, trained).allSatisfy { 2 * $0 >= $1 && $0 >= minimumTrainingRows } && zip(v, e).allSatisfy { $0 < $1 }
            guard fits else { break }
            ends.append(e); heldOutStarts.append(v)
            current = e
        }
    }

    /// Refits kept.
    public var count: Int { ends.count }

    /// The held-out rows of refit `k` in series `s`.
    public func heldOut(_ k: Int, series s: Int) -> Range<Int> { heldOutStarts[k][s]..<ends[k][s] }

    /// `set` with each series s cut to its first `ends[s]` rows (segments past the cut dropped).
    public static func truncated(_ set: TimeSeriesSet, ends: [Int]) -> TimeSeriesSet {
        var out = set
        for (i, s) in set.series.enumerated() {
            let n = min(ends[i], s.count)
            out.series[i] = TimeSeries(key: s.key, times: s.times.map { Array($0.prefix(n)) }, values: s.values.map { Array($0.prefix(n)) },
                                       lines: Array(s.lines.prefix(n)), segmentStarts: s.segmentStarts.filter { $0 < n })
        }
        return out
    }
}
