/// Cross-conformal refits of a windowed recurrent model (``ConformalRule/cross``): the same
/// model, trained the same way, at ``ConformalFolds``' earlier origins, scored at their
/// held-out rows.
///
///     refit k   Forecaster.fit(set cut to E_k(s) rows per series, the same options, lookback
///               and horizon, no calibration)  →  its forecasts at every origin e (whole window
///               in the full series) and step h with e + h in [v(E_k), E_k); other steps masked
///
/// Refit k never reads a row at or after E_k(s) as an input of the scored steps (an origin's
/// inputs are the rows up to e < E_k) nor any of its held-out rows as a training target, and
/// the blocks end at the trained model's validation start: the test rows are never read. Each
/// refit is seeded like the model (``TrainingConfig/seed``) and is bit-identical for any worker
/// count, so the calibration is too. Refits run one after the other; each costs about a
/// training on E_k rows (0.8, 0.64 and 0.51 of the series under the default split).
extension Forecaster {
    /// The held-out residuals of up to `options.conformalFolds` refits on `set` (unscaled, as
    /// given to ``fit(_:targets:options:dataFile:checkpointPath:resume:onEvent:)``) for
    /// `model` of window `window`, whose rolling residuals on its validation rows are
    /// `validation`; local scales over `scaleRows` input rows. A refit whose error on those
    /// validation rows exceeds ``ConformalFolds/admissibleErrorRatio`` times the model's is
    /// left out (its ratio is still recorded).
    /// `factors [series][P]`: the model's per-series scale factors (nil without per-series
    /// scaling); a refit fits its own on its training rows, and its residuals are re-expressed
    /// in the model's units.
    static func crossResiduals(_ set: TimeSeriesSet, targets: [String], options: ForecasterOptions, window: WindowSpec,
                               scaleRows: Int, factors: [[Float]]?, validation: ConformalResiduals) throws -> ConformalResiduals {
        let plan = ConformalFolds(rows: set.series.map(\.count), split: options.split, folds: options.conformalFolds,
                                  minimumTrainingRows: window.lookback + window.horizon)
        var o = options
        o.conformal = false
        o.lookback = window.lookback
        o.horizon = window.horizon
        var all = ConformalResiduals()
        for k in 0..<plan.count {
            let refit = try Forecaster.fit(ConformalFolds.truncated(set, ends: plan.ends[k]), targets: targets, options: o)
            let scaled = refit.seriesScaled(set, split: refit.spec.split)
            let data = try PreparedData(scaled.set, spec: refit.spec.window, split: refit.spec.split, scaler: .standard, missing: refit.spec.missing)
            let unit: [[Float]]? = scaled.factors.map { f in
                f.indices.map { s in (0..<targets.count).map { p in f[s][p] / (factors?[s][p] ?? 1) } }
            }
            // The same origins as the model's validation residuals (same lookback, horizon and boundaries).
            let common = refit.heldOutResiduals(data, set: scaled.set, rows: scaleRows, unit: unit) { s in
                let (vStart, tStart) = options.split.boundaries(rows: set.series[s].count)
                return vStart..<tStart
            }
            let ratio = ConformalResiduals.errorRatio(common, model: validation)
            all.foldErrorRatios.append(ratio)
            guard ratio <= ConformalFolds.admissibleErrorRatio else { continue }
            var r = refit.heldOutResiduals(data, set: scaled.set, rows: scaleRows, unit: unit) { plan.heldOut(k, series: $0) }
            r.folds = 1
            all.append(r)
        }
        return all
    }
}
