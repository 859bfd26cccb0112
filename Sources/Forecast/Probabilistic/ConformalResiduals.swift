/// Out-of-sample forecasts of a point model, gathered for a ``ConformalCalibration``: one entry
/// per forecast origin, steps that are not scored masked by a NaN actual.
///
///     forecasts  [N][steps × P]   point forecasts, data units, step-major
///     actuals    [N][steps × P]   the actual targets (NaN: not scored)
///     scales     [N][P]           raw local scales of each origin (data units; NaN: undefined)
public struct ConformalResiduals: Sendable, Equatable {
    public var forecasts: [[Float]] = []
    public var actuals: [[Float]] = []
    public var scales: [[Float]] = []
    /// Refits whose residuals these are (``ConformalFolds``); 0 for one trained model's own.
    public var folds = 0
    /// Per refit tried, in order: its error on the trained model's validation rows over the
    /// model's (``errorRatio(_:model:)``); refits with a ratio above
    /// ``ConformalFolds/admissibleErrorRatio`` are not among ``folds``.
    public var foldErrorRatios: [Float] = []

    public init(forecasts: [[Float]] = [], actuals: [[Float]] = [], scales: [[Float]] = [], folds: Int = 0) {
        self.forecasts = forecasts; self.actuals = actuals; self.scales = scales; self.folds = folds
    }

    /// Origins held.
    public var count: Int { forecasts.count }

    /// Appends `other`'s origins after these (refit counts add).
    public mutating func append(_ other: ConformalResiduals) {
        forecasts += other.forecasts; actuals += other.actuals; scales += other.scales; folds += other.folds
        foldErrorRatios += other.foldErrorRatios
    }

    /// Σ |y − ŷ_refit| / Σ |y − ŷ_model| over the entries (same origins in the same order, same
    /// actuals) where both forecasts and the actual are finite: how much worse a refit forecasts
    /// the same out-of-sample rows than the trained model. NaN without such an entry.
    public static func errorRatio(_ refit: ConformalResiduals, model: ConformalResiduals) -> Float {
        var a = 0.0, b = 0.0
        for (r, m) in zip(zip(refit.forecasts, refit.actuals), zip(model.forecasts, model.actuals)) {
            for i in 0..<min(r.0.count, r.1.count, m.0.count) where r.1[i].isFinite && r.0[i].isFinite && m.0[i].isFinite {
                a += Double(abs(r.1[i] - r.0[i])); b += Double(abs(r.1[i] - m.0[i]))
            }
        }
        return b > 0 ? Float(a / b) : .nan
    }
}
