/// The nonconformity score of a split conformal calibration (``ConformalCalibration``), chosen
/// with `train --conformal-score`. All four are functions of a window's inputs and residual
/// only, so exchangeable windows give exchangeable scores and the ⌈(n + 1) L⌉ guarantee holds
/// for each; they differ in how the interval adapts.
///
/// | score | e = y − ŷ, s = local scale | interval of level L |
/// |---|---|---|
/// | `absolute` | \|e\| | ŷ ± r_(⌈(n+1)L⌉) |
/// | `scaled` | \|e\| / s | ŷ ± s · r_(⌈(n+1)L⌉) |
/// | `signed` | e | [ŷ + r_(⌊(n+1)(1−L)/2⌋), ŷ + r_(⌈(n+1)(1+L)/2⌉)] |
/// | `scaled-signed` | e / s | the same, times s |
///
/// `auto` (the default) picks `absolute` or `scaled` per model from the validation windows
/// alone (``ConformalCalibration/select(forecasts:actuals:targets:scales:scaleRows:later:)``).
public enum ConformalScore: String, Codable, Sendable, CaseIterable {
    case auto
    case absolute
    case scaled
    case signed
    case scaledSigned = "scaled-signed"

    /// Whether residuals are divided by the window's local scale.
    public var isScaled: Bool { self == .scaled || self == .scaledSigned }
    /// Whether residuals keep their sign (each tail its own order statistic).
    public var isSigned: Bool { self == .signed || self == .scaledSigned }
}
