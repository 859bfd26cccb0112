import Foundation

/// The defaults of a global model over intermittent series (many sellers' daily counts, mostly
/// zeros): train on the absolute error (MAE, the median), without level normalisation, with
/// robust per-window scaling (``WindowScaling``, NeuralForecast's default scaler) and a cosine
/// learning-rate schedule.
///
/// Why: the score is MASE, a mean absolute error; on counts that are zero on most days the
/// conditional mean (what MSE fits) sits well above the median (what MAE fits), and every
/// absolute error above the median is paid on the many zero days. Level normalisation subtracts
/// each window's last value, which on such series is a zero or a spike: noise, not a level.
/// Measured on `Benchmarks/ManySeries/generate_m5.py --series 3000` (57% zeros), MASE on the 28
/// days before the test split, where the choice was made (docs/performance.md, "Intermittent
/// defaults"): MSE with level normalisation (the single-series defaults) 0.876, MAE 0.743, MAE
/// without level normalisation 0.714 (test split: 0.716–0.722 over three seeds); with robust
/// window scaling 0.7090 and with the cosine schedule too 0.7088 on all three seeds, against
/// NeuralForecast's LSTM 0.7089 (test split: 0.71201 on all three seeds against its 0.71208 and
/// 0.71213). Each window's own median and spread replace the series' one scale: the centre
/// follows the window's level, and the loss weighs each window by its own spread.
///
/// When: ``applies(_:targets:split:)``:
///
///     several series (a global model; one series keeps its own defaults)
///     and every non-missing target value on the training rows is >= 0 (counts, demand)
///     and the share z of zeros among those values is at least 1 - 1/1.32 ≈ 0.242
///
/// The threshold is Syntetos and Boylan's cut-off between smooth and intermittent demand, an
/// average inter-demand interval ADI = 1 / (1 - z) of 1.32 periods ("On the categorization of
/// demand patterns", JORS 2005), pooled over every series' training rows. Only what the user
/// leaves unset is chosen (the CLI: `--loss`, `--quantiles`, `--level-norm`/`--no-level-norm`,
/// `--window-scaling`, `--lr-schedule`).
public enum IntermittentDefaults {
    /// The loss chosen for intermittent series.
    public static let loss = LossKind.mae
    /// Level normalisation for intermittent series.
    public static let levelNormalization = false
    /// Per-window scaling for intermittent series (without level normalisation, for point and
    /// quantile losses).
    public static let windowScaling = WindowScaling.robust
    /// The learning-rate schedule for intermittent series: `--lr-schedule cosine` (two warm-up
    /// epochs, then cosine decay to 5% at the last epoch).
    public static let schedule = LearningRateSchedule.cosine(warmup: 2, minFactor: 0.05)
    /// Syntetos–Boylan average inter-demand interval above which demand is intermittent.
    public static let demandIntervalCutoff = 1.32
    /// The smallest pooled share of zeros that counts as intermittent: `1 - 1 / 1.32`.
    public static var minimumZeroShare: Double { 1 - 1 / demandIntervalCutoff }

    /// What the rule reads of a set.
    public struct Profile: Sendable, Equatable {
        /// Series in the set.
        public var series: Int
        /// Non-missing target values on the training rows, over every series and target.
        public var values: Int
        /// The share of them that are exactly zero (0 without values).
        public var zeroShare: Double
        /// Whether none of them is negative.
        public var nonNegative: Bool

        /// Whether the intermittent defaults apply (see ``IntermittentDefaults``).
        public var isIntermittentGlobal: Bool {
            series > 1 && values > 0 && nonNegative && zeroShare >= IntermittentDefaults.minimumZeroShare
        }
    }

    /// The training rows (before `split`'s validation start, per series) of `targets` in `set`.
    public static func profile(_ set: TimeSeriesSet, targets: [String], split: SplitSpec) -> Profile {
        let columns = targets.compactMap { set.columnIndex($0) }
        var n = 0, zeros = 0, negative = false
        for series in set.series {
            let end = split.boundaries(rows: series.count).validationStart
            for c in columns {
                for v in series.values[c][0..<end] where !v.isNaN {
                    n += 1
                    if v == 0 { zeros += 1 } else if v < 0 { negative = true }
                }
            }
        }
        return Profile(series: set.series.count, values: n, zeroShare: n > 0 ? Double(zeros) / Double(n) : 0, nonNegative: !negative)
    }

    /// Whether a global model of `targets` over `set` gets the intermittent defaults.
    public static func applies(_ set: TimeSeriesSet, targets: [String], split: SplitSpec) -> Bool {
        set.series.count > 1 && profile(set, targets: targets, split: split).isIntermittentGlobal
    }

    /// `options` with the intermittent defaults for `set`, where `chooseLoss`,
    /// `chooseLevelNormalization`, `chooseWindowScaling` and `chooseSchedule` say which the
    /// caller left unset. Window scaling is chosen only where the result has no level
    /// normalisation and a point or quantile loss.
    public static func resolve(_ options: ForecasterOptions, set: TimeSeriesSet, targets: [String],
                               chooseLoss: Bool, chooseLevelNormalization: Bool, chooseWindowScaling: Bool = false,
                               chooseSchedule: Bool = false) -> ForecasterOptions {
        guard chooseLoss || chooseLevelNormalization || chooseWindowScaling || chooseSchedule, set.series.count > 1 else { return options }
        return resolve(options, profile: profile(set, targets: targets, split: options.split), chooseLoss: chooseLoss,
                       chooseLevelNormalization: chooseLevelNormalization, chooseWindowScaling: chooseWindowScaling, chooseSchedule: chooseSchedule)
    }

    /// ``resolve(_:set:targets:chooseLoss:chooseLevelNormalization:chooseWindowScaling:chooseSchedule:)``
    /// from a set's ``Profile`` already taken (`forecast-mpi --shard-series`: the profile of
    /// every rank's series together, ``SeriesShardPlan/profile(_:targets:split:)``).
    public static func resolve(_ options: ForecasterOptions, profile: Profile,
                               chooseLoss: Bool, chooseLevelNormalization: Bool, chooseWindowScaling: Bool = false,
                               chooseSchedule: Bool = false) -> ForecasterOptions {
        guard chooseLoss || chooseLevelNormalization || chooseWindowScaling || chooseSchedule,
              profile.isIntermittentGlobal else { return options }
        var o = options
        if chooseLoss { o.training.loss = loss }
        if chooseLevelNormalization { o.levelNormalization = levelNormalization }
        if chooseWindowScaling && !o.levelNormalization {
            if case .gaussian = o.training.loss {} else { o.windowScaling = windowScaling }
        }
        if chooseSchedule { o.training.schedule = schedule }
        return o
    }
}
