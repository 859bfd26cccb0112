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

    public init(forecasts: [[Float]] = [], actuals: [[Float]] = [], scales: [[Float]] = [], folds: Int = 0) {
        self.forecasts = forecasts; self.actuals = actuals; self.scales = scales; self.folds = folds
    }

    /// Origins held.
    public var count: Int { forecasts.count }

    /// Appends `other`'s origins after these (refit counts add).
    public mutating func append(_ other: ConformalResiduals) {
        forecasts += other.forecasts; actuals += other.actuals; scales += other.scales; folds += other.folds
    }
}
