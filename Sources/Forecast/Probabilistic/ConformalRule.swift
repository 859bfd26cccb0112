/// Which residuals a split conformal calibration (``ConformalCalibration``) keeps and how it
/// turns them into quantiles, chosen with `train --conformal-calibration`.
///
/// | rule | residuals (never trained on) | pooled when a step has too few | quantile of n scores at level L |
/// |---|---|---|---|
/// | `rolling` (default) | every forecast origin and step whose target row is a validation row (the origin's lookback may reach into the training rows, its other steps are not read): n per step = validation rows per series | over steps, each step's scores divided by the model's in-sample mean score at that step (training windows) | interpolated at position (n + 1) L between neighbouring order statistics |
/// | `cross` | the `rolling` residuals of the trained model, plus those of K refits of the same model at earlier origins (``ConformalFolds``): refit k trains on each series' first E_k rows and is scored at every origin and step whose target is one of its held-out rows [its validation start, E_k); the blocks tile the history backwards from the validation split and never reach the test rows | as `rolling`, over the pooled residuals of every block | as `rolling` |
/// | `windows` (models written before the rule) | whole validation windows, every step of which is a validation row: n per step = validation windows | over steps, raw | the ⌈(n + 1) L⌉-th order statistic |
///
/// On a 144-row monthly series (air_passengers: 15 validation rows, horizon 12) `windows` keeps
/// 4 residuals per step and `rolling` 15; both pool over the 12 steps. `cross` with 3 refits
/// adds their held-out blocks (23, 18 and 15 rows): 71 per step.
///
/// **Default** (`train --intervals conformal` without `--conformal-calibration`,
/// ``default(rows:)``): `cross` for files of at most ``crossRows`` rows in all, `rolling` above.
/// The library's ``ForecasterOptions/conformalRule`` stays `rolling` unless set.
public enum ConformalRule: String, Codable, Sendable, CaseIterable {
    case rolling
    case windows
    case cross

    /// Rows in all up to which `train` refits by default: the sets the ensemble already treats as
    /// short (it adds its ES-hybrid member up to the same size), where three refits on 0.8, 0.64
    /// and 0.51 of the rows cost seconds to a minute; above it a training takes minutes and the
    /// rolling rule already has hundreds of residuals per step.
    public static let crossRows = 5_000

    /// The rule `train --intervals conformal` uses for a set of `rows` rows in all.
    public static func `default`(rows: Int) -> ConformalRule { rows <= crossRows ? .cross : .rolling }
}
